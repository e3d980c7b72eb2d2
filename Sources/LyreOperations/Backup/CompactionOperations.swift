import Dispatch
import LyreCore
import LyreStorage

/// `compact_database` (Lyre's own, super user only): compacts one database's file while it
/// keeps serving reads and writes (`Database.compact`, see docs/architecture.md, "Compaction").
///
/// ```json
/// {"operation": "compact_database", "database": "dev"}
/// → {"message": "Compacted database 'dev'", "size_before": 104857600, "size_after": 2097152}
/// ```
enum CompactionOperations {
    static func register(into registry: inout OperationRegistry) {
        registry.register(.compactDatabase, .async(compactDatabase))
    }

    /// Compacts every database online, one after the other (`storage.compactOnStart` at a
    /// `restart`); failures are logged.
    static func compactAll(_ app: Application, keepBackup: Bool) async {
        let backups = keepBackup ? app.storage.root + "/backup" : nil
        for name in app.storage.databaseNames {
            guard let db = app.storage.database(name) else { continue }
            do {
                let (before, after) = try await blocking { try db.compact(backupDirectory: backups) }
                app.logger.notice("storage.compactOnStart: database '\(name)' compacted from \(before) to \(after) bytes")
            } catch {
                app.logger.error("storage.compactOnStart: database '\(name)' not compacted: \(error)")
            }
        }
    }

    /// Runs `work` on a thread of its own (a copy takes as long as the file is large).
    private static func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }

    @Sendable static func compactDatabase(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        let name = try request.database()
        guard let db = context.app.storage.database(name) else { throw LyreError.databaseNotFound(name) }
        let (before, after) = try await blocking {
            do {
                return try db.compact()
            } catch let aborted as CompactionAborted {
                throw LyreError(.conflict, status: 409, "Database '\(name)' was not compacted: \(aborted.reason)")
            }
        }
        context.app.logger.notice("compact_database: database '\(name)' compacted from \(before) to \(after) bytes")
        var o = JSONObject()
        o.appendUnchecked("message", .string("Compacted database '\(name)'"))
        o.appendUnchecked("size_before", .int(Int64(before)))
        o.appendUnchecked("size_after", .int(Int64(after)))
        return .json(.object(o))
    }
}
