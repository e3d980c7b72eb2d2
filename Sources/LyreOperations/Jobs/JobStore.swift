import LyreCore
import LyreStorage
import Logging

/// Reads and writes job records in `system.hdb_job` (bulk-and-jobs.md §1.3).
/// Job updates are shallow merges (`update` mode), so each call names only what changes.
enum JobStore {
    static func systemDatabase(_ storage: StorageEngine) throws -> Database {
        guard let db = storage.database(StorageEngine.systemDatabase),
              db.table(SystemDatabase.jobTable) != nil else {
            throw LyreError.tableNotFound(StorageEngine.systemDatabase, SystemDatabase.jobTable, status: 500)
        }
        return db
    }

    /// Records a new job as `IN_PROGRESS` without a start time (it starts when the runner
    /// has a slot). `request` is kept for diagnosis (never returned).
    static func create(_ storage: StorageEngine, id: String, type: String, user: String, request: JSONObject) async throws {
        let db = try systemDatabase(storage)
        var record = JSONObject()
        record.appendUnchecked(JobRecord.id, .string(id))
        record.appendUnchecked(JobRecord.type, .string(type))
        record.appendUnchecked(JobRecord.user, .string(user))
        record.appendUnchecked(JobRecord.status, .string(JobStatus.inProgress.rawValue))
        record.appendUnchecked(JobRecord.createdDatetime, .int(JobRecord.now()))
        record.appendUnchecked(JobRecord.request, .object(request))
        let created = record
        _ = try await db.write { ctx in try ctx.write([created], mode: .insert, to: SystemDatabase.jobTable) }
    }

    /// Merges `fields` into the job's record.
    static func update(_ storage: StorageEngine, id: String, _ fields: JSONObject) async throws {
        let db = try systemDatabase(storage)
        var record = JSONObject()
        record.appendUnchecked(JobRecord.id, .string(id))
        for entry in fields { record[entry.key] = entry.value }
        let change = record
        _ = try await db.write { ctx in try ctx.write([change], mode: .update, to: SystemDatabase.jobTable) }
    }

    /// The fields of a finished job: status, end time, and message/result by Harper's rule.
    static func finishedFields(id: String, status: JobStatus, outcome: JobOutcome) -> JSONObject {
        var fields = JSONObject()
        fields.appendUnchecked(JobRecord.status, .string(status.rawValue))
        fields.appendUnchecked(JobRecord.endDatetime, .int(JobRecord.now()))
        fields.appendUnchecked(JobRecord.message, .string(outcome.message ?? "Successfully completed job: \(id)"))
        if let result = outcome.result { fields.appendUnchecked(JobRecord.result, result) }
        return fields
    }

    /// The stored record of a job, or nil.
    static func get(_ storage: StorageEngine, id: String) throws -> JSONObject? {
        let db = try systemDatabase(storage)
        guard let table = db.table(SystemDatabase.jobTable) else { return nil }
        return try db.read { txn in try txn.record(in: table, id: .string(id)) }
    }

    /// Every job record (the table is small: one row per job ever started).
    static func all(_ storage: StorageEngine) throws -> [JSONObject] {
        let db = try systemDatabase(storage)
        guard let table = db.table(SystemDatabase.jobTable) else { return [] }
        return try db.read { txn in try txn.allRecords(in: table) }
    }

    /// The message stored on jobs that a stop of the server interrupted.
    static let interruptedMessage = "Job was interrupted by a shutdown or restart of the server before it finished; records written before the interruption are kept"

    /// At start-up: a job still `IN_PROGRESS` (or `CREATED`, from earlier versions) belongs to a process that is gone,
    /// so it is marked `ERROR` with `interruptedMessage` (Lyre's choice; Harper leaves it as it
    /// was, bulk-and-jobs.md §1.3). Failures are logged, never fatal.
    static func recoverInterrupted(_ storage: StorageEngine, logger: Logger) {
        do {
            let db = try systemDatabase(storage)
            let stale = try all(storage).filter {
                let status = $0[JobRecord.status]?.stringValue
                return status == JobStatus.created.rawValue || status == JobStatus.inProgress.rawValue
            }
            guard !stale.isEmpty else { return }
            let end = JobRecord.now()
            let updates: [JSONObject] = stale.compactMap { job in
                guard let id = job[JobRecord.id] else { return nil }
                var fields = JSONObject()
                fields.appendUnchecked(JobRecord.id, id)
                fields.appendUnchecked(JobRecord.status, .string(JobStatus.error.rawValue))
                fields.appendUnchecked(JobRecord.endDatetime, .int(end))
                fields.appendUnchecked(JobRecord.message, .string(interruptedMessage))
                return fields
            }
            _ = try db.writeSync { ctx in try ctx.write(updates, mode: .update, to: SystemDatabase.jobTable) }
            logger.warning("marked \(updates.count) interrupted job(s) as ERROR")
        } catch {
            logger.error("could not mark interrupted jobs: \(error)")
        }
    }
}
