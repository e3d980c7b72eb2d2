import Foundation
import LyreCore
import LyreStorage

/// `get_job`, `search_jobs_by_start_date` (bulk-and-jobs.md §2–3), `cancel_job` (Lyre's,
/// docs/jobs.md), and `start`, which every job operation calls once its synchronous
/// validation has passed.
enum JobOperations {
    static func register(into registry: inout OperationRegistry) {
        registry.register(.getJob, .sync(getJob))
        registry.register(.searchJobsByStartDate, .sync(searchJobsByStartDate))
        registry.register(.cancelJob, .async(cancelJob))
    }

    /// Records an `IN_PROGRESS` job, queues `work` on the application's runner and answers
    /// `Starting job with id <id>` with `job_id` (§1.2). The job `type` is the operation
    /// name as sent (`delete_files_before` stays itself).
    static func start(_ request: Request, _ context: OperationContext, work: @escaping JobWork) async throws -> OutgoingResponse.Body {
        let id = UUID().uuidString.lowercased()
        var stored = request.body
        // Inline CSV can be large; the stored request is for diagnosis only.
        if case .string(let data)? = stored["data"] { stored["data"] = .string("<\(data.utf8.count) bytes>") }
        // Download headers may carry the source's credentials: keep their names only.
        if case .object(let headers)? = stored["passthrough_headers"] {
            stored["passthrough_headers"] = .array(headers.keys.map { .string($0) })
        }
        // S3 operations carry access keys: the secret never reaches storage (nor get_job).
        if case .object(var s3)? = stored["s3"] {
            for name in ["aws_secret_access_key", "aws_session_token"] where s3[name] != nil { s3[name] = .string("****") }
            stored["s3"] = .object(s3)
        }
        try await JobStore.create(context.app.storage, id: id, type: request.operation.rawValue,
                                  user: context.user.username, request: stored)
        await context.app.jobs.submit(id: id, work: work)
        var body = JSONObject()
        body.appendUnchecked("message", .string("Starting job with id \(id)"))
        body.appendUnchecked("job_id", .string(id))
        return .json(.object(body))
    }

    // MARK: get_job

    @Sendable static func getJob(_ request: Request, _ context: OperationContext) throws -> OutgoingResponse.Body {
        guard let value = request["id"], !value.isNull else { throw LyreError.validation("'id' is required") }
        guard case .string(let id) = value else { return .json(.array([])) }
        if id.isEmpty { throw LyreError(.badRequest, status: 400, "Invalid job ID specified.") }
        guard let stored = try JobStore.get(context.app.storage, id: id) else { return .json(.array([])) }
        let progress = context.app.jobs.control(for: id)?.progress
        return .json(.array([JobRecord.response(stored, progress: progress)]))
    }

    // MARK: search_jobs_by_start_date

    @Sendable static func searchJobsByStartDate(_ request: Request, _ context: OperationContext) throws -> OutgoingResponse.Body {
        let prefix = "There was an error searching jobs by date: Error: "
        guard let from = request["from_date"]?.stringValue.flatMap({ ISODate.parse($0) }) else {
            throw LyreError(.badRequest, status: 400, prefix + "Invalid 'from' date, must be in ISO-8601 format (YYYY-MM-DD).")
        }
        guard let to = request["to_date"]?.stringValue.flatMap({ ISODate.parse($0) }) else {
            throw LyreError(.badRequest, status: 400, prefix + "Invalid 'to' date, must be in ISO-8601 format (YYYY-MM-DD)")
        }
        let jobs = try JobStore.all(context.app.storage).filter { job in
            guard let start = job[JobRecord.startDatetime]?.doubleValue else { return false }
            return from < start && start < to
        }
        return .json(.array(jobs.map { job in
            let id = job[JobRecord.id]?.stringValue ?? ""
            return JobRecord.response(job, progress: context.app.jobs.control(for: id)?.progress)
        }))
    }

    // MARK: cancel_job

    /// Stops a queued or running job: what it committed stays, nothing more is written, and
    /// its status becomes `CANCELLED`. Answers once the job has stopped.
    /// Allowed to the job's owner and to super users.
    @Sendable static func cancelJob(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        guard let value = request["id"], !value.isNull else { throw LyreError.validation("'id' is required") }
        guard case .string(let id) = value, !id.isEmpty else { throw LyreError.validation("'id' must be a job id") }
        guard let stored = try JobStore.get(context.app.storage, id: id) else {
            throw LyreError(.notFound, status: 404, "Job '\(id)' not found")
        }
        if !context.user.isSuperUser && stored[JobRecord.user]?.stringValue != context.user.username {
            throw LyreError.unauthorized(access: [.string("Job '\(id)' belongs to another user")])
        }
        switch await context.app.jobs.cancel(id: id) {
        case .cancelled:
            var body = JSONObject()
            body.appendUnchecked("message", .string("Job \(id) cancelled"))
            body.appendUnchecked("job_id", .string(id))
            return .json(.object(body))
        case .notRunning:
            let status = try JobStore.get(context.app.storage, id: id)?[JobRecord.status]?.stringValue ?? "unknown"
            throw LyreError.badRequest("Job '\(id)' is not running (status \(status))")
        }
    }
}
