import Foundation
import LyreCore

/// Writes export files atomically: into a hidden temporary file in the target folder,
/// then `rename(2)` over the final name, so a reader never sees a partial export.
struct ExportWriter: ~Copyable {
    let finalPath: String
    private let temporaryPath: String
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var committed = false

    /// Bytes gathered before each `write(2)`.
    static let flushSize = 1 << 20

    init(directory: String, fileName: String) throws {
        finalPath = directory + "/" + fileName
        temporaryPath = directory + "/." + fileName + "." + UUID().uuidString.lowercased() + ".tmp"
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw LyreError.badRequest("access to path '\(directory)' is denied") }
        buffer.reserveCapacity(Self.flushSize + 4096)
    }

    mutating func append(_ bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= Self.flushSize { try flush() }
    }

    mutating func append(_ text: String) throws { try append(Array(text.utf8)) }

    /// Flushes, fsyncs and renames the temporary file to `finalPath`.
    mutating func commit() throws {
        try flush()
        guard fsync(fd) == 0, rename(temporaryPath, finalPath) == 0 else {
            throw LyreError.badRequest("Could not write \(finalPath): \(String(cString: strerror(errno)))")
        }
        committed = true
    }

    private mutating func flush() throws {
        var offset = 0
        while offset < buffer.count {
            let n = buffer.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            guard n > 0 else {
                throw LyreError.badRequest("Could not write \(finalPath): \(String(cString: strerror(errno)))")
            }
            offset += n
        }
        buffer.removeAll(keepingCapacity: true)
    }

    deinit {
        close(fd)
        if !committed { unlink(temporaryPath) }
    }
}

/// Serializes exported records in chunks of about `chunkSize` bytes: a JSON array, or CSV
/// with a header row (`CSVExport`). The records are held by the caller (the embedded
/// search's result); their serialized form never is, whole.
struct ExportEncoder {
    let records: [Value]
    let format: String
    private var columns: [String] = []
    private var index = 0
    private var started = false
    private var finished = false

    static let chunkSize = 1 << 20

    init(records: [Value], format: String) {
        self.records = records
        self.format = format
    }

    /// Records serialized so far.
    var recordsDone: Int { index }

    /// The next chunk; nil at the end.
    mutating func next() -> [UInt8]? {
        guard !finished else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(Self.chunkSize + 4096)
        if !started {
            started = true
            if format == "json" {
                out.append(UInt8(ascii: "["))
            } else {
                columns = CSVExport.columns(records)
                out.append(contentsOf: CSVExport.line(columns).utf8)
            }
        }
        while index < records.count && out.count < Self.chunkSize {
            let record = records[index]
            if format == "json" {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSON.write(record, into: &out)
            } else {
                out.append(contentsOf: CSVExport.line(columns.map { CSVExport.cell(record[$0]) }).utf8)
            }
            index += 1
        }
        if index == records.count {
            if format == "json" { out.append(UInt8(ascii: "]")) }
            finished = true
        }
        return out
    }
}

/// The CSV form of exported records: a header of every key in first-seen order, one line
/// per record; strings as text, `null` and missing as empty cells, other values as JSON
/// text (nested values: bulk-and-jobs.md §9, inferred). RFC 4180 quoting where needed.
enum CSVExport {
    static func columns(_ records: [Value]) -> [String] {
        var seen = Set<String>()
        var columns: [String] = []
        for case .object(let record) in records {
            for key in record.keys where seen.insert(key).inserted { columns.append(key) }
        }
        return columns
    }

    static func line(_ cells: [String]) -> String {
        cells.map(quote).joined(separator: ",") + "\n"
    }

    static func cell(_ value: Value?) -> String {
        switch value {
        case nil, .null?: ""
        case .string(let s)?: s
        case let value?: JSON.string(value)
        }
    }

    static func quote(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
