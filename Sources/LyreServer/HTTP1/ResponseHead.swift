import NIOCore
import NIOHTTP1

/// Writes HTTP/1.x response heads straight into a byte buffer: status line, headers,
/// blank line. No `HTTPHeaders`, no per-header `String`s beyond the caller's own.
struct ResponseHead {
    private(set) var bytes: [UInt8] = []

    /// - Parameters:
    ///   - minorVersion: The request's HTTP/1.x minor version, echoed in the status line.
    init(status: Int, minorVersion: Int) {
        bytes.reserveCapacity(192)
        if status == 200, minorVersion == 1 {
            bytes.append(contentsOf: Self.ok)
            return
        }
        bytes.append(contentsOf: minorVersion == 0 ? "HTTP/1.0 ".utf8 : "HTTP/1.1 ".utf8)
        appendDecimal(status)
        bytes.append(UInt8(ascii: " "))
        bytes.append(contentsOf: HTTPResponseStatus(statusCode: status).reasonPhrase.utf8)
        bytes.append(contentsOf: "\r\n".utf8)
    }

    private static func isLineBreak(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n")
    }

    /// The status line of nearly every response, made once.
    private static let ok = Array("HTTP/1.1 200 OK\r\n".utf8)

    mutating func add(_ name: String, _ value: String) {
        bytes.append(contentsOf: name.utf8)
        bytes.append(contentsOf: ": ".utf8)
        // A value is never allowed to end the header early.
        if value.utf8.contains(where: Self.isLineBreak) {
            bytes.append(contentsOf: value.utf8.filter { !Self.isLineBreak($0) })
        } else {
            bytes.append(contentsOf: value.utf8)
        }
        bytes.append(contentsOf: "\r\n".utf8)
    }

    mutating func addContentLength(_ length: Int) {
        bytes.append(contentsOf: "Content-Length: ".utf8)
        appendDecimal(length)
        bytes.append(contentsOf: "\r\n".utf8)
    }

    /// Ends the head with the blank line.
    mutating func finish() {
        bytes.append(contentsOf: "\r\n".utf8)
    }

    private mutating func appendDecimal(_ value: Int) {
        // Up to 15 digits fit a small (inline) String: no allocation.
        bytes.append(contentsOf: String(value).utf8)
    }
}

/// A response body with room reserved in front of it, so the head can be written into
/// the same buffer once the body's length is known: one buffer, one `write`, no copy
/// of the body.
struct ResponseBody {
    /// Bytes kept free before the body; heads are ~120 bytes, CORS and download headers
    /// add some. A longer head goes out as its own buffer.
    static let headroom = 320

    var buffer: ByteBuffer

    init(allocator: ByteBufferAllocator, capacity: Int) {
        buffer = allocator.buffer(capacity: Self.headroom + capacity)
        buffer.moveWriterIndex(forwardBy: Self.headroom)
        buffer.moveReaderIndex(forwardBy: Self.headroom)
    }

    init(allocator: ByteBufferAllocator, bytes: [UInt8]) {
        self.init(allocator: allocator, capacity: bytes.count)
        buffer.writeBytes(bytes)
    }

    var count: Int { buffer.readableBytes }

    /// Puts `head` in front of the body when it fits the headroom.
    /// - Returns: `false` when it does not fit; write the head separately then.
    mutating func prepend(_ head: [UInt8]) -> Bool {
        let start = buffer.readerIndex
        guard head.count <= start else { return false }
        buffer.setBytes(head, at: start - head.count)
        buffer.moveReaderIndex(to: start - head.count)
        return true
    }
}
