import LyreCore

/// The items of `x [NOT] IN (…)`, with a hash set of their values when every item is a
/// constant, so membership is one lookup instead of a walk of the list for every row
/// (10,000 items over 20,000 rows were 2·10^8 comparisons, over 30 s).
///
/// The set keys follow `JS.strictEquals`, the equality `IN` uses: numbers by value (`1` and
/// `1.0` are one key, NaN is none), strings by their code units, booleans apart from numbers
/// and strings. Equality and hashing are the items'; the set is derived from them.
public struct InList: Sendable, Hashable, RandomAccessCollection, ExpressibleByArrayLiteral {
    public let items: [Expression]
    /// The items' keys when every item is a constant; `nil` otherwise.
    private let constants: Set<MemberKey>?

    public init(_ items: [Expression]) {
        self.items = items
        var keys = Set<MemberKey>()
        var constant = true
        for item in items {
            guard let value = Self.constantValue(item) else { constant = false; break }
            if let key = MemberKey(value) { keys.insert(key) }
        }
        constants = constant ? keys : nil
    }

    public init(arrayLiteral elements: Expression...) { self.init(elements) }

    public var startIndex: Int { items.startIndex }
    public var endIndex: Int { items.endIndex }
    public subscript(position: Int) -> Expression { items[position] }

    public static func == (a: InList, b: InList) -> Bool { a.items == b.items }
    public func hash(into hasher: inout Hasher) { hasher.combine(items) }

    /// Whether a list of constants holds a value strictly equal to `value` (not nullish);
    /// `nil` when some item is not a constant and the caller must evaluate the items.
    func containsConstant(_ value: Value) -> Bool? {
        guard let constants else { return nil }
        guard let key = MemberKey(value) else { return false }
        return constants.contains(key)
    }

    /// The value of a constant item (`nil`: not a constant, `.some(nil)`: `NULL`).
    private static func constantValue(_ item: Expression) -> Value?? {
        switch item {
        case .literal(.null): return .some(nil)
        case .literal(.bool(let b)): return Value.bool(b)
        case .literal(.number(let n)): return n.value
        case .literal(.string(let s)): return Value.string(s)
        case .literal(.json(let v)): return v
        case .unary(.minus, .literal(.number(let n))): return Value.double(-n.doubleValue)
        case .unary(.plus, .literal(.number(let n))): return Value.double(n.doubleValue)
        default: return nil
        }
    }

    /// A value as `JS.strictEquals` tells values apart; containers and NaN equal nothing.
    private enum MemberKey: Hashable {
        case number(Double)
        case text([UInt8])
        case bool(Bool)

        init?(_ value: Value?) {
            switch value {
            case .bool(let b)?: self = .bool(b)
            case .string(let s)?: self = .text(Array(s.utf8))
            case .int(let i)?: self = .number(Double(i))
            case .double(let d)? where !d.isNaN: self = .number(d)
            default: return nil
            }
        }
    }
}
