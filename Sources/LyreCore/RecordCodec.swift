// PLACEHOLDER: being written on branch `core-codecs`. Signatures are the contract.

/// The binary encoding of a stored record (a JSON object), designed so that a
/// record can be transcoded to JSON, or have a few attributes picked out, without
/// building a `Value` for the whole record.
public enum RecordCodec {
    public static func encode(_ record: JSONObject, into output: inout [UInt8]) {
        fatalError("RecordCodec is not built yet")
    }

    public static func encode(_ record: JSONObject) -> [UInt8] {
        var out: [UInt8] = []
        encode(record, into: &out)
        return out
    }

    public static func decode(_ bytes: UnsafeRawBufferPointer) throws -> JSONObject {
        fatalError("RecordCodec is not built yet")
    }

    /// The value of one attribute, or `nil` when the record lacks it.
    public static func value(of attribute: String, in bytes: UnsafeRawBufferPointer) throws -> Value? {
        fatalError("RecordCodec is not built yet")
    }

    /// Writes the record as a JSON object straight from its encoding.
    /// With `attributes`, writes exactly those keys in that order (missing ones as `null`).
    public static func writeJSON(_ bytes: UnsafeRawBufferPointer, attributes: [String]?, into output: inout some JSONOutput) throws {
        fatalError("RecordCodec is not built yet")
    }
}
