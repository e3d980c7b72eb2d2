public import LyreCore

/// Accumulates one aggregate over the rows of one group (sql-functions.md §2).
///
/// ```swift
/// var sum = AggregateKind.sum.makeAccumulator()
/// for age in ages { sum.add(age) }
/// sum.result()   // .int(22)
/// ```
/// `nil` (JavaScript *undefined*) in `add` and `result` means "no value": a `nil` result
/// removes the key from the row (sql.md §5.9.5).
public struct AggregateAccumulator: Sendable {
    public let kind: AggregateKind
    public let distinct: Bool
    /// `COUNT(*)`: every added row counts, whatever its value.
    public let countsRows: Bool
    private var rows = 0
    private var values: [Value?] = []
    private var seen: Set<Value> = []

    public init(kind: AggregateKind, distinct: Bool = false, countsRows: Bool = false) {
        self.kind = kind
        self.distinct = distinct
        self.countsRows = countsRows
    }

    /// Adds the argument's value for one input row.
    public mutating func add(_ value: Value?) {
        if distinct {
            guard !JS.isNullish(value) else { return }
            guard seen.insert(JS.groupKey(value)).inserted else { return }
        }
        rows += 1
        if kind == .count {
            if countsRows || !JS.isNullish(value) { values.append(nil) }
            return
        }
        values.append(value)
    }

    private var nonNull: [Value] { values.compactMap { v -> Value? in JS.isNullish(v) ? .none : v } }
    private var numbers: [Double] { nonNull.map { JS.toNumber($0) } }

    /// The aggregate's value for the rows added so far.
    public func result() -> Value? {
        switch kind {
        case .count:
            return .int(Int64(values.count))
        case .sum:
            if rows == 0 { return .int(0) }
            let present = nonNull
            if present.isEmpty { return .null }
            if present.contains(where: { !$0.isNumber }) { return .null }
            return SQLNumber.value(present.reduce(0) { $0 + JS.toNumber($1) })
        case .total:
            return SQLNumber.value(nonNull.reduce(0) { $0 + ($1.isNumber ? JS.toNumber($1) : 0) })
        case .avg, .mean:
            let present = numbers
            if present.isEmpty {
                if kind == .mean { return rows == 0 ? .none : .null }
                return rows == 1 ? Value.null : .none
            }
            return SQLNumber.value(present.reduce(0, +) / Double(present.count))
        case .min, .max:
            if rows == 0 { return nil }
            let present = nonNull
            if present.isEmpty || present.contains(where: { !$0.isNumber }) { return .null }
            let ns = present.map { JS.toNumber($0) }
            return SQLNumber.value(kind == .min ? ns.min()! : ns.max()!)
        case .first:
            return rows == 0 ? .none : (values.first! ?? .null)
        case .last:
            return rows == 0 ? .none : (values.last! ?? .null)
        case .array:
            return .array(values.map { $0 ?? .null })
        case .groupConcat:
            if rows == 0 { return nil }
            return .string(values.map { JS.toString($0 ?? .null) }.joined(separator: ","))
        case .median:
            let sorted = numbers.sorted()
            guard !sorted.isEmpty else { return .null }
            return SQLNumber.value(Self.median(sorted))
        case .mode:
            let present = nonNull
            guard !present.isEmpty else { return .null }
            var order: [Value] = []
            var counts: [Value: (first: Value, n: Int)] = [:]
            for v in present {
                let key = JS.groupKey(v)
                if let c = counts[key] {
                    counts[key] = (c.first, c.n + 1)
                } else {
                    counts[key] = (v, 1)
                    order.append(key)
                }
            }
            let best = counts.values.map(\.n).max() ?? 0
            return .array(order.compactMap { counts[$0]!.n == best ? counts[$0]!.first : .none })
        case .prod:
            let ns = numbers
            guard !ns.isEmpty else { return .null }
            return SQLNumber.value(ns.reduce(1, *))
        case .mad:
            let sorted = numbers.sorted()
            guard !sorted.isEmpty else { return .null }
            let m = Self.median(sorted)
            return SQLNumber.value(Self.median(sorted.map { abs($0 - m) }.sorted()))
        case .stdev, .variance, .stdevp, .std, .stddev, .varp:
            let ns = numbers
            let sample = kind == .stdev || kind == .variance
            guard ns.count > (sample ? 1 : 0) else { return nil }
            let mean = ns.reduce(0, +) / Double(ns.count)
            let squares = ns.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
            let variance = squares / Double(sample ? ns.count - 1 : ns.count)
            let root = kind == .variance || kind == .varp ? variance : variance.squareRoot()
            return SQLNumber.value(root)
        case .quart, .quart2, .quart3:
            let sorted = numbers.sorted()
            guard !sorted.isEmpty else { return nil }
            let k: Double = kind == .quart ? 1 : kind == .quart2 ? 2 : 3
            let p = k * Double(sorted.count + 1) / 4
            let index = p == p.rounded() ? Int(p) - 1 : Int(p.rounded(.down))
            guard sorted.indices.contains(index) else { return nil }
            return SQLNumber.value(sorted[index])
        }
    }

    private static func median(_ sorted: [Double]) -> Double {
        let n = sorted.count
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }
}
