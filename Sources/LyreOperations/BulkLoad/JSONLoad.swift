import Foundation
import LyreCore
import LyreStorage

/// The background part of `import_from_s3` for a `.json` object (bulk-and-jobs.md §8): the
/// object is one JSON array of records, loaded with the CSV load's two passes
/// (`CSVLoad`) and rules, in batches of `batchSize`.
///
/// 1. Validate (while the object downloads into its spool file): every element is an
///    object, attribute names are valid, primary keys pass the `insert`/`update`/`upsert`
///    checks; then the attribute-level permissions of every attribute seen. Any problem
///    ends the job `ERROR` with nothing written.
/// 2. Write: read the spool file again, one transaction per batch; string values that look
///    like JSON objects or arrays are parsed (the only cast, §8). Cancellation is checked
///    between batches: only whole batches stay.
///
/// Memory is bounded by a chunk, one record (`JSONArrayStream.maxElementBytes`) and two
/// batches, whatever the size of the object.
struct JSONLoad: Sendable {
    var database: String
    var table: String
    var mode: WriteMode
    var source: CSVSource
    var user: User
    var permissions: [TablePermission]
    var auditLog = false

    /// Records per transaction (Harper's chunk size for JSON imports).
    static let batchSize = 5_000
    /// Most distinct attribute names accepted in one object.
    static let maxAttributes = 10_000

    func run(storage: StorageEngine, control: JobControl) async throws -> JobOutcome {
        guard let db = storage.database(database) else { throw LyreError.databaseNotFound(database, status: 400) }
        guard let definition = db.table(table) else { throw LyreError.tableNotFound(database, table, status: 400) }
        return try await source.removingSpool { try await load(db: db, definition: definition, control: control) }
    }

    /// Parses one element; it must be an object.
    private static func record(_ bytes: [UInt8], index: Int) throws -> JSONObject {
        let value: Value
        do { value = try JSON.parse(bytes) } catch let error as LyreError {
            throw LyreError.badRequest("Invalid JSON in record \(index + 1): \(error.message), cancelling load operation")
        }
        guard case .object(let record) = value else {
            throw LyreError.badRequest("Record \(index + 1) is not an object: the object must contain a JSON array of records, cancelling load operation")
        }
        return record
    }

    private func load(db: Database, definition: TableDefinition, control: JobControl) async throws -> JobOutcome {
        // Pass 1: validate and count.
        var validation = Validation(table: definition, mode: mode)
        var stream = JSONArrayStream()
        do {
            let consume: (UnsafeRawBufferPointer) throws -> Void = { chunk in
                try stream.consume(chunk) { bytes, index in try validation.record(Self.record(bytes, index: index), index: index) }
            }
            if case .url(let download, let spool) = source {
                try await download.fetch(spoolingTo: spool, control: control, consume)
            } else {
                var reader = try source.reader()
                while try reader.next(consume) { try control.checkInterrupted() }
            }
            try stream.finish()
            try validation.flush()
        } catch let malformed as JSONArrayStream.Malformed {
            throw LyreError.badRequest(malformed.message)
        }
        guard validation.count > 0 else { return .message("No records parsed from csv file.") }
        try Authorization.checkTable(database: database, table: table, user: user,
                                     required: permissions, attributes: validation.attributes)
        control.setTotal(validation.count)
        control.setDone(0)

        // Pass 2: write in batches.
        var reader = try source.reader()
        stream = JSONArrayStream()
        var batch: [JSONObject] = []
        batch.reserveCapacity(Self.batchSize)
        var inflight: Task<RecordWriteResult, any Error>?
        var written = 0, skipped = 0, done = 0
        let tableName = table
        let mode = mode
        let audit = auditLog && definition.audit ? AuditDescriptor(operation: "\(mode)", username: user.username) : nil

        func submit(_ rows: [JSONObject]) async throws {
            if let previous = inflight {
                let result = try await previous.value
                inflight = nil
                written += result.written.count
                skipped += result.skipped.count
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
                try stream.consume(chunk) { bytes, index in
                    let record = try Self.record(bytes, index: index)
                    batch.append(Self.typed(record))
                }
            }) {
                var start = 0
                while batch.count - start >= Self.batchSize {
                    try await submit(Array(batch[start..<start + Self.batchSize]))
                    start += Self.batchSize
                }
                if start > 0 { batch.removeFirst(start) }
            }
            try stream.finish()
            if !batch.isEmpty { try await submit(batch) }
            if let last = inflight {
                inflight = nil
                let result = try await last.value
                written += result.written.count
                skipped += result.skipped.count
            }
        } catch {
            if let last = inflight { _ = try? await last.value }
            throw error
        }
        var outcome = JobOutcome.message("successfully loaded \(written) of \(validation.count - skipped) records")
        outcome.rowsWritten = written
        return outcome
    }

    /// §8: no auto-cast, except strings that look like JSON objects or arrays.
    static func typed(_ record: JSONObject) -> JSONObject {
        var out = record
        for entry in record {
            if case .string(let text) = entry.value, let first = text.utf8.first, first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
                let cast = CSVCellTyping.autoCast(text)
                if case .string = cast { continue }
                out[entry.key] = cast
            }
        }
        return out
    }

    /// What the first pass checks: names and primary keys, through `RecordValidation` on
    /// records reduced to their keys (values other than the primary key are not needed).
    private struct Validation {
        let table: TableDefinition
        let mode: WriteMode
        var count = 0
        var attributes: [String] = []
        var seen: Set<String> = []
        var pending: [JSONObject] = []
        var indexes: [Int] = []

        init(table: TableDefinition, mode: WriteMode) {
            self.table = table
            self.mode = mode
        }

        mutating func record(_ record: JSONObject, index: Int) throws {
            count += 1
            var reduced = JSONObject()
            for entry in record {
                if seen.insert(entry.key).inserted {
                    if entry.key.isEmpty || entry.key == "null" || entry.key == "undefined" {
                        throw JobFailure(LyreError.validation("Invalid attribute name: '\(entry.key)'"), result: ["record": .int(Int64(index + 1))])
                    }
                    attributes.append(entry.key)
                    guard attributes.count <= JSONLoad.maxAttributes else {
                        throw LyreError.badRequest("More than \(JSONLoad.maxAttributes) distinct attributes in the records, cancelling load operation")
                    }
                }
                reduced.appendUnchecked(entry.key, entry.key == table.primaryKey ? entry.value : .null)
            }
            pending.append(reduced)
            indexes.append(index)
            if pending.count >= 4096 { try flush() }
        }

        mutating func flush() throws {
            defer { pending.removeAll(keepingCapacity: true); indexes.removeAll(keepingCapacity: true) }
            do {
                try RecordValidation.check(pending, table: table, mode: mode)
            } catch let error as LyreError {
                for (record, index) in zip(pending, indexes) {
                    do { try RecordValidation.check([record], table: table, mode: mode) } catch {
                        throw JobFailure(error as? LyreError ?? LyreError.internalError(), result: ["record": .int(Int64(index + 1))])
                    }
                }
                throw error
            }
        }
    }
}
