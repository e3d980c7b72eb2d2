public import LyreCore

/// JavaScript value semantics Harper's AlaSQL evaluation relies on (sql.md §4).
/// Throughout evaluation `Value?` is used, `nil` meaning JavaScript `undefined`.
public enum JS {
    /// Truthiness: `false`, `0`, `''`, null, undefined and NaN are falsy (sql.md §4.1).
    public static func truthy(_ v: Value?) -> Bool {
        switch v {
        case nil, .null?: false
        case .bool(let b)?: b
        case .int(let i)?: i != 0
        case .double(let d)?: d != 0 && !d.isNaN
        case .string(let s)?: !s.isEmpty
        case .array?, .object?: true
        }
    }

    /// Null or undefined.
    public static func isNullish(_ v: Value?) -> Bool {
        switch v {
        case nil, .null?: true
        default: false
        }
    }

    /// JavaScript `Number(v)`.
    public static func toNumber(_ v: Value?) -> Double {
        switch v {
        case nil: .nan
        case .null?: 0
        case .bool(let b)?: b ? 1 : 0
        case .int(let i)?: Double(i)
        case .double(let d)?: d
        case .string(let s)?: SQLNumber.parse(s)
        case .array(let a)?: a.isEmpty ? 0 : a.count == 1 ? SQLNumber.parse(toString(a[0])) : .nan
        case .object?: .nan
        }
    }

    /// JavaScript `String(v)`.
    public static func toString(_ v: Value?) -> String {
        switch v {
        case nil: "undefined"
        case .null?: "null"
        case .bool(let b)?: b ? "true" : "false"
        case .int(let i)?: String(i)
        case .double(let d)?: SQLNumber.format(d)
        case .string(let s)?: s
        case .array(let a)?: a.map { isNullish($0) ? "" : toString($0) }.joined(separator: ",")
        case .object?: "[object Object]"
        }
    }

    /// Strict equality for SQL `=`: same JSON type and value; arrays and objects never equal.
    public static func strictEquals(_ a: Value?, _ b: Value?) -> Bool {
        switch (a, b) {
        case (nil, nil), (.null?, .null?): return true
        case (.bool(let x)?, .bool(let y)?): return x == y
        case (.string(let x)?, .string(let y)?): return sameText(x, y)
        default:
            if let x = a?.doubleValue, let y = b?.doubleValue { return x == y }
            return false
        }
    }

    /// Loose equality (`==`): numbers against numeric strings and booleans compare numerically.
    public static func looseEquals(_ a: Value?, _ b: Value?) -> Bool {
        if isNullish(a) || isNullish(b) { return isNullish(a) && isNullish(b) }
        switch (a!, b!) {
        case (.array, _), (.object, _), (_, .array), (_, .object):
            // Objects compare by identity in JS; two distinct SQL values never match.
            return false
        case (.string(let x), .string(let y)): return sameText(x, y)
        default: return toNumber(a) == toNumber(b)
        }
    }

    /// JavaScript relational comparison `a < b` (`orEqual` for `<=`): two strings compare by
    /// UTF-16 code units, anything else numerically (NaN makes it false).
    public static func lessThan(_ a: Value?, _ b: Value?, orEqual: Bool = false) -> Bool {
        if case .string(let x)? = a, case .string(let y)? = b {
            return orEqual ? !utf16Less(y, x) : utf16Less(x, y)
        }
        let x = primitiveNumber(a), y = primitiveNumber(b)
        if x.isNaN || y.isNaN { return false }
        return orEqual ? x <= y : x < y
    }

    /// Numeric conversion for relational operators; arrays and objects first become strings.
    private static func primitiveNumber(_ v: Value?) -> Double {
        switch v {
        case .array?, .object?: SQLNumber.parse(toString(v))
        default: toNumber(v)
        }
    }

    /// JavaScript string equality: same UTF-16 code units (Swift's `==` would also equate
    /// canonically equivalent texts such as precomposed and decomposed accents).
    public static func sameText(_ x: String, _ y: String) -> Bool {
        x.utf16.elementsEqual(y.utf16)
    }

    /// UTF-16 code-unit order (JavaScript string order).
    public static func utf16Less(_ x: String, _ y: String) -> Bool {
        x.utf16.lexicographicallyPrecedes(y.utf16)
    }

    /// ToInt32 of ECMAScript (for `^`, `CAST … AS INT`).
    public static func toInt32(_ d: Double) -> Int32 {
        guard d.isFinite else { return 0 }
        let t = d.rounded(.towardZero)
        let m = t.truncatingRemainder(dividingBy: 4_294_967_296)
        let u = m < 0 ? m + 4_294_967_296 : m
        return Int32(truncatingIfNeeded: UInt32(u))
    }

    /// Deep equality of two values (for `DISTINCT_ARRAY`, grouping): numbers by value.
    public static func deepEquals(_ a: Value?, _ b: Value?) -> Bool {
        switch (a, b) {
        case (.array(let x)?, .array(let y)?):
            return x.count == y.count && zip(x, y).allSatisfy { deepEquals($0, $1) }
        case (.object(let x)?, .object(let y)?):
            return x.count == y.count && x.allSatisfy { entry in deepEquals(entry.value, y[entry.key]) }
        default:
            return strictEquals(a, b)
        }
    }

    /// A hashable key that identifies values under `deepEquals` (numbers normalized).
    public static func groupKey(_ v: Value?) -> Value {
        switch v {
        case nil: return .null
        case .double(let d)?: return SQLNumber.value(d)
        case .array(let a)?: return .array(a.map { groupKey($0) })
        case .object(let o)?:
            return .object(JSONObject(entries: o.entries.map { .init(key: $0.key, value: groupKey($0.value)) }))
        case let other?: return other
        }
    }
}
