/// The aggregate functions of sql-functions.md §2, with Harper's name-spelling rules (§1.1).
public enum AggregateKind: String, Sendable, Hashable, CaseIterable {
    case count, sum, avg, min, max, first, last, array, total
    case groupConcat = "group_concat", median, mean, mode, prod, mad
    case stdev, stdevp, std, stddev, variance = "var", varp, quart, quart2, quart3

    /// The aggregate called `callName` with `argumentCount` arguments, or `nil` when the call is
    /// not an aggregate (`MIN(a, b)` with two or more arguments is the scalar `LEAST`).
    public init?(callName: String, argumentCount: Int) {
        let lower = callName.lowercased()
        guard let kind = AggregateKind(rawValue: lower), argumentCount == 1 else { return nil }
        switch kind.spelling {
        case .anyCase: break
        case .lowerOrUpper: guard callName == lower || callName == lower.uppercased() else { return nil }
        case .upperOnly: guard callName == lower.uppercased() else { return nil }
        }
        self = kind
    }

    enum Spelling { case anyCase, lowerOrUpper, upperOnly }

    var spelling: Spelling {
        switch self {
        case .count, .sum, .avg, .min, .max, .first, .last, .array, .total: .anyCase
        case .groupConcat, .median, .mean, .mode, .prod, .mad: .lowerOrUpper
        default: .upperOnly
        }
    }

    /// The name used in unaliased result keys (sql.md §5.9.2): the upper-case name for the
    /// grammar-level aggregates, `REDUCE` for the others (quirk, keep).
    public var keyName: String {
        spelling == .anyCase ? rawValue.uppercased() : "REDUCE"
    }

    /// A fresh accumulator for one group.
    public func makeAccumulator(distinct: Bool = false, countsRows: Bool = false) -> AggregateAccumulator {
        AggregateAccumulator(kind: self, distinct: distinct, countsRows: countsRows)
    }
}
