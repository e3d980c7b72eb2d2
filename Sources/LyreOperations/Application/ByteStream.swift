import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A response body too large to hold in memory (`get_backup`), read from a file in chunks.
///
/// The front end asks for the next chunk only once the previous one has been written
/// (`next()` is never called concurrently), so memory stays at about one chunk whatever the
/// body's size; ``length`` is known up front and goes out as `Content-Length`.
///
/// ```swift
/// let stream = try ByteStream(file: path, chunkSize: 256 * 1024)
/// while let chunk = try await stream.next() { send(chunk) }   // closes itself at the end
/// stream.close()                                                 // when the client went away
/// ```
public final class ByteStream: Sendable {
    /// The default chunk size: large enough that per-chunk overhead does not matter, small
    /// enough that a backup of any size costs a fraction of a megabyte.
    public static let defaultChunkSize = 256 * 1024

    /// Total number of bytes the stream delivers.
    public let length: Int
    /// The largest chunk `next()` returns.
    public let chunkSize: Int

    private struct State {
        var fd: Int32
        var offset: Int
    }

    /// Guards the descriptor and the read position: `next()` and `close()` may come from
    /// different threads (a write completion and a channel going inactive).
    private let state: Mutex<State>

    /// Takes ownership of an open, readable descriptor; its first `length` bytes are the body.
    /// The file may already be unlinked (the descriptor keeps it alive until ``close()``).
    init(takingDescriptor fd: Int32, length: Int, chunkSize: Int = ByteStream.defaultChunkSize) {
        precondition(chunkSize > 0)
        self.length = length
        self.chunkSize = chunkSize
        state = Mutex(State(fd: fd, offset: 0))
    }

    /// A stream of a whole file's contents.
    /// - Parameters:
    ///   - path: the file; with `unlink`, it is removed at once (the stream keeps it readable).
    ///   - chunkSize: the largest chunk `next()` returns.
    /// - Throws: `ByteStreamError` when the file cannot be opened.
    public convenience init(contentsOf path: String, chunkSize: Int = ByteStream.defaultChunkSize, unlink: Bool = false) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        var info = stat()
        guard fd >= 0, fstat(fd, &info) == 0 else {
            if fd >= 0 { _ = Self.closeDescriptor(fd) }
            throw ByteStreamError(description: "cannot open \(path) (errno \(errno))")
        }
        #if canImport(Glibc)
        if unlink { _ = Glibc.unlink(path) }
        #else
        if unlink { _ = Darwin.unlink(path) }
        #endif
        self.init(takingDescriptor: fd, length: Int(info.st_size), chunkSize: chunkSize)
    }

    deinit {
        close()
    }

    /// The next chunk (at most ``chunkSize`` bytes, never empty), or `nil` at the end, after
    /// which the stream is closed. The read runs off the caller's thread (disk I/O must not
    /// block an event loop).
    /// - Throws: `ByteStreamError` when the file cannot be read or is shorter than ``length``.
    public func next() async throws -> [UInt8]? {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try self.readChunk() })
            }
        }
    }

    private func readChunk() throws -> [UInt8]? {
        try state.withLock { s -> [UInt8]? in
            guard s.fd >= 0 else { throw ByteStreamError(description: "the stream is closed") }
            let wanted = min(chunkSize, length - s.offset)
            guard wanted > 0 else {
                Self.close(&s)
                return nil
            }
            var chunk = [UInt8](repeating: 0, count: wanted)
            var filled = 0
            while filled < wanted {
                let n = chunk.withUnsafeMutableBytes { buffer in
                    pread(s.fd, buffer.baseAddress! + filled, wanted - filled, off_t(s.offset + filled))
                }
                if n < 0, errno == EINTR { continue }
                guard n > 0 else {
                    Self.close(&s)
                    throw ByteStreamError(description: n == 0 ? "the file ended early" : "read failed (errno \(errno))")
                }
                filled += n
            }
            s.offset += wanted
            return chunk
        }
    }

    /// Every remaining byte in one array (tests and tools; defeats the purpose for large bodies).
    /// - Throws: as ``next()``.
    public func collect() async throws -> [UInt8] {
        var all: [UInt8] = []
        all.reserveCapacity(length)
        while let chunk = try await next() { all += chunk }
        return all
    }

    /// Whether the file has been released (after the end, a failed read or ``close()``).
    public var isClosed: Bool { state.withLock { $0.fd < 0 } }

    /// Releases the file. Safe to call more than once, and after the end.
    public func close() {
        state.withLock { Self.close(&$0) }
    }

    private static func close(_ s: inout State) {
        guard s.fd >= 0 else { return }
        _ = closeDescriptor(s.fd)
        s.fd = -1
    }

    private static func closeDescriptor(_ fd: Int32) -> Int32 {
        #if canImport(Glibc)
        Glibc.close(fd)
        #else
        Darwin.close(fd)
        #endif
    }
}

/// A streamed body could not be read to its end (the response is then cut short).
public struct ByteStreamError: Error, Sendable, CustomStringConvertible {
    public var description: String
}
