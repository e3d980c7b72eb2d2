/// Where the JSON writer puts bytes. `[UInt8]` conforms here; LyreServer makes NIO's
/// `ByteBuffer` conform, so responses are encoded straight into the response buffer.
public protocol JSONOutput {
    mutating func writeByte(_ byte: UInt8)
    mutating func writeBytes(_ bytes: UnsafeRawBufferPointer)
}

extension Array: JSONOutput where Element == UInt8 {
    @inlinable public mutating func writeByte(_ byte: UInt8) { append(byte) }
    @inlinable public mutating func writeBytes(_ bytes: UnsafeRawBufferPointer) { append(contentsOf: bytes) }
}

/// Byte-level JSON (RFC 8259) reading and writing for `Value`.
///
/// Reading (`parse`):
/// - integers that fit `Int64` become `.int`; fractions, exponents and out-of-range
///   integers become `.double` (correctly rounded);
/// - object keys keep their order; a duplicate key replaces the earlier value but keeps
///   the earlier position (as JavaScript's `JSON.parse` does);
/// - a lone UTF-16 surrogate escape (`"\uD800"`) becomes U+FFFD, since a Swift `String`
///   cannot hold it; invalid UTF-8 in the input is likewise repaired to U+FFFD;
/// - errors are `LyreError` (400) worded as Node words them, e.g.
///   `Unexpected token } in JSON at position 12` or `Unexpected end of JSON input`;
///   positions are byte offsets.
///
/// Writing (`write`, `encode`, `string`) is compact and matches `JSON.stringify`:
/// `/` and non-ASCII are not escaped, doubles print as JavaScript prints numbers
/// (`38.0` → `38`, `1e21` → `1e+21`, `-0.0` → `0`, NaN and infinities → `null`).
///
/// ```swift
/// let value = try JSON.parse(#"{"id":1,"name":"Penny"}"#)
/// JSON.string(value)   // {"id":1,"name":"Penny"}
/// ```
public enum JSON {
    /// The deepest nesting of arrays/objects accepted by `parse`.
    public static let maximumDepth = 512

    /// Parses one JSON text.
    ///
    /// - Parameter bytes: UTF-8 JSON text; whitespace may surround the value, nothing else.
    /// - Throws: `LyreError` (400) with a message naming the byte position.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws -> Value {
        var reader = JSONReader(bytes)
        return try reader.parseDocument()
    }

    /// Parses one JSON text, reserving from `budget` the memory its tree will take (an
    /// estimate: values, containers' storage, heap strings). `prepaid` bytes reserved
    /// already (the body's reservation, whose bytes the caller took) are used first; what
    /// the estimate does not need of them is given back.
    ///
    /// - Returns: The value and its reservation, which gives the bytes back when it goes
    ///   away: keep it as long as the value.
    /// - Throws: `LyreError.requestTooLarge` (413) once the tree would not fit in what the
    ///   budget has left; the reservation made so far is given back.
    public static func parse(_ bytes: UnsafeRawBufferPointer, charging budget: MemoryBudget, prepaid: Int = 0)
        throws -> (Value, MemoryBudget.Reservation)
    {
        var reader = JSONReader(bytes, budget: budget, prepaid: prepaid)
        do {
            let value = try reader.parseDocument()
            return (value, reader.takeReservation())
        } catch {
            reader.releaseReservation()
            throw error
        }
    }

    public static func parse(_ bytes: [UInt8], charging budget: MemoryBudget, prepaid: Int = 0)
        throws -> (Value, MemoryBudget.Reservation)
    {
        try bytes.withUnsafeBytes { (p) throws -> (Value, MemoryBudget.Reservation) in
            try parse(p, charging: budget, prepaid: prepaid)
        }
    }

    public static func parse(_ bytes: [UInt8]) throws -> Value {
        try bytes.withUnsafeBytes { (p) throws -> Value in try parse(p) }
    }

    public static func parse(_ text: String) throws -> Value {
        var text = text
        return try text.withUTF8 { (utf8) throws -> Value in try parse(UnsafeRawBufferPointer(utf8)) }
    }

    /// Writes `value` as compact JSON into `output`.
    @inlinable
    public static func write(_ value: Value, into output: inout some JSONOutput) {
        switch value {
        case .null: writeNull(into: &output)
        case .bool(let b): writeBool(b, into: &output)
        case .int(let i): writeInt(i, into: &output)
        case .double(let d): writeDouble(d, into: &output)
        case .string(let s): writeString(s, into: &output)
        case .array(let elements):
            output.writeByte(UInt8(ascii: "["))
            var first = true
            for element in elements {
                if !first { output.writeByte(UInt8(ascii: ",")) }
                first = false
                write(element, into: &output)
            }
            output.writeByte(UInt8(ascii: "]"))
        case .object(let object): write(object, into: &output)
        }
    }

    /// Writes `object` as a compact JSON object, keys in their stored order.
    @inlinable
    public static func write(_ object: JSONObject, into output: inout some JSONOutput) {
        output.writeByte(UInt8(ascii: "{"))
        var first = true
        for entry in object.entries {
            if !first { output.writeByte(UInt8(ascii: ",")) }
            first = false
            writeString(entry.key, into: &output)
            output.writeByte(UInt8(ascii: ":"))
            write(entry.value, into: &output)
        }
        output.writeByte(UInt8(ascii: "}"))
    }

    /// Writes a JSON string literal (with quotes and escapes).
    @inlinable
    public static func writeString(_ string: String, into output: inout some JSONOutput) {
        var string = string
        string.withUTF8 { utf8 in
            writeString(utf8: UnsafeRawBufferPointer(utf8), into: &output)
        }
    }

    public static func encode(_ value: Value) -> [UInt8] {
        var out: [UInt8] = []
        write(value, into: &out)
        return out
    }

    public static func string(_ value: Value) -> String {
        String(decoding: encode(value), as: UTF8.self)
    }
}
