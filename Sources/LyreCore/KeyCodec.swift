// PLACEHOLDER: being written on branch `core-codecs`. Signatures are the contract.

/// The order-preserving key encoding: `memcmp` order of encodings == `Value` index order.
///
/// Order: null < false < true < numbers (numeric order across `.int` and `.double`;
/// `1` and `1.0` encode identically) < strings (byte order of UTF-8) < arrays
/// (element-wise, shorter first). Objects are not encodable as keys.
public enum KeyCodec {
    /// LMDB's maximum key size on Debian's build.
    public static let maximumKeySize = 511

    /// Appends the encoding of `value` to `output`. Returns `false` (appending nothing)
    /// for values that cannot be keys (objects).
    @discardableResult
    public static func encode(_ value: Value, into output: inout [UInt8]) -> Bool {
        fatalError("KeyCodec is not built yet")
    }

    public static func encode(_ value: Value) -> [UInt8]? {
        var out: [UInt8] = []
        return encode(value, into: &out) ? out : nil
    }

    /// Decodes one encoded key. Throws on malformed bytes.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws -> Value {
        fatalError("KeyCodec is not built yet")
    }
}
