// PLACEHOLDER: the JSON reader/writer is being written on branch `core-codecs`.
// These signatures are the contract; the bodies below are stand-ins so dependants compile.

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
public enum JSON {
    /// The deepest nesting of arrays/objects accepted by `parse`.
    public static let maximumDepth = 512

    /// Parses one JSON text. Throws `LyreError` (400) with a message naming the position.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws -> Value {
        throw LyreError.badRequest("JSON parsing is not built yet")
    }

    public static func parse(_ bytes: [UInt8]) throws -> Value {
        try bytes.withUnsafeBytes { (p) throws -> Value in try parse(p) }
    }

    public static func parse(_ text: String) throws -> Value {
        try parse(Array(text.utf8))
    }

    /// Writes `value` as compact JSON into `output`.
    public static func write(_ value: Value, into output: inout some JSONOutput) {
        fatalError("JSON writer is not built yet")
    }

    /// Writes a JSON string literal (with quotes and escapes).
    public static func writeString(_ string: String, into output: inout some JSONOutput) {
        fatalError("JSON writer is not built yet")
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
