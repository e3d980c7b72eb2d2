import Foundation
import LyreCore

/// Where a CSV load reads from: inline text (`csv_data_load`), a file on the server
/// (`csv_file_load`) or a download (`csv_url_load`, `import_from_s3`). A source can be read several times (the
/// load validates in a first pass and writes in a second), each time in chunks, so a file is
/// never held whole. A download is streamed once, by the first pass, into its spool file; the
/// second pass reads that file (see `CSVDownload`).
enum CSVSource: Sendable {
    case bytes([UInt8])
    case file(String)
    case url(any SpooledDownload, spool: String)

    /// Bytes per read: large enough that the per-chunk overhead vanishes, small enough
    /// that one chunk's rows stay a fraction of a write batch.
    static let chunkSize = 256 * 1024

    /// Checks a file can be opened for reading (the synchronous checks of §6).
    /// - Throws: `No such file or directory <path>` / `Permission denied <path>` (400).
    static func checkReadable(_ path: String) throws {
        let fd = open(path, O_RDONLY)
        if fd < 0 {
            switch errno {
            case EACCES, EPERM: throw LyreError.badRequest("Permission denied \(path)")
            default: throw LyreError.badRequest("No such file or directory \(path)")
            }
        }
        close(fd)
    }

    /// Runs a load of this source, then removes a download's spool file, whatever the outcome.
    func removingSpool<T>(after load: () async throws -> T) async throws -> T {
        guard case .url(_, let spool) = self else { return try await load() }
        defer { try? FileManager.default.removeItem(atPath: spool) }
        return try await load()
    }

    /// A fresh reader positioned at the start.
    func reader() throws -> CSVChunkReader {
        switch self {
        case .bytes(let bytes):
            return CSVChunkReader(bytes: bytes)
        case .file(let path), .url(_, spool: let path):
            try Self.checkReadable(path)
            return CSVChunkReader(fd: open(path, O_RDONLY), path: path)
        }
    }
}

/// A remote object fetched once, by a load's first pass: each chunk goes to `body` and to a
/// spool file that later passes read (`CSVDownload`, `S3ObjectDownload`).
protocol SpooledDownload: Sendable {
    /// - Returns: the number of bytes fetched.
    /// - Throws: the source's job-time texts as `LyreError`, `JobInterruption` when the job
    ///   is stopped, and whatever `body` throws.
    @discardableResult
    func fetch(spoolingTo spool: String, control: JobControl, _ body: (UnsafeRawBufferPointer) throws -> Void) async throws -> Int
}

/// Reads a `CSVSource` chunk by chunk. Owns the file descriptor it reads; `close()` ends it.
struct CSVChunkReader: ~Copyable {
    private let bytes: [UInt8]
    private var position = 0
    private let fd: Int32
    private let path: String
    private var buffer: [UInt8]

    init(bytes: [UInt8]) {
        self.bytes = bytes
        fd = -1
        path = ""
        buffer = []
    }

    init(fd: Int32, path: String) {
        bytes = []
        self.fd = fd
        self.path = path
        buffer = [UInt8](repeating: 0, count: CSVSource.chunkSize)
    }

    /// Calls `body` with the next chunk; returns false at the end of input.
    /// - Throws: `LyreError` when the file cannot be read.
    mutating func next(_ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Bool {
        if fd < 0 {
            guard position < bytes.count else { return false }
            let start = position
            let end = min(bytes.count, start + CSVSource.chunkSize)
            try bytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[start..<end])) }
            position = end
            return true
        }
        let fd = fd
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 {
            throw LyreError.badRequest("Error reading \(path): \(String(cString: strerror(errno)))")
        }
        guard count > 0 else { return false }
        try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        return true
    }

    deinit {
        if fd >= 0 { close(fd) }
    }
}
