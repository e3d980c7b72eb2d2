import Foundation
import LyreCore

/// The statuses of a job (bulk-and-jobs.md §1.3), plus `CANCELLED` for `cancel_job`.
/// A job is stored `IN_PROGRESS` from the start, also while it waits for a slot, so clients
/// polling `get_job` never see Harper's transitional `CREATED` (docs/jobs.md).
enum JobStatus: String, Sendable, CaseIterable {
    /// Only in records written by earlier versions (recovered at start-up); never stored now.
    case created = "CREATED"
    case inProgress = "IN_PROGRESS"
    case complete = "COMPLETE"
    case error = "ERROR"
    /// Beyond Harper: stopped by `cancel_job` (docs/jobs.md).
    case cancelled = "CANCELLED"

    var isFinal: Bool { self == .complete || self == .error || self == .cancelled }
}

/// What a job's work returns, turned into the record's `message` / `result` by Harper's
/// rule (§1.4): a string is the message; anything else is the `result`, and the message
/// becomes `Successfully completed job: <id>`.
struct JobOutcome: Sendable {
    var message: String?
    var result: Value?
    /// Records a load wrote (not stored on the job; `LoadCompaction` decides by it).
    var rowsWritten = 0

    static func message(_ text: String) -> JobOutcome { JobOutcome(message: text, result: nil) }
    static func result(_ value: Value) -> JobOutcome { JobOutcome(message: nil, result: value) }
}

/// Field names of `system.hdb_job` records and the shape `get_job` returns.
enum JobRecord {
    static let id = "id"
    static let type = "type"
    static let user = "user"
    static let status = "status"
    static let message = "message"
    static let result = "result"
    static let request = "request"
    static let createdDatetime = "created_datetime"
    static let startDatetime = "start_datetime"
    static let endDatetime = "end_datetime"

    /// Milliseconds since the epoch, as Harper's `Date.now()`.
    static func now() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    /// A job as `get_job` and `search_jobs_by_start_date` return it: Harper 4.x's field
    /// order, the `_converted` ISO texts, `job_body: null`, never `request`; `progress`
    /// (beyond Harper) while it is queued or runs.
    static func response(_ stored: JSONObject, progress: JobProgress?) -> Value {
        var out = JSONObject()
        for key in [id, type, user, status, message, result, createdDatetime, startDatetime, endDatetime] {
            if let v = stored[key] { out.appendUnchecked(key, v) }
        }
        if let start = stored[startDatetime]?.doubleValue {
            out.appendUnchecked("start_datetime_converted", .string(ISODate.format(start)))
        }
        if let end = stored[endDatetime]?.doubleValue {
            out.appendUnchecked("end_datetime_converted", .string(ISODate.format(end)))
        }
        out.appendUnchecked("job_body", .null)
        if let progress, stored[status]?.stringValue == JobStatus.inProgress.rawValue {
            var p = JSONObject()
            p.appendUnchecked("done", .int(Int64(progress.done)))
            p.appendUnchecked("total", progress.total.map { Value.int(Int64($0)) } ?? .null)
            p.appendUnchecked("started", .bool(progress.started))
            out.appendUnchecked("progress", .object(p))
        }
        for key in ["__createdtime__", "__updatedtime__"] {
            if let v = stored[key] { out.appendUnchecked(key, v) }
        }
        return .object(out)
    }
}

/// A job failure that carries more than a text: `message` (a string, or the permission
/// object of §1.4) and an optional `result` with details such as the offending CSV line.
struct JobFailure: Error, Sendable {
    var message: Value
    var result: Value?

    init(_ error: LyreError, result: Value? = nil) {
        message = error.body ?? .string(error.message)
        self.result = result
    }
}
