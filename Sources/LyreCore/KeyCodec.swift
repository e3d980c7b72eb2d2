/// The order-preserving key encoding: `memcmp` order of encodings == `Value` index order.
///
/// Order: null < false < true < numbers (numeric order across `.int` and `.double`;
/// `1` and `1.0` encode identically) < strings (byte order of UTF-8) < arrays
/// (element-wise, shorter first). Objects and NaN are not encodable as keys.
///
/// ## Byte layout
///
/// Every encoding starts with a one-byte type tag:
///
/// | value  | bytes |
/// |--------|-------|
/// | null   | `01` |
/// | false  | `02` |
/// | true   | `03` |
/// | number | `04` · 8-byte ordered double · (2-byte residual when \|d\| ≥ 2⁵³) |
/// | string | `05` · UTF-8 bytes (top level); `05` · escaped UTF-8 · `00` (inside an array) |
/// | array  | `06` · element encodings · `00` |
///
/// **Numbers.** `d` is the number as a `Double` (`-0.0` becomes `0.0`; an `Int64` is
/// rounded to nearest). The ordered double is `d`'s IEEE bits, big-endian, with the sign
/// bit flipped for positives and all bits inverted for negatives, so memcmp follows
/// numeric order. When `|d| ≥ 2⁵³` (where doubles are no longer dense in the integers)
/// two more bytes follow: the exact integer's offset `i - d` (within ±1024) plus `0x8000`,
/// big-endian; a double's offset is 0. So every distinct `Int64` gets its own key in exact
/// order, and an integral double and the equal `Int64` share one key. Whether the two
/// residual bytes are present depends only on `d`, so numbers that tie on the first eight
/// bytes have the same length, and the encoding needs no terminator inside arrays.
///
/// **Strings.** At the top level the key is the whole LMDB key, so the raw UTF-8 follows
/// the tag. Inside an array each `00` byte is written `00 FF` and the string ends with
/// `00`; since every tag and the array end are below `FF`, `["a"] < ["a", 1] < ["a\0"] < ["b"]`.
///
/// **Arrays.** Elements in order, then `00` (below every tag), so a prefix sorts first.
///
/// Decoding gives back `.int` for numbers that are integral and within `Int64`, else `.double`.
public enum KeyCodec {
    /// LMDB's maximum key size on Debian's build.
    public static let maximumKeySize = 511

    public static let nullTag: UInt8 = 0x01
    public static let falseTag: UInt8 = 0x02
    public static let trueTag: UInt8 = 0x03
    public static let numberTag: UInt8 = 0x04
    public static let stringTag: UInt8 = 0x05
    public static let arrayTag: UInt8 = 0x06
    /// Ends an array, and (inside an array) a string.
    static let terminator: UInt8 = 0x00
    /// Follows a `00` byte inside an array's string to mark it as data, not the end.
    static let escapedZero: UInt8 = 0xFF

    /// Appends the encoding of `value` to `output`. Returns `false` (appending nothing)
    /// for values that cannot be keys (objects, NaN, arrays holding either).
    @discardableResult
    public static func encode(_ value: Value, into output: inout [UInt8]) -> Bool {
        appendWhole(value, nested: false, into: &output)
    }

    public static func encode(_ value: Value) -> [UInt8]? {
        var out: [UInt8] = []
        return encode(value, into: &out) ? out : nil
    }

    /// Appends the self-delimiting encoding of `value` (strings escaped and terminated, as
    /// inside an array), so that bytes may follow it without changing the order: `memcmp` of
    /// `encoding(a) · x` and `encoding(b) · y` orders by `a`, `b` first, provided `x` and `y`
    /// do not start with `FF` (a key's type tag, `01`–`06`, never does). An encoding can be
    /// a prefix of another: `""` is `05 00`, `"\0"` is `05 00 FF 00` (found by fuzzing).
    /// Returns `false` (appending nothing) for values that cannot be keys.
    @discardableResult
    public static func encodeDelimited(_ value: Value, into output: inout [UInt8]) -> Bool {
        appendWhole(value, nested: true, into: &output)
    }

    /// `append`, leaving `output` as it was when the value cannot be a key.
    private static func appendWhole(_ value: Value, nested: Bool, into output: inout [UInt8]) -> Bool {
        let start = output.count
        if append(value, nested: nested, into: &output) { return true }
        output.removeSubrange(start...)
        return false
    }

    /// Decodes one self-delimiting encoding (`encodeDelimited`) that fills `bytes`.
    ///
    /// - Throws: `LyreError.internalError` when the bytes are not such an encoding.
    public static func decodeDelimited(_ bytes: UnsafeRawBufferPointer) throws -> Value {
        var reader = KeyReader(bytes: bytes)
        let value = try reader.read(nested: true, depth: 0)
        guard reader.position == bytes.count else { throw reader.malformed("trailing bytes") }
        return value
    }

    /// The length of the self-delimiting encoding (`encodeDelimited`) at the start of
    /// `bytes` (other bytes may follow it), found without decoding it; `nil` when the bytes do
    /// not start with one.
    public static func delimitedLength(_ bytes: UnsafeRawBufferPointer) -> Int? {
        var reader = KeyReader(bytes: bytes)
        return reader.skip(depth: 0) ? reader.position : nil
    }

    /// The bytes that begin the key of every string starting with `prefix` (and only of
    /// those): a `starts_with` scan covers keys `k` with `k.starts(with: encodeStringPrefix(p))`.
    public static func encodeStringPrefix(_ prefix: String) -> [UInt8] {
        var out: [UInt8] = [stringTag]
        out.append(contentsOf: prefix.utf8)
        return out
    }

    /// The bytes that begin the self-delimiting encoding (`encodeDelimited`) of every string
    /// starting with `prefix`, and only of those.
    public static func encodeDelimitedStringPrefix(_ prefix: String) -> [UInt8] {
        var out: [UInt8] = [stringTag]
        for byte in prefix.utf8 {
            out.append(byte)
            if byte == terminator { out.append(escapedZero) }
        }
        return out
    }

    /// The key range holding every value of one type, for range scans: keys `k` with
    /// `lower <= k < upper`. `tag` is one of the `...Tag` constants (`falseTag` and
    /// `trueTag` are one value each).
    public static func range(ofTag tag: UInt8) -> (lower: [UInt8], upper: [UInt8]) {
        ([tag], [tag &+ 1])
    }

    /// Decodes one encoded key.
    ///
    /// - Throws: `LyreError.internalError` when the bytes are not a key encoding.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws -> Value {
        var reader = KeyReader(bytes: bytes)
        let value = try reader.read(nested: false, depth: 0)
        guard reader.position == bytes.count else { throw reader.malformed("trailing bytes") }
        return value
    }

    public static func decode(_ bytes: [UInt8]) throws -> Value {
        try bytes.withUnsafeBytes { try decode($0) }
    }

    // MARK: Encoding

    private static func append(_ value: Value, nested: Bool, into output: inout [UInt8]) -> Bool {
        switch value {
        case .null: output.append(nullTag)
        case .bool(let b): output.append(b ? trueTag : falseTag)
        case .int(let i): appendInt(i, into: &output)
        case .double(let d):
            guard !d.isNaN else { return false }
            appendNumber(d == 0 ? 0 : d, residual: 0, into: &output)
        case .string(var s):
            output.append(stringTag)
            s.withUTF8 { utf8 in
                if !nested {
                    output.append(contentsOf: utf8)
                    return
                }
                var runStart = 0
                for i in 0..<utf8.count where utf8[i] == 0 {
                    output.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...i]))
                    output.append(escapedZero)
                    runStart = i + 1
                }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
                output.append(terminator)
            }
        case .array(let elements):
            output.append(arrayTag)
            for element in elements {
                guard append(element, nested: true, into: &output) else { return false }
            }
            output.append(terminator)
        case .object:
            return false
        }
        return true
    }

    private static let twoTo53: Double = 9_007_199_254_740_992
    private static let twoTo63: Double = 9_223_372_036_854_775_808

    private static func appendInt(_ i: Int64, into output: inout [UInt8]) {
        let d = Double(i)
        guard d.magnitude >= twoTo53 else {
            appendNumber(d, residual: 0, into: &output)
            return
        }
        let residual: Int64
        if d == twoTo63 {
            residual = (i - Int64.max) - 1  // i - 2^63, without overflow
        } else {
            residual = i - Int64(d)
        }
        appendNumber(d, residual: Int16(residual), into: &output)
    }

    private static func appendNumber(_ d: Double, residual: Int16, into output: inout [UInt8]) {
        output.append(numberTag)
        var bits = d.bitPattern
        bits = bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63)
        withUnsafeBytes(of: bits.bigEndian) { output.append(contentsOf: $0) }
        if d.magnitude >= twoTo53 {
            let r = UInt16(bitPattern: residual) ^ 0x8000
            output.append(UInt8(truncatingIfNeeded: r >> 8))
            output.append(UInt8(truncatingIfNeeded: r))
        }
    }

    // MARK: Decoding

    private struct KeyReader {
        let bytes: UnsafeRawBufferPointer
        var position = 0

        func malformed(_ what: String) -> LyreError {
            LyreError.internalError(CodecError("malformed key: \(what) at byte \(position)"))
        }

        mutating func byte() throws -> UInt8 {
            guard position < bytes.count else { throw malformed("unexpected end") }
            defer { position += 1 }
            return bytes[position]
        }

        mutating func read(nested: Bool, depth: Int) throws -> Value {
            let tag = try byte()
            switch tag {
            case KeyCodec.nullTag: return .null
            case KeyCodec.falseTag: return .bool(false)
            case KeyCodec.trueTag: return .bool(true)
            case KeyCodec.numberTag: return try readNumber()
            case KeyCodec.stringTag:
                if !nested {
                    defer { position = bytes.count }
                    return .string(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[position...]), as: UTF8.self))
                }
                var utf8: [UInt8] = []
                while true {
                    let b = try byte()
                    if b != KeyCodec.terminator {
                        utf8.append(b)
                    } else if position < bytes.count && bytes[position] == KeyCodec.escapedZero {
                        utf8.append(0)
                        position += 1
                    } else {
                        break
                    }
                }
                return .string(String(decoding: utf8, as: UTF8.self))
            case KeyCodec.arrayTag:
                guard depth < RecordCodec.maximumDepth else { throw malformed("nesting too deep") }
                var elements: [Value] = []
                while true {
                    guard position < bytes.count else { throw malformed("unterminated array") }
                    if bytes[position] == KeyCodec.terminator {
                        position += 1
                        return .array(elements)
                    }
                    elements.append(try read(nested: true, depth: depth + 1))
                }
            default:
                position -= 1
                throw malformed("unknown tag \(tag)")
            }
        }

        /// Moves past one self-delimiting encoding; false when it is malformed or cut.
        mutating func skip(depth: Int) -> Bool {
            guard position < bytes.count else { return false }
            let tag = bytes[position]
            position += 1
            switch tag {
            case KeyCodec.nullTag, KeyCodec.falseTag, KeyCodec.trueTag:
                return true
            case KeyCodec.numberTag:
                guard bytes.count - position >= 8 else { return false }
                var bits: UInt64 = 0
                for _ in 0..<8 { bits = bits << 8 | UInt64(bytes[position]); position += 1 }
                bits = bits & (1 << 63) != 0 ? bits & ~(1 << 63) : ~bits
                let d = Double(bitPattern: bits)
                guard !d.isNaN else { return false }
                if d.magnitude >= KeyCodec.twoTo53 {
                    guard bytes.count - position >= 2 else { return false }
                    position += 2
                }
                return true
            case KeyCodec.stringTag:
                while position < bytes.count {
                    let b = bytes[position]
                    position += 1
                    if b == KeyCodec.terminator {
                        guard position < bytes.count, bytes[position] == KeyCodec.escapedZero else { return true }
                        position += 1
                    }
                }
                return false
            case KeyCodec.arrayTag:
                guard depth < RecordCodec.maximumDepth else { return false }
                while position < bytes.count {
                    if bytes[position] == KeyCodec.terminator {
                        position += 1
                        return true
                    }
                    guard skip(depth: depth + 1) else { return false }
                }
                return false
            default:
                return false
            }
        }

        mutating func readNumber() throws -> Value {
            guard bytes.count - position >= 8 else { throw malformed("short number") }
            var bits: UInt64 = 0
            for _ in 0..<8 { bits = bits << 8 | UInt64(bytes[position]); position += 1 }
            bits = bits & (1 << 63) != 0 ? bits & ~(1 << 63) : ~bits
            let d = Double(bitPattern: bits)
            guard !d.isNaN else { throw malformed("NaN") }
            var residual: Int64 = 0
            if d.magnitude >= KeyCodec.twoTo53 {
                let high = try byte()
                let low = try byte()
                residual = Int64(UInt16(high) << 8 | UInt16(low)) - 0x8000
            }
            let integral = d >= -KeyCodec.twoTo63 && d < KeyCodec.twoTo63 && Double(Int64(d)) == d
            if residual == 0 {
                return integral ? .int(Int64(d)) : .double(d)
            }
            if d == KeyCodec.twoTo63 && residual < 0 {
                return .int(Int64.max + (residual + 1))
            }
            guard integral else { throw malformed("residual on a non-integral number") }
            let (sum, overflow) = Int64(d).addingReportingOverflow(residual)
            guard !overflow else { throw malformed("integer out of range") }
            return .int(sum)
        }
    }
}

/// What went wrong decoding stored bytes: carried as `LyreError.internalError`'s cause (logs only).
struct CodecError: Error, Sendable, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
