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

/// Serializes exported records batch by batch: a JSON array, or CSV with a header row
/// (`CSVExport`) whose columns the caller knows before the first record.
struct ExportEncoder {
    let format: String
    let columns: [String]
    /// Records serialized so far.
    private(set) var recordsDone = 0

    init(format: String, columns: [String]) {
        self.format = format
        self.columns = columns
    }

    /// The opening: `[`, or the CSV header line.
    func start(into out: inout [UInt8]) {
        if format == "json" {
            out.append(UInt8(ascii: "["))
        } else {
            out.append(contentsOf: CSVExport.line(columns).utf8)
        }
    }

    mutating func append(_ records: [Value], into out: inout [UInt8]) {
        for record in records {
            if format == "json" {
                if recordsDone > 0 { out.append(UInt8(ascii: ",")) }
                JSON.write(record, into: &out)
            } else {
                out.append(contentsOf: CSVExport.line(columns.map { CSVExport.cell(record[$0]) }).utf8)
            }
            recordsDone += 1
        }
    }

    /// The closing `]` of JSON.
    func finish(into out: inout [UInt8]) {
        if format == "json" { out.append(UInt8(ascii: "]")) }
    }
}

/// An export's serialized form in chunks of about `chunkSize` bytes, read from the search
/// batch by batch (`ExportRecords`): neither the result nor its serialization is held whole.
/// CSV first reads the result once for its header (the union of the records' attributes in
/// first-seen order, as serializing the whole answer gives), then again for the rows.
struct ExportStream {
    private var records: ExportRecords
    private var encoder: ExportEncoder
    private var started = false
    private var finished = false

    static let chunkSize = 1 << 20

    /// Prepares the search (its errors are the export's) and, for CSV, reads the header.
    /// - Throws: the search's errors, `JobInterruption`.
    init(search: JSONObject, format: String, app: Application, user: User, control: JobControl) async throws {
        var records = try await ExportRecords.prepare(search, app: app, user: user, gate: control.gate)
        control.setTotal(records.knownCount)
        try control.checkInterrupted()
        var columns = CSVExport.Columns()
        if format == "csv" {
            var count = 0
            while let batch = try records.next(control.gate) {
                columns.add(batch)
                count += batch.count
                try control.checkInterrupted()
            }
            records.rewind()
            control.setTotal(count)
        }
        self.records = records
        encoder = ExportEncoder(format: format, columns: columns.names)
    }

    /// The next chunk; nil at the end. Reports progress and stops when the job is interrupted.
    /// - Throws: the search's errors, `JobInterruption`.
    mutating func next(_ control: JobControl) throws -> [UInt8]? {
        guard !finished else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(Self.chunkSize + Self.chunkSize / 4)
        if !started {
            started = true
            encoder.start(into: &out)
        }
        while out.count < Self.chunkSize {
            guard let batch = try records.next(control.gate) else {
                encoder.finish(into: &out)
                finished = true
                control.setTotal(encoder.recordsDone)
                break
            }
            encoder.append(batch, into: &out)
            control.setDone(encoder.recordsDone)
            try control.checkInterrupted()
        }
        return out
    }
}

/// The CSV form of exported records: a header of every key in first-seen order, one line
/// per record; strings as text, `null` and missing as empty cells, other values as JSON
/// text (nested values: bulk-and-jobs.md §9, inferred). RFC 4180 quoting where needed.
enum CSVExport {
    /// The header's columns, gathered batch by batch.
    struct Columns {
        private(set) var names: [String] = []
        private var seen = Set<String>()

        mutating func add(_ records: [Value]) {
            for case .object(let record) in records {
                for key in record.keys where seen.insert(key).inserted { names.append(key) }
            }
        }
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
