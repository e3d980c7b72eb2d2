import Foundation
import LyreCore
import LyreStorage

/// The background part of a CSV load (bulk-and-jobs.md §4): two passes over the source.
///
/// 1. Validate: parse everything, check the header and every row's primary key, count
///    rows. Any problem ends the job `ERROR` with nothing written (§4.2 step 1).
/// 2. Write: parse again, type the cells, and write batches of `batchSize` rows, one
///    `db.write` (one transaction) each; the next batch is parsed while the previous one
///    commits. Cancellation is checked between batches: what was committed stays.
///
/// Memory is bounded by one chunk, one batch being parsed and one batch being written,
/// whatever the size of the input.
struct CSVLoad: Sendable {
    var database: String
    var table: String
    var mode: WriteMode
    var source: CSVSource
    var user: User
    /// Table rights checked again with the header's attributes when the job runs.
    var permissions: [TablePermission]
    /// The server's `logging.auditLog` when the job started: with the table's `audit` flag,
    /// each committed batch is one audit entry, as a client's insert/update/upsert would be
    /// (logs-config-system.md §2.1: every committed write to an audited table).
    var auditLog = false

    /// Rows per transaction.
    static let batchSize = 10_000
    /// Most skipped keys and row notes listed in a job's `result`.
    static let reportLimit = 100

    func run(storage: StorageEngine, control: JobControl) async throws -> JobOutcome {
        guard let db = storage.database(database) else { throw LyreError.databaseNotFound(database, status: 400) }
        guard let definition = db.table(table) else { throw LyreError.tableNotFound(database, table, status: 400) }
        return try await source.removingSpool { try await load(db: db, definition: definition, control: control) }
    }

    private func load(db: Database, definition: TableDefinition, control: JobControl) async throws -> JobOutcome {
        // Pass 1: validate and count.
        var validation = Validation(table: definition, mode: mode)
        var parser = CSVParser()
        do {
            if case .url(let download, let spool) = source {
                try await download.fetch(spoolingTo: spool, control: control) { chunk in
                    try parser.consume(chunk) { try validation.row($0, line: $1) }
                }
            } else {
                var reader = try source.reader()
                while try reader.next({ chunk in try parser.consume(chunk) { try validation.row($0, line: $1) } }) {
                    try control.checkInterrupted()
                }
            }
            try parser.finish { try validation.row($0, line: $1) }
            try validation.flush()
        } catch let malformed as CSVParser.Malformed {
            throw JobFailure(LyreError.badRequest(malformed.message), result: ["line": .int(Int64(malformed.line))])
        }
        guard let header = validation.header, validation.rows > 0 else {
            return .message("No records parsed from csv file.")
        }
        try Authorization.checkTable(database: database, table: table, user: user,
                                     required: permissions, attributes: header)
        control.setTotal(validation.rows)
        control.setDone(0)

        // Pass 2: type and write.
        let builder = RowBuilder(header: header, table: definition)
        var report = Report()
        parser = CSVParser()
        var reader = try source.reader()
        var isHeader = true
        var batch: [JSONObject] = []
        batch.reserveCapacity(Self.batchSize)
        var inflight: Task<RecordWriteResult, any Error>?
        var done = 0
        let tableName = table
        let mode = mode
        let audit = auditLog && definition.audit ? AuditDescriptor(operation: "\(mode)", username: user.username) : nil

        func collect(_ result: RecordWriteResult) {
            report.written += result.written.count
            report.skipped += result.skipped.count
            for key in result.skipped.prefix(Self.reportLimit - report.skippedKeys.count) { report.skippedKeys.append(key) }
        }
        func submit(_ rows: [JSONObject]) async throws {
            if let previous = inflight {
                collect(try await previous.value)
                inflight = nil
            }
            try control.checkInterrupted()
            done += rows.count
            let committed = done
            inflight = Task {
                let result = try await db.write { ctx in try ctx.write(rows, mode: mode, to: tableName, audit: audit) }
                control.setDone(committed)
                return result
            }
        }

        do {
            while try reader.next({ chunk in
                try parser.consume(chunk) { fields, line in
                    if isHeader { isHeader = false; return }
                    batch.append(builder.record(fields, line: line, report: &report))
                }
            }) {
                // Exactly `batchSize` rows per transaction, whatever a chunk held.
                var start = 0
                while batch.count - start >= Self.batchSize {
                    try await submit(Array(batch[start..<start + Self.batchSize]))
                    start += Self.batchSize
                }
                if start > 0 { batch.removeFirst(start) }
            }
            try parser.finish { fields, line in
                if isHeader { isHeader = false; return }
                batch.append(builder.record(fields, line: line, report: &report))
            }
            if !batch.isEmpty { try await submit(batch) }
            if let last = inflight {
                inflight = nil
                collect(try await last.value)
            }
        } catch {
            // Let the batch already handed to the writer finish before reporting.
            if let last = inflight { _ = try? await last.value }
            throw error
        }

        let loaded = report.written
        let message = "successfully loaded \(loaded) of \(validation.rows - report.skipped) records"
        return JobOutcome(message: message, result: report.value, rowsWritten: loaded)
    }

    /// What the first pass checks: the header (§4.1) and each row's primary key (the
    /// checks of `insert`/`update`/`upsert`, through `RecordValidation`).
    private struct Validation {
        let table: TableDefinition
        let mode: WriteMode
        var header: [String]?
        var keyColumn: Int?
        var rows = 0
        var keys: [JSONObject] = []
        var lines: [Int] = []

        init(table: TableDefinition, mode: WriteMode) {
            self.table = table
            self.mode = mode
        }

        mutating func row(_ fields: [String], line: Int) throws {
            guard header != nil else {
                try checkHeader(fields)
                header = fields
                keyColumn = fields.firstIndex(of: table.primaryKey)
                return
            }
            rows += 1
            var key = JSONObject()
            if let keyColumn {
                let text = keyColumn < fields.count ? fields[keyColumn] : ""
                key.appendUnchecked(table.primaryKey, RowBuilder.cast(text, type: table.attribute(table.primaryKey)?.type, schemaDefined: table.schemaDefined))
            }
            keys.append(key)
            lines.append(line)
            if keys.count >= 4096 { try flush() }
        }

        mutating func flush() throws {
            defer { keys.removeAll(keepingCapacity: true); lines.removeAll(keepingCapacity: true) }
            do {
                try RecordValidation.check(keys, table: table, mode: mode)
            } catch let error as LyreError {
                // Find the offending row to name its line in the job's result.
                for (key, line) in zip(keys, lines) {
                    do { try RecordValidation.check([key], table: table, mode: mode) } catch {
                        throw JobFailure(error as? LyreError ?? LyreError.internalError(), result: ["line": .int(Int64(line))])
                    }
                }
                throw error
            }
        }

        private func checkHeader(_ fields: [String]) throws {
            for name in fields {
                let valid = !name.isEmpty && name.utf8.allSatisfy { (0x20...0x7E).contains($0) && $0 != 0x2F && $0 != 0x60 }
                if !valid { throw LyreError.badRequest("Invalid column name '\(name)', cancelling load operation") }
            }
            for name in fields where name == "null" || name == "undefined" {
                throw LyreError.validation("Invalid attribute name: '\(name)'")
            }
            if !table.schemaDefined {
                for name in fields where table.attribute(name) == nil {
                    if let problem = NameRules.attributeProblem(name) { throw LyreError.validation(problem) }
                }
            }
        }
    }

    /// Builds typed records from rows.
    private struct RowBuilder {
        let header: [String]
        let types: [String?]
        let schemaDefined: Bool
        let hasDuplicates: Bool

        init(header: [String], table: TableDefinition) {
            self.header = header
            schemaDefined = table.schemaDefined
            types = header.map { table.attribute($0)?.type }
            hasDuplicates = Set(header).count != header.count
        }

        static func cast(_ text: String, type: String?, schemaDefined: Bool) -> Value {
            schemaDefined ? CSVCellTyping.cast(text, declaredType: type) : CSVCellTyping.autoCast(text)
        }

        func record(_ fields: [String], line: Int, report: inout Report) -> JSONObject {
            var record = JSONObject()
            record.reserveCapacity(header.count)
            for (i, name) in header.enumerated() {
                let value = i < fields.count ? Self.cast(fields[i], type: types[i], schemaDefined: schemaDefined) : .string("")
                if hasDuplicates { record[name] = value } else { record.appendUnchecked(name, value) }
            }
            if fields.count > header.count {
                report.note(line: line, "\(fields.count - header.count) cell(s) beyond the \(header.count) header columns discarded")
            } else if fields.count < header.count {
                report.note(line: line, "\(header.count - fields.count) missing cell(s) stored as empty strings")
            }
            return record
        }
    }

    /// Row-level facts that do not fail the load, reported in the job's `result`.
    private struct Report {
        var written = 0
        var skipped = 0
        var skippedKeys: [Value] = []
        var notes: [Value] = []
        var noteCount = 0

        mutating func note(line: Int, _ text: String) {
            noteCount += 1
            guard notes.count < CSVLoad.reportLimit else { return }
            notes.append(["line": .int(Int64(line)), "note": .string(text)])
        }

        /// nil when there is nothing to report (the job then has only its message).
        var value: Value? {
            guard skipped > 0 || noteCount > 0 else { return nil }
            var o = JSONObject()
            o.appendUnchecked("written", .int(Int64(written)))
            o.appendUnchecked("skipped", .int(Int64(skipped)))
            o.appendUnchecked("skipped_hashes", .array(skippedKeys))
            o.appendUnchecked("row_notes", .array(notes))
            o.appendUnchecked("row_note_count", .int(Int64(noteCount)))
            return .object(o)
        }
    }
}
