internal import LyreCore

/// A value during evaluation. JSONata distinguishes plain arrays from *sequences* (results
/// of path steps, flattened and collapsed by the rules of sql-functions.md §8.2) and from
/// arrays built by an array constructor used as a path step (`cons`, never flattened).
/// *Undefined* is Swift's `nil` (`JSONataValue?`).
indirect enum JSONataValue {
    /// A JSON value from the input or a literal; arrays in it are plain arrays.
    case json(Value)
    /// An array built during evaluation.
    case array([JSONataValue], JSONataArrayFlags)
    case function(JSONataFunction)

    static func sequence(_ items: [JSONataValue] = [], _ extra: JSONataArrayFlags = []) -> JSONataValue {
        .array(items, extra.union(.sequence))
    }

    /// The elements when this is an array of any kind.
    var arrayItems: [JSONataValue]? {
        switch self {
        case .json(.array(let items)): items.map { .json($0) }
        case .array(let items, _): items
        default: nil
        }
    }

    var isArray: Bool {
        switch self {
        case .json(.array), .array: true
        default: false
        }
    }

    var flags: JSONataArrayFlags {
        if case .array(_, let flags) = self { return flags }
        return []
    }

    var isSequence: Bool { flags.contains(.sequence) }

    var number: Double? {
        if case .json(let v) = self, let d = v.doubleValue, d.isFinite { return d }
        return nil
    }

    var string: String? {
        if case .json(.string(let s)) = self { return s }
        return nil
    }

    var isFunction: Bool {
        if case .function = self { return true }
        return false
    }

    /// The JSON form of the value: sequences become arrays, functions are dropped
    /// (undefined at top level, omitted inside arrays, as `JSON.stringify` drops them).
    func toValue() -> Value? {
        switch self {
        case .json(let v): return v
        case .array(let items, _): return .array(items.compactMap { $0.toValue() })
        case .function: return nil
        }
    }

    /// JavaScript's `typeof` as JSONata reports it in error texts.
    var typeName: String {
        switch self {
        case .json(let v): v.typeName == "array" ? "object" : v.typeName
        case .array: "object"
        case .function: "function"
        }
    }

    /// A number result: integral values within ±2^53 become `.int`, as JavaScript prints them.
    static func number(_ d: Double) -> JSONataValue {
        .json(Self.numberValue(d))
    }

    static func numberValue(_ d: Double) -> Value {
        if d == d.rounded(), abs(d) <= 9_007_199_254_740_992 {
            return .int(Int64(d))
        }
        return .double(d)
    }
}

struct JSONataArrayFlags: OptionSet {
    let rawValue: UInt8
    static let sequence = JSONataArrayFlags(rawValue: 1)
    static let keepSingleton = JSONataArrayFlags(rawValue: 2)
    /// The top-level input array wrapped into a one-item sequence.
    static let outerWrapper = JSONataArrayFlags(rawValue: 4)
    /// Built by an array constructor that is the first or last step of a path.
    static let cons = JSONataArrayFlags(rawValue: 8)
}

/// A function value: a built-in (`$uppercase`) or a lambda (`function($x) { … }`).
enum JSONataFunction {
    case builtin(String)
    case lambda(parameters: [String], body: JSONataNode, input: JSONataValue?, frame: JSONataFrame)
    /// A regular-expression literal (`/ab+/i`), usable as an argument of `$contains`.
    case regex(pattern: String, flags: String)

    var arity: Int {
        switch self {
        case .builtin, .regex: 1
        case .lambda(let parameters, _, _, _): parameters.count
        }
    }
}

/// Variable bindings of one scope (lambda parameters, `:=`), chained to the enclosing scope.
final class JSONataFrame {
    private var bindings: [String: JSONataValue] = [:]
    private let parent: JSONataFrame?

    init(parent: JSONataFrame?) { self.parent = parent }

    func bind(_ name: String, _ value: JSONataValue?) {
        bindings[name] = value
    }

    func lookup(_ name: String) -> JSONataValue? {
        if let value = bindings[name] { return value }
        return parent?.lookup(name)
    }
}

extension Value {
    /// Deep equality with numbers compared by value (`1` equals `1.0`), as JSONata's `=`.
    func jsonataEquals(_ other: Value) -> Bool {
        switch (self, other) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.int(let a), .int(let b)): return a == b
        case (.int, .double), (.double, .int), (.double, .double):
            return doubleValue == other.doubleValue
        case (.array(let a), .array(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.jsonataEquals($1) }
        case (.object(let a), .object(let b)):
            guard a.count == b.count else { return false }
            for entry in a.entries {
                guard let v = b[entry.key], entry.value.jsonataEquals(v) else { return false }
            }
            return true
        default: return false
        }
    }
}
