internal import CLZ4

/// LZ4 block compression (liblz4's `LZ4_compress_default` / `LZ4_decompress_safe`) of one
/// value held in memory: no frame, no checksum — the caller stores the original size beside
/// the block and passes it back to `decompress`.
///
/// ```swift
/// if let block = LZ4Block.compress(bytes) { store(bytes.count, block) }
/// let original = try LZ4Block.decompress(block, originalSize: size)
/// ```
public enum LZ4Block {
    /// The largest input LZ4 accepts (`LZ4_MAX_INPUT_SIZE`, about 2 GiB).
    public static let maximumInputSize = Int(LZ4_MAX_INPUT_SIZE)

    /// The LZ4 block of `input`, or `nil` when it is empty, too large for LZ4, or would not
    /// be smaller than `input` (then storing the input as it is costs less).
    public static func compress(_ input: UnsafeRawBufferPointer) -> [UInt8]? {
        guard input.count > 0, input.count <= maximumInputSize, let source = input.baseAddress else { return nil }
        let bound = Int(LZ4_compressBound(Int32(input.count)))
        var output = [UInt8](repeating: 0, count: bound)
        let written = output.withUnsafeMutableBytes { out -> Int in
            Int(LZ4_compress_default(source.assumingMemoryBound(to: CChar.self),
                                     out.baseAddress!.assumingMemoryBound(to: CChar.self),
                                     Int32(input.count), Int32(bound)))
        }
        guard written > 0, written < input.count else { return nil }
        output.removeLast(output.count - written)
        return output
    }

    public static func compress(_ input: [UInt8]) -> [UInt8]? {
        input.withUnsafeBytes { compress($0) }
    }

    /// The bytes `block` was made from. - Throws: `LZ4BlockError` when `block` is not an LZ4
    /// block that decodes to exactly `originalSize` bytes (LZ4 never reads or writes outside
    /// the two buffers, whatever the input).
    public static func decompress(_ block: UnsafeRawBufferPointer, originalSize: Int) throws(LZ4BlockError) -> [UInt8] {
        guard originalSize > 0, originalSize <= maximumInputSize, block.count > 0, block.count <= maximumInputSize,
              let source = block.baseAddress else {
            throw LZ4BlockError()
        }
        var output = [UInt8](repeating: 0, count: originalSize)
        let read = output.withUnsafeMutableBytes { out -> Int in
            Int(LZ4_decompress_safe(source.assumingMemoryBound(to: CChar.self),
                                    out.baseAddress!.assumingMemoryBound(to: CChar.self),
                                    Int32(block.count), Int32(originalSize)))
        }
        guard read == originalSize else { throw LZ4BlockError() }
        return output
    }
}

/// A block that is not valid LZ4, or does not decode to the size stored with it.
public struct LZ4BlockError: Error, Sendable {}
