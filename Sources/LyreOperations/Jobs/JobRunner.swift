import LyreCore
import LyreStorage
import Logging
import Synchronization

/// The work of one job: runs in the background, reports progress to and checks
/// interruption on its `JobControl`, and returns the outcome stored on the job.
typealias JobWork = @Sendable (JobControl) async throws -> JobOutcome

/// Runs jobs in the background, at most `limit` at a time, in submission order.
///
/// Each job's record is `IN_PROGRESS` from its creation (a queued job shows
/// `progress.started == false` and no `start_datetime`), then `COMPLETE` / `ERROR` /
/// `CANCELLED` in `system.hdb_job`. Owned by `Application`: `shutdown()` interrupts every job so no
/// job writes after storage closes; what such a job committed stays, and the next start
/// marks it `ERROR` (`JobStore.recoverInterrupted`).
actor JobRunner {
    private struct Pending {
        let control: JobControl
        let work: JobWork
    }

    /// State read synchronously (`get_job` on an event loop, `shutdown()`).
    private struct Shared {
        var controls: [String: JobControl] = [:]
        var stopped = false
    }

    let limit: Int
    private let storage: StorageEngine
    private let logger: Logger
    private let shared = Mutex(Shared())
    private let gate = StorageGate()
    private var queue: [Pending] = []
    private var running: [String: Task<Void, Never>] = [:]

    init(storage: StorageEngine, logger: Logger, limit: Int = 2) {
        self.storage = storage
        self.logger = logger
        self.limit = max(1, limit)
    }

    /// Queues a job whose record exists (`IN_PROGRESS`, not started); it starts when a slot is free.
    func submit(id: String, work: @escaping JobWork) {
        let control = JobControl(id: id, gate: gate)
        let accepted = shared.withLock { s -> Bool in
            guard !s.stopped else { return false }
            s.controls[id] = control
            return true
        }
        guard accepted else { return }
        queue.append(Pending(control: control, work: work))
        startQueued()
    }

    /// The live control of a queued or running job (progress, cancellation).
    nonisolated func control(for id: String) -> JobControl? {
        shared.withLock { $0.controls[id] }
    }

    /// Result of a `cancel(id:)`.
    enum CancelResult: Sendable {
        /// The job was queued or running and is now `CANCELLED`.
        case cancelled
        /// The job is not queued or running in this process.
        case notRunning
    }

    /// Cancels a queued job at once, or asks a running one to stop and waits until it has
    /// stored its final status.
    func cancel(id: String) async -> CancelResult {
        if let index = queue.firstIndex(where: { $0.control.id == id }) {
            let pending = queue.remove(at: index)
            pending.control.interrupt(.cancelled)
            await Self.finish(pending.control, error: JobInterruption.cancelled, storage: storage, logger: logger)
            shared.withLock { _ = $0.controls.removeValue(forKey: id) }
            return .cancelled
        }
        guard let task = running[id], let control = control(for: id) else { return .notRunning }
        control.interrupt(.cancelled)
        await task.value
        return .cancelled
    }

    /// Interrupts every queued and running job, refuses new ones, and waits until no job
    /// is inside a storage read. Synchronous, so `Application.shutdown()` can call it right
    /// before closing storage.
    nonisolated func shutdown() {
        let controls = shared.withLock { s -> [JobControl] in
            s.stopped = true
            return Array(s.controls.values)
        }
        for control in controls { control.interrupt(.shutdown) }
        gate.close()
    }

    private func startQueued() {
        while running.count < limit, !queue.isEmpty {
            let pending = queue.removeFirst()
            let id = pending.control.id
            let storage = storage
            let logger = logger
            running[id] = Task {
                await Self.execute(pending.control, pending.work, storage: storage, logger: logger)
                self.finished(id)
            }
        }
    }

    private func finished(_ id: String) {
        running[id] = nil
        shared.withLock { _ = $0.controls.removeValue(forKey: id) }
        startQueued()
    }

    private static func execute(_ control: JobControl, _ work: JobWork, storage: StorageEngine, logger: Logger) async {
        let id = control.id
        do {
            try control.checkInterrupted()
            control.markStarted()
            var started = JSONObject()
            started.appendUnchecked(JobRecord.startDatetime, .int(JobRecord.now()))
            try await JobStore.update(storage, id: id, started)
            let outcome = try await work(control)
            try await JobStore.update(storage, id: id, JobStore.finishedFields(id: id, status: .complete, outcome: outcome))
        } catch {
            await finish(control, error: error, storage: storage, logger: logger)
        }
    }

    /// Stores the final status for a job that failed or was interrupted.
    private static func finish(_ control: JobControl, error: any Error, storage: StorageEngine, logger: Logger) async {
        let id = control.id
        let fields: JSONObject
        let reason: any Error = control.interruption == .shutdown ? JobInterruption.shutdown : error
        switch reason {
        case JobInterruption.shutdown:
            logger.info("job \(id) interrupted by shutdown")
            return
        case JobInterruption.cancelled:
            let p = control.progress
            let done = p.total.map { "\(p.done) of \($0)" } ?? "\(p.done)"
            fields = JobStore.finishedFields(id: id, status: .cancelled,
                outcome: .message("Job cancelled; \(done) done before it stopped, those writes are kept"))
        case let failure as JobFailure:
            var f = JobStore.finishedFields(id: id, status: .error, outcome: .message(""))
            f[JobRecord.message] = failure.message
            if let result = failure.result { f[JobRecord.result] = result }
            fields = f
        default:
            var f = JobStore.finishedFields(id: id, status: .error, outcome: .message(""))
            if let lyre = error as? LyreError {
                // Permission failures store the whole permission object (§1.4).
                f[JobRecord.message] = lyre.body ?? .string(lyre.message)
                if lyre.status >= 500 { logger.error("job \(id) failed: \(lyre)") }
            } else {
                f[JobRecord.message] = .string("\(error)")
                logger.error("job \(id) failed: \(error)")
            }
            fields = f
        }
        do {
            try await JobStore.update(storage, id: id, fields)
        } catch {
            logger.error("could not store the final status of job \(id): \(error)")
        }
    }
}
