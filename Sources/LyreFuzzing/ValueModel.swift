package import LyreCore

/// Values built from fuzzer bytes, and the reference semantics the codecs are checked
/// against: bitwise identity, the key codec's normalization, and the key order `KeyCodec`
/// documents, written here independently of the codec.
package enum ValueModel {
    static let interestingInts: [Int64] = [
        0, 1, -1, 127, -128, 1 << 31, 1 << 52, 1 << 53, (1 << 53) + 1, -(1 << 53), -(1 << 53) - 1,
        1 << 62, (1 << 62) + 1, Int64.max, Int64.max - 511, Int64.max - 512, Int64.max - 1024,
        Int64.min, Int64.min + 1, Int64.min + 1024,
    ]

    static let interestingDoubles: [Double] = [
        0, -0.0, 1, -1, 0.5, -0.5, 0.1, 1.5, 123.456, 1e21, 1e-7, -1e300,
        .infinity, -.infinity, .nan, -.nan, .ulpOfOne, .leastNonzeroMagnitude, .leastNormalMagnitude,
        .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
        9_007_199_254_740_992, 9_007_199_254_740_994, 4_503_599_627_370_495.5,
        9_223_372_036_854_775_808.0, -9_223_372_036_854_775_808.0, 18_446_744_073_709_551_616.0,
    ]

    /// A value chosen by `input`; containers nest at most `depth` levels.
    static func value(_ input: inout FuzzInput, depth: Int = 4, objects: Bool = true) -> Value {
        let choice = input.byte()
        switch choice % 8 {
        case 0: return .null
        case 1: return .bool(choice & 0x80 != 0)
        case 2: return .int(int(&input, choice))
        case 3: return .double(double(&input, choice))
        case 4, 5: return .string(string(&input))
        case 6 where depth > 0:
            let count = Int(input.byte() % 6)
            return .array((0..<count).map { _ in value(&input, depth: depth - 1, objects: objects) })
        case 7 where depth > 0 && objects:
            return .object(object(&input, depth: depth - 1))
        default:
            return .string(string(&input))
        }
    }

    /// An object with distinct keys (distinct as UTF-8 bytes).
    static func object(_ input: inout FuzzInput, depth: Int) -> JSONObject {
        let count = Int(input.byte() % 6)
        var object = JSONObject()
        var seen: Set<[UInt8]> = []
        for _ in 0..<count {
            let key = string(&input)
            guard seen.insert(Array(key.utf8)).inserted else { continue }
            object.appendUnchecked(key, value(&input, depth: depth))
        }
        return object
    }

    static func int(_ input: inout FuzzInput, _ choice: UInt8) -> Int64 {
        switch (choice >> 3) % 4 {
        case 0: return Int64(Int8(bitPattern: input.byte()))
        case 1:
            let base = interestingInts[Int(input.byte()) % interestingInts.count]
            return base &+ Int64(Int8(bitPattern: input.byte()))
        case 2:
            // An integer next to a large double: where the residual bytes matter.
            let d = double(&input, input.byte())
            guard d.isFinite, d > -9.2e18, d < 9.2e18 else { return Int64.max &- Int64(input.byte()) }
            return Int64(d) &+ Int64(Int8(bitPattern: input.byte()))
        default: return Int64(bitPattern: input.uint64())
        }
    }

    static func double(_ input: inout FuzzInput, _ choice: UInt8) -> Double {
        switch (choice >> 3) % 4 {
        case 0:
            return interestingDoubles[Int(input.byte()) % interestingDoubles.count]
        case 1:
            var d = interestingDoubles[Int(input.byte()) % interestingDoubles.count]
            let steps = Int8(bitPattern: input.byte())
            for _ in 0..<steps.magnitude { d = steps < 0 ? d.nextDown : d.nextUp }
            return d
        case 2:
            return Double(interestingInts[Int(input.byte()) % interestingInts.count] &+ Int64(Int8(bitPattern: input.byte())))
        default:
            return Double(bitPattern: input.uint64())
        }
    }

    /// A string from raw bytes (invalid UTF-8 repaired), often with NUL and 0xFF bytes.
    static func string(_ input: inout FuzzInput) -> String {
        let length = Int(input.byte() % 12)
        return String(decoding: input.take(length), as: UTF8.self)
    }

    // MARK: Reference semantics

    /// Equality that tells apart what the codecs must keep apart: doubles by bit pattern
    /// (NaN equals itself, `-0.0` differs from `0.0`), strings by UTF-8 bytes (not by
    /// Unicode canonical equivalence as `String.==`), objects by entries in order.
    static func identical(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.double(let x), .double(let y)): return x.bitPattern == y.bitPattern
        case (.string(let x), .string(let y)): return x.utf8.elementsEqual(y.utf8)
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { identical($0, $1) }
        case (.object(let x), .object(let y)): return identical(x, y)
        default: return false
        }
    }

    static func identical(_ a: JSONObject, _ b: JSONObject) -> Bool {
        a.count == b.count && zip(a.entries, b.entries).allSatisfy {
            $0.key.utf8.elementsEqual($1.key.utf8) && identical($0.value, $1.value)
        }
    }

    /// Numbers equal as JavaScript compares them count as equal (`.int(5)` and `.double(5)`,
    /// `0` and `-0.0`; an integer and a double when the integer rounds to that double);
    /// everything else as `identical`. What a JSON write and re-read must preserve: a double
    /// of 2⁵³ or more is written as its shortest digits (`7.777777777777778e16` as
    /// `77777777777777780`), which read back as that exact `Int64`, the same double in
    /// JavaScript but not the same integer.
    static func numericallyEqual(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.int(let i), .double(let d)), (.double(let d), .int(let i)):
            return Double(i) == d
        case (.double(let x), .double(let y)):
            return x == y
        case (.array(let x), .array(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { numericallyEqual($0, $1) }
        case (.object(let x), .object(let y)):
            return x.count == y.count && zip(x.entries, y.entries).allSatisfy {
                $0.key.utf8.elementsEqual($1.key.utf8) && numericallyEqual($0.value, $1.value)
            }
        default:
            return identical(a, b)
        }
    }

    /// `value` with NaN and infinities replaced by `null`, as the JSON writer writes them.
    static func finite(_ value: Value) -> Value {
        switch value {
        case .double(let d) where !d.isFinite: return .null
        case .array(let elements): return .array(elements.map(finite))
        case .object(let object):
            return .object(JSONObject(entries: object.entries.map { JSONObject.Entry(key: $0.key, value: finite($0.value)) }))
        default: return value
        }
    }

    /// Whether `KeyCodec` can encode `value` (no objects, no NaN, at any depth).
    static func isKeyEncodable(_ value: Value) -> Bool {
        switch value {
        case .object: return false
        case .double(let d): return !d.isNaN
        case .array(let elements): return elements.allSatisfy(isKeyEncodable)
        default: return true
        }
    }

    /// What `KeyCodec.decode(KeyCodec.encode(value))` gives back: numbers that are integral
    /// and within `Int64` as `.int` (so `-0.0` as `0`), other numbers as `.double`.
    static func keyNormalized(_ value: Value) -> Value {
        switch value {
        case .double(let d):
            if d.rounded() == d, d >= -9_223_372_036_854_775_808.0, d < 9_223_372_036_854_775_808.0 {
                return .int(Int64(d))
            }
            return .double(d)
        case .array(let elements): return .array(elements.map(keyNormalized))
        default: return value
        }
    }

    /// The key order `KeyCodec` documents: null < false < true < numbers (numeric, across
    /// `.int` and `.double`) < strings (UTF-8 byte order) < arrays (element-wise, shorter
    /// first). Only for key-encodable values. Returns -1, 0 or 1.
    package static func keyOrder(_ a: Value, _ b: Value) -> Int {
        let (ra, rb) = (rank(a), rank(b))
        if ra != rb { return ra < rb ? -1 : 1 }
        switch (a, b) {
        case (.string(let x), .string(let y)):
            return lexicographic(Array(x.utf8), Array(y.utf8))
        case (.array(let x), .array(let y)):
            for (p, q) in zip(x, y) {
                let c = keyOrder(p, q)
                if c != 0 { return c }
            }
            return x.count == y.count ? 0 : (x.count < y.count ? -1 : 1)
        case (.int, _), (.double, _):
            return compareNumbers(a, b)
        default:
            return 0
        }
    }

    private static func rank(_ value: Value) -> Int {
        switch value {
        case .null: 0
        case .bool(false): 1
        case .bool(true): 2
        case .int, .double: 3
        case .string: 4
        case .array: 5
        case .object: 6
        }
    }

    /// Exact comparison of two numbers (no NaN), -1, 0 or 1.
    static func compareNumbers(_ a: Value, _ b: Value) -> Int {
        switch (a, b) {
        case (.int(let x), .int(let y)): return x == y ? 0 : (x < y ? -1 : 1)
        case (.double(let x), .double(let y)): return x == y ? 0 : (x < y ? -1 : 1)
        case (.int(let x), .double(let y)): return compare(x, y)
        case (.double(let x), .int(let y)): return -compare(y, x)
        default: return 0
        }
    }

    /// `i` against `d` exactly (no rounding of `i` to a double).
    private static func compare(_ i: Int64, _ d: Double) -> Int {
        if d >= 9_223_372_036_854_775_808.0 { return -1 }
        if d < -9_223_372_036_854_775_808.0 { return 1 }
        let whole = d.rounded(.towardZero)
        let w = Int64(whole)
        if i != w { return i < w ? -1 : 1 }
        let fraction = d - whole
        return fraction > 0 ? -1 : (fraction < 0 ? 1 : 0)
    }

    package static func lexicographic(_ x: [UInt8], _ y: [UInt8]) -> Int {
        for (p, q) in zip(x, y) where p != q { return p < q ? -1 : 1 }
        return x.count == y.count ? 0 : (x.count < y.count ? -1 : 1)
    }

    static func describe(_ value: Value) -> String {
        switch value {
        case .double(let d): return "double(\(d), bits 0x\(String(d.bitPattern, radix: 16)))"
        case .array(let elements): return "[" + elements.map(describe).joined(separator: ", ") + "]"
        case .object(let object):
            return "{" + object.entries.map { "\(show($0.key.utf8)): \(describe($0.value))" }.joined(separator: ", ") + "}"
        case .string(let s): return "string(\(show(s.utf8)))"
        default: return "\(value)"
        }
    }
}
