import Foundation
import Synchronization

/// Rows (or records) done out of a total, when the total is known; `started` is false
/// while the job waits for a slot.
struct JobProgress: Sendable, Equatable {
    var done: Int
    var total: Int?
    var started = false
}

/// Why a job stopped before finishing its work.
enum JobInterruption: Error, Sendable {
    /// `cancel_job`: the job ends `CANCELLED`; what was committed stays.
    case cancelled
    /// The application is shutting down: the job keeps its last stored status, which the
    /// next start turns into `ERROR` (see `JobStore.recoverInterrupted`).
    case shutdown
}

/// The handle a running job's work reports progress to and checks for cancellation on.
/// Shared between the job's task, `get_job` (progress) and `cancel_job` (the flag).
final class JobControl: Sendable {
    let id: String
    /// Wrap storage reads in `gate.read { }` so shutdown never closes storage under them.
    let gate: StorageGate
    private struct State {
        var progress = JobProgress(done: 0, total: nil)
        var interruption: JobInterruption?
    }
    private let state = Mutex(State())

    init(id: String, gate: StorageGate) {
        self.id = id
        self.gate = gate
    }

    var progress: JobProgress { state.withLock { $0.progress } }

    /// Marks the job as running (it had a slot and began its work).
    func markStarted() { state.withLock { $0.progress.started = true } }

    /// Sets the total amount of work, once known.
    func setTotal(_ total: Int?) { state.withLock { $0.progress.total = total } }

    /// Sets how much work is done.
    func setDone(_ done: Int) { state.withLock { $0.progress.done = done } }

    /// Asks the job to stop at its next check. The first reason wins.
    func interrupt(_ reason: JobInterruption) {
        state.withLock { if $0.interruption == nil { $0.interruption = reason } }
    }

    var interruption: JobInterruption? { state.withLock { $0.interruption } }

    /// Called by the work between units (batches): throws when the job must stop.
    /// - Throws: `JobInterruption`.
    func checkInterrupted() throws {
        if let reason = interruption { throw reason }
        if Task.isCancelled { throw JobInterruption.shutdown }
    }
}

/// Keeps jobs' storage reads and `Application.shutdown()` apart: LMDB environments must not
/// be closed under a read. Reads enter the gate (refused once it is closed); `close()`
/// refuses new entries and waits for the ones inside to leave.
final class StorageGate: Sendable {
    private struct State {
        var inside = 0
        var closed = false
    }
    private let state = Mutex(State())

    /// Longest `close()` waits for reads to leave.
    static let closeTimeout: Duration = .seconds(10)

    private func enter() throws {
        try state.withLock { s in
            if s.closed { throw JobInterruption.shutdown }
            s.inside += 1
        }
    }

    private func leave() { state.withLock { $0.inside -= 1 } }

    /// Runs a synchronous read. - Throws: `JobInterruption.shutdown` once closed.
    func read<T>(_ body: () throws -> T) throws -> T {
        try enter()
        defer { leave() }
        return try body()
    }

    /// Runs an asynchronous read (an embedded search). - Throws: as `read`.
    func readAsync<T>(_ body: () async throws -> T) async throws -> T {
        try enter()
        defer { leave() }
        return try await body()
    }

    /// Refuses new reads and waits (bounded) until none is inside.
    func close() {
        state.withLock { $0.closed = true }
        let deadline = ContinuousClock.now + Self.closeTimeout
        while state.withLock({ $0.inside }) > 0, ContinuousClock.now < deadline {
            usleep(1000)
        }
    }
}
