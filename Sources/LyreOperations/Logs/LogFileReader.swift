import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads the entries of a log file chunk by chunk, in file order or from the end backwards,
/// so `read_log` never holds more than one chunk and the entries it keeps, whatever the
/// file's size, and stops reading as soon as it has what it needs.
///
/// Entries are cut exactly as `LogParser.entries` cuts a whole text: the file is split at
/// `\n`; a line that starts with a timestamp header begins an entry, any other line continues
/// the previous entry's message; lines before the first header belong to no entry.
///
/// ```swift
/// let reader = try LogFileReader(path: logDirectory + "/hdb.log")
/// try reader.forEach(newestFirst: true) { entry in print(entry.message); return true }
/// ```
struct LogFileReader: ~Copyable {
    static let defaultChunkSize = 64 * 1024

    let chunkSize: Int
    private let fd: Int32

    /// - Throws: `CocoaError(.fileNoSuchFile)` when the file cannot be opened.
    init(path: String, chunkSize: Int = LogFileReader.defaultChunkSize) throws {
        precondition(chunkSize > 0)
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CocoaError(.fileNoSuchFile) }
        self.chunkSize = chunkSize
    }

    deinit {
        close(fd)
    }

    /// Calls `visit` with every entry, oldest first (`newestFirst: false`) or newest first,
    /// until it returns `false`.
    func forEach(newestFirst: Bool, _ visit: (LogEntry) throws -> Bool) throws {
        if newestFirst { try backward(visit) } else { try forward(visit) }
    }

    private func read(at offset: Int, count: Int) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + filled, count - filled, off_t(offset + filled)) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            filled += n
        }
        if filled < count { buffer.removeLast(count - filled) }
        return buffer
    }

    private func fileSize() -> Int {
        var info = stat()
        return fstat(fd, &info) == 0 ? Int(info.st_size) : 0
    }

    // MARK: File order

    private func forward(_ visit: (LogEntry) throws -> Bool) throws {
        var pending: LogEntry?
        var carry: [UInt8] = []
        var offset = 0
        /// Takes one line; `false` once `visit` wants no more.
        func line(_ bytes: ArraySlice<UInt8>) throws -> Bool {
            let text = String(decoding: bytes, as: UTF8.self)
            if let entry = LogParser.header(text[...]) {
                if let done = pending {
                    pending = nil
                    guard try visit(LogParser.finished(done)) else { return false }
                }
                pending = entry
            } else if pending != nil {
                pending!.message += "\n" + text
                pending!.raw += "\n" + text
            }
            return true
        }
        while true {
            let chunk = read(at: offset, count: chunkSize)
            if chunk.isEmpty { break }
            offset += chunk.count
            carry += chunk
            var start = carry.startIndex
            while let newline = carry[start...].firstIndex(of: UInt8(ascii: "\n")) {
                guard try line(carry[start..<newline]) else { return }
                start = newline + 1
            }
            carry.removeFirst(start)
        }
        // The text after the last newline (often empty) is a line too, as in `split`.
        guard try line(carry[...]) else { return }
        if let done = pending { _ = try visit(LogParser.finished(done)) }
    }

    // MARK: Newest first

    private func backward(_ visit: (LogEntry) throws -> Bool) throws {
        var end = fileSize()
        /// The start of the earliest line read so far, whose beginning is in an earlier chunk.
        var carry: [UInt8] = []
        /// Continuation lines of the entry whose header is still ahead (earlier in the file), last first.
        var continuation: [String] = []
        var atEnd = true
        func line(_ bytes: ArraySlice<UInt8>) throws -> Bool {
            let text = String(decoding: bytes, as: UTF8.self)
            guard var entry = LogParser.header(text[...]) else {
                continuation.append(text)
                return true
            }
            for more in continuation.reversed() {
                entry.message += "\n" + more
                entry.raw += "\n" + more
            }
            continuation.removeAll(keepingCapacity: true)
            return try visit(LogParser.finished(entry))
        }
        while end > 0 || atEnd {
            let start = max(0, end - chunkSize)
            var bytes = read(at: start, count: end - start)
            end = start
            bytes += carry
            // Complete lines are those after a newline in this chunk (or every line at the file's start).
            var lineEnd = bytes.endIndex
            while let newline = bytes[..<lineEnd].lastIndex(of: UInt8(ascii: "\n")) {
                guard try line(bytes[(newline + 1)..<lineEnd]) else { return }
                lineEnd = newline
            }
            carry = Array(bytes[..<lineEnd])
            atEnd = false
        }
        // The first line of the file; continuation lines left without a header are dropped.
        _ = try line(carry[...])
    }
}
