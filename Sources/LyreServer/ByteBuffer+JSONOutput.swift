public import LyreCore
public import NIOCore

/// Lets LyreCore's JSON writer encode straight into a response buffer (no intermediate array).
extension ByteBuffer: JSONOutput {
    @inlinable
    public mutating func writeByte(_ byte: UInt8) {
        self.writeInteger(byte)
    }

    /// `JSONOutput`'s byte-run requirement; NIO's own `writeBytes(_:) -> Int` does the work.
    @inlinable
    public mutating func writeBytes(_ bytes: UnsafeRawBufferPointer) {
        let _: Int = self.writeBytes(bytes)
    }
}
