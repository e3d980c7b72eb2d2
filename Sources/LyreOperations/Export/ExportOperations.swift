import Foundation
import LyreCore
import LyreStorage

/// `export_local` (bulk-and-jobs.md §9) and `delete_records_before` / `delete_files_before`
/// (nosql.md §8): jobs that read a table and write a file, or delete in batches.
/// `export_to_s3` / `import_from_s3` are not registered: they answer "not supported".
enum ExportOperations {
    static func register(into registry: inout OperationRegistry) {
        registry.register(.exportLocal, .async(exportLocal))
        registry.register(.deleteRecordsBefore, .async(deleteRecordsBefore))
    }

    // MARK: export_local

    /// Every parameter is checked when the job runs (§9 lists them as job-time errors), except
    /// an `sql` search: its statement is parsed and its rights checked before the job starts
    /// (README §3; a non-super user with those rights may export, §9).
    @Sendable static func exportLocal(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        if Authorization.searchesWithSQL(request.body), case .object(let search)? = request["search_operation"] {
            try SQLOperation.authorizeEmbedded(search, user: context.user, catalog: context.app.storage)
        }
        let export = ExportLocal(body: request.body, user: context.user)
        let app = context.app
        return try await JobOperations.start(request, context) { control in
            try await export.run(app: app, control: control)
        }
    }

    // MARK: delete_records_before

    @Sendable static func deleteRecordsBefore(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        guard let dateValue = request["date"], !dateValue.isNull else { throw LyreError.validation("'date' is required") }
        guard case .string(let text) = dateValue, let cutoff = ISODate.parse(text) else {
            throw LyreError.validation("'date' must be in ISO 8601 date format")
        }
        guard let table = request["table"], !table.isNull else { throw LyreError.validation("'table' is required") }
        _ = table
        let job = DeleteRecordsBefore(database: try request.database(), table: try request.table(), cutoff: cutoff)
        let storage = context.app.storage
        return try await JobOperations.start(request, context) { control in
            try await job.run(storage: storage, control: control)
        }
    }
}

/// The job of `delete_records_before`: every record whose `__createdtime__` is earlier than
/// `cutoff` is deleted, in batches of `batchSize` per transaction; a missing database or
/// table is a job error (nosql.md §8, inferred).
struct DeleteRecordsBefore: Sendable {
    var database: String
    var table: String
    var cutoff: Double

    static let batchSize = 10_000

    func run(storage: StorageEngine, control: JobControl) async throws -> JobOutcome {
        guard let db = storage.database(database) else { throw LyreError.databaseNotFound(database) }
        guard let definition = db.table(table) else { throw LyreError.tableNotFound(database, table) }
        guard definition.attribute(TableDefinition.createdTime) != nil else {
            throw LyreError.badRequest("Table must have a '__createdtime__' attribute or @createdTime timestamp defined to perform this operation")
        }
        let cutoff = cutoff
        let tableName = table
        // With clustering on, the marker first: every node deletes what it holds under it,
        // also records this node has not received yet (docs/architecture.md § Clustering).
        try await db.write { ctx in try ctx.noteDeleteRecordsBefore(cutoff, in: tableName) }
        let ids: [Value] = try control.gate.read { try db.read { txn in
            var ids: [Value] = []
            try txn.forEachRecord(in: definition) { key, bytes in
                if let created = try RecordCodec.value(of: TableDefinition.createdTime, in: bytes)?.doubleValue, created < cutoff {
                    ids.append(try KeyCodec.decode(key))
                }
                return true
            }
            return ids
        } }
        guard !ids.isEmpty else { return .message("No records found to delete") }
        control.setTotal(ids.count)
        var deleted = 0
        var start = 0
        while start < ids.count {
            try control.checkInterrupted()
            let batch = Array(ids[start..<min(ids.count, start + Self.batchSize)])
            let result = try await db.write { ctx in try ctx.delete(ids: batch, from: tableName) }
            deleted += result.deleted.count
            start += batch.count
            control.setDone(start)
        }
        let noun = ids.count == 1 ? "record" : "records"
        return .message("\(deleted) of \(ids.count) \(noun) successfully deleted")
    }
}
