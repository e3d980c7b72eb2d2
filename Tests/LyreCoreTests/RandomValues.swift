import LyreCore
import LyreTestSupport

/// Random `Value`s biased towards the edges codecs get wrong.
struct ValueGenerator {
    var rng: SplitMix64
    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    static let edgeInts: [Int64] = [
        0, 1, -1, 2, 9, 10, 127, 128, -128, 255, 256, 65535, 1 << 31, -(1 << 31),
        (1 << 53) - 1, 1 << 53, (1 << 53) + 1, (1 << 53) + 2, -(1 << 53), -(1 << 53) - 1, -(1 << 53) + 1,
        (1 << 62) + 511, (1 << 62) + 513, Int64.max, Int64.max - 1, Int64.max - 512, Int64.max - 513,
        Int64.min, Int64.min + 1, Int64.min + 512, Int64.min + 513, 1_660_585_635_882,
    ]
    static let edgeDoubles: [Double] = [
        0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 0.1, 1.5, 1e-7, 1e-6, 1e21, 1e20, 1e22, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
        2.2250738585072014e-308, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
        9007199254740992.0, -9007199254740992.0, 9007199254740994.0, 9223372036854775808.0,
        -9223372036854775808.0, 9223372036854774784.0, 1.8446744073709552e19, 1660585635882.288,
        1.2345678901234568e20, 0.30000000000000004, 4.35, 1e300, -1e-300,
    ]
    static let stringPieces: [String] = [
        "a", "b", "z", "A", "", "\0", "\u{1}", "é", "e\u{301}", "😀", "€", "\u{7F}", "\n", "\"", "\\", "/",
        "id", "name", " ", "\u{FFFF}", "\u{10FFFF}", "日本", "\u{2028}", "\t",
    ]

    mutating func int(_ upper: Int) -> Int { Int.random(in: 0..<upper, using: &rng) }

    mutating func number() -> Value {
        switch int(6) {
        case 0: return .int(Self.edgeInts[int(Self.edgeInts.count)])
        case 1: return .double(Self.edgeDoubles[int(Self.edgeDoubles.count)])
        case 2: return .int(Int64(bitPattern: rng.next()) >> Int64(int(64)))
        case 3:
            let d = Double(bitPattern: rng.next())
            return d.isFinite ? .double(d) : .double(Double(int(1000)) / 8)
        case 4: return .double(Double(Int64.random(in: -100_000...100_000, using: &rng)) / 1000)
        default:
            // An integral value as .int or .double, both forms of one number.
            let i = Self.edgeInts[int(Self.edgeInts.count)]
            return int(2) == 0 ? .int(i) : .double(Double(i))
        }
    }

    mutating func string() -> String {
        var s = ""
        for _ in 0..<int(6) { s += Self.stringPieces[int(Self.stringPieces.count)] }
        return s
    }

    /// A value that can be a key (no objects, no NaN).
    mutating func keyValue(depth: Int = 0) -> Value {
        switch int(depth < 2 ? 8 : 7) {
        case 0: return .null
        case 1: return .bool(int(2) == 0)
        case 2, 3: return number()
        case 4, 5, 6: return .string(string())
        default: return .array((0..<int(4)).map { _ in keyValue(depth: depth + 1) })
        }
    }

    /// Any value, objects included.
    mutating func value(depth: Int = 0) -> Value {
        switch int(depth < 3 ? 9 : 6) {
        case 0: return .null
        case 1: return .bool(int(2) == 0)
        case 2, 3: return number()
        case 4, 5: return .string(string())
        case 6, 7: return .array((0..<int(5)).map { _ in value(depth: depth + 1) })
        default: return .object(object(depth: depth + 1))
        }
    }

    mutating func object(depth: Int = 0) -> JSONObject {
        var object = JSONObject()
        for _ in 0..<int(7) { object[string()] = value(depth: depth) }
        return object
    }
}

/// Equality up to what JSON keeps: numbers equal by value as doubles (ints exactly),
/// non-finite doubles as `null`.
func jsonEquivalent(_ a: Value, _ b: Value) -> Bool {
    switch (a, b) {
    case (.double(let d), .null) where !d.isFinite: return true
    case (.int(let x), .int(let y)): return x == y
    case (.int, .double), (.double, .int), (.double, .double): return a.doubleValue == b.doubleValue
    case (.array(let x), .array(let y)):
        return x.count == y.count && zip(x, y).allSatisfy { jsonEquivalent($0, $1) }
    case (.object(let x), .object(let y)):
        return x.count == y.count && zip(x.entries, y.entries).allSatisfy { $0.key == $1.key && jsonEquivalent($0.value, $1.value) }
    default: return a == b
    }
}
