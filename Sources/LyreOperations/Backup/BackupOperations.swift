import Dispatch
import Foundation
import Logging
import LyreCore
import LyreStorage

/// `get_backup` (databases-and-tables.md §7.1): a consistent online snapshot of one database.
///
/// The snapshot is LMDB's compacting copy (`mdb_env_copyfd2` with `MDB_CP_COMPACT`) taken in
/// one read transaction, so it reflects the moment the operation started while writes go on.
/// The bytes are a complete Lyre database file: restore by stopping the server and putting
/// the file at `<root>/database/<database>.mdb`. With `table`/`tables`, the other tables are
/// dropped from the copy before it is sent.
enum BackupOperations {
    static func register(into registry: inout OperationRegistry) {
        registry.register(.getBackup, .response(getBackup))
    }

    @Sendable static func getBackup(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse {
        let name = try request.database()
        guard let db = context.app.storage.database(name) else { throw LyreError.databaseNotFound(name) }
        var wanted: [String]?
        if let table = request["table"], !table.isNull { wanted = [try Request.nameText(table, field: "table")] }
        if let tables = request["tables"]?.arrayValue {
            wanted = (wanted ?? []) + (try tables.map { try Request.nameText($0, field: "tables") })
        }
        for table in wanted ?? [] where db.table(table) == nil {
            throw LyreError(.tableNotFound, status: 404, "Can not find table \(table)")
        }
        let began = LogTime.format(Date().timeIntervalSince1970 * 1000)
        let bytes = try await Self.snapshot(db, keeping: wanted, logger: context.app.logger)
        return OutgoingResponse(body: .binary(bytes), headers: [
            ("Content-Disposition", "attachment; filename=\"\(name)\""),
            ("Date", began),
        ])
    }

    /// The compacted copy's bytes, taken off the caller's thread (the copy blocks on disk I/O).
    static func snapshot(_ db: Database, keeping tables: [String]?, logger: Logger) async throws -> [UInt8] {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try copy(db, keeping: tables, logger: logger) })
            }
        }
    }

    private static func copy(_ db: Database, keeping tables: [String]?, logger: Logger) throws -> [UInt8] {
        let folder = NSTemporaryDirectory() + "lyre-backup-" + UUID().uuidString
        let databaseFolder = folder + "/database"
        try FileManager.default.createDirectory(atPath: databaseFolder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = databaseFolder + "/" + db.name + ".mdb"
        let fd = open(file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw LyreError(.internalError, status: 500, "cannot create the backup file") }
        do {
            try db.copy(to: fd)
            close(fd)
        } catch {
            close(fd)
            throw LyreError(.internalError, status: 500, "backup failed", underlying: BackupFailure(description: "\(error)"))
        }
        if let tables {
            // Open the copy on its own and drop what was not asked for.
            let engine = try StorageEngine(root: folder, durable: true, logger: logger)
            defer { engine.close() }
            if let copy = engine.database(db.name) {
                let drop = copy.catalog.tableNames.filter { !tables.contains($0) }
                if !drop.isEmpty { try copy.writeSync { ctx in for name in drop { try ctx.dropTable(name) } } }
            }
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw LyreError(.internalError, status: 500, "cannot read the backup file")
        }
        return Array(data)
    }
}

struct BackupFailure: Error, Sendable, CustomStringConvertible {
    var description: String
}
