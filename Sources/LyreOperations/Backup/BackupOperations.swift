import Dispatch
import Foundation
import Logging
import LyreCore
import LyreStorage

/// `get_backup` (databases-and-tables.md §7.1): a consistent online snapshot of one database,
/// streamed.
///
/// The snapshot is LMDB's compacting copy (`mdb_env_copyfd2` with `MDB_CP_COMPACT`) taken in
/// one read transaction, so it reflects the moment the operation started while writes go on
/// (LMDB readers never block the writer). It is written to a file under `<root>/tmp/` that is
/// unlinked as soon as it is open, and the response streams that file in chunks
/// (`ByteStream`), so memory stays at one chunk whatever the database's size, and the read
/// transaction ends when the copy does, not when a slow client has read the last byte.
/// The bytes are a complete Lyre database file: restore by stopping the server and putting
/// the file at `<root>/database/<database>.mdb`. With `table`/`tables`, the other tables are
/// dropped from the copy before it is sent.
enum BackupOperations {
    static func register(into registry: inout OperationRegistry) {
        registry.register(.getBackup, .response(getBackup))
    }

    /// Chunk size of backup responses (tests lower it).
    static let chunkSize = ByteStream.defaultChunkSize

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
        let stream = try await Self.snapshot(db, keeping: wanted, temporaryFolder: Self.temporaryFolder(context.app.storage.root),
                                             logger: context.app.logger)
        return OutgoingResponse(body: .stream(stream), headers: [
            ("Content-Disposition", "attachment; filename=\"\(name)\""),
            ("Date", began),
        ])
    }

    /// Where snapshots are built: on the data's own file system (a tmpfs `/tmp` would hold a
    /// large copy in memory), removed at start in case a crash left one behind.
    static func temporaryFolder(_ root: String) -> String { root + "/tmp/backups" }

    /// Removes snapshot files a crash may have left (called when the application opens the root).
    static func removeLeftovers(root: String) {
        try? FileManager.default.removeItem(atPath: temporaryFolder(root))
    }

    /// The compacted copy as a stream, taken off the caller's thread (the copy blocks on disk I/O).
    static func snapshot(_ db: Database, keeping tables: [String]?, temporaryFolder: String, logger: Logger,
                         chunkSize: Int = chunkSize) async throws -> ByteStream {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result {
                    try copy(db, keeping: tables, temporaryFolder: temporaryFolder, logger: logger, chunkSize: chunkSize)
                })
            }
        }
    }

    private static func copy(_ db: Database, keeping tables: [String]?, temporaryFolder: String, logger: Logger,
                             chunkSize: Int) throws -> ByteStream {
        let folder = temporaryFolder + "/" + UUID().uuidString
        let databaseFolder = folder + "/database"
        try FileManager.default.createDirectory(atPath: databaseFolder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = databaseFolder + "/" + db.name + ".mdb"
        var fd = open(file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw LyreError(.internalError, status: 500, "cannot create the backup file") }
        do {
            try db.copy(to: fd)
        } catch {
            close(fd)
            throw LyreError(.internalError, status: 500, "backup failed", underlying: BackupFailure(description: "\(error)"))
        }
        if let tables {
            // Open the copy on its own and drop what was not asked for.
            close(fd)
            let engine = try StorageEngine(root: folder, durable: true, logger: logger)
            defer { engine.close() }
            if let copy = engine.database(db.name) {
                let drop = copy.catalog.tableNames.filter { !tables.contains($0) }
                if !drop.isEmpty { try copy.writeSync { ctx in for name in drop { try ctx.dropTable(name) } } }
            }
            engine.close()
            fd = open(file, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw LyreError(.internalError, status: 500, "cannot read the backup file") }
        }
        // The descriptor keeps the file alive once `defer` has removed the folder.
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            close(fd)
            throw LyreError(.internalError, status: 500, "cannot read the backup file")
        }
        return ByteStream(takingDescriptor: fd, length: Int(info.st_size), chunkSize: chunkSize)
    }
}

struct BackupFailure: Error, Sendable, CustomStringConvertible {
    var description: String
}
