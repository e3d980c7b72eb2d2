internal import CLMDB
import Dispatch
import Foundation
import Synchronization
import Logging

/// One queued write: a synchronous body run inside the shared transaction.
final class WriteJob: @unchecked Sendable {
    // @unchecked: `body` runs only on the writer thread; `complete` is called once.
    let body: (inout WriteContext) throws -> Void
    let complete: @Sendable ((any Error)?) -> Void

    init(body: @escaping (inout WriteContext) throws -> Void, complete: @escaping @Sendable ((any Error)?) -> Void) {
        self.body = body
        self.complete = complete
    }
}

/// The group-commit writer of one database: a dedicated thread that drains every pending
/// write job into one LMDB write transaction, commits once (one fsync for the whole
/// group), then completes each job with its own result.
///
/// A job that throws does not harm the others: the transaction is aborted, the failing
/// job is answered with its error, and the group is replayed without it (job bodies
/// are pure functions of the transaction). `MDB_MAP_FULL` grows the map and replays.
final class Writer: Sendable {
    private struct State {
        var jobs: [WriteJob] = []
        var stopped = false
    }

    private let state = Mutex(State())
    private let wakeup = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let environment: Environment
    /// Drops the map's resident pages every so many B-tree operations of the transactions.
    private let pageRelease: MappedPageRelease
    private let logger: Logger
    /// Called on the writer thread to start each attempt from the committed catalog.
    private let begin: @Sendable () -> DatabaseCatalog
    /// Called on the writer thread after a successful commit with the new catalog.
    private let publish: @Sendable (DatabaseCatalog) -> Void
    /// The commit observer, read at the start of each group (nil: no changes are gathered).
    private let observer: @Sendable () -> CommitObservation?
    /// Told of each committed group: its write count and the time from the transaction's
    /// begin to the end of its commit and sync (metrics; read once per group).
    private let statistics: @Sendable () -> CommitStatistics?
    /// Whether readers want index changes written directly (`IndexBacklog`).
    private let indexReads: IndexReadSignal
    /// Quiet time after which a backlog of index changes is applied.
    private let backlogIdleDelay: DispatchTimeInterval
    /// The writer thread's `pthread_self()` (0 until it runs).
    private let thread = Atomic<UInt>(0)

    /// Upper bound of jobs in one transaction, so one group's latency stays bounded.
    static let maximumGroupSize = 4096

    init(environment: Environment, logger: Logger, indexReads: IndexReadSignal, backlogIdleDelay: DispatchTimeInterval,
         begin: @escaping @Sendable () -> DatabaseCatalog,
         publish: @escaping @Sendable (DatabaseCatalog) -> Void,
         observer: @escaping @Sendable () -> CommitObservation? = { nil },
         statistics: @escaping @Sendable () -> CommitStatistics? = { nil }) {
        self.environment = environment
        pageRelease = MappedPageRelease(environment: environment)
        self.logger = logger
        self.indexReads = indexReads
        self.backlogIdleDelay = backlogIdleDelay
        self.begin = begin
        self.publish = publish
        self.observer = observer
        self.statistics = statistics
        let thread = Thread { [self] in self.run() }
        thread.name = "lyre-writer-\(environment.path.split(separator: "/").last ?? "")"
        thread.start()
    }

    /// Whether the caller runs on this writer's thread (where waiting for a write would
    /// wait for itself).
    var isCurrentThread: Bool { thread.load(ordering: .relaxed) == UInt(pthread_self()) }

    func submit(_ job: WriteJob) {
        let accepted = state.withLock { s -> Bool in
            if s.stopped { return false }
            s.jobs.append(job)
            return true
        }
        if accepted { wakeup.signal() } else { job.complete(WriterStopped()) }
    }

    /// Finishes queued jobs, then stops the thread. Blocks until it has stopped.
    func stop() {
        let wasRunning = state.withLock { s -> Bool in
            let running = !s.stopped
            s.stopped = true
            return running
        }
        guard wasRunning else { return }
        wakeup.signal()
        finished.wait()
    }

    private func run() {
        // Every write waits for this thread, so it should not wait for a core behind the
        // event loops when its sync returns: nice -5 for this thread only (Linux applies
        // PRIO_PROCESS with 0 to the calling thread). Needs CAP_SYS_NICE; without it the
        // call fails and nothing changes. Durable inserts, 5 alternating pairs: mean
        // 17,877/s against 15,624/s (Benchmarks/README.md, session 4).
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, -5)
        thread.store(UInt(pthread_self()), ordering: .relaxed)
        while true {
            // A backlog of index changes is applied once the database has been quiet a moment.
            if begin().indexBacklog.count > 0 {
                if wakeup.wait(timeout: .now() + backlogIdleDelay) == .timedOut {
                    commit([WriteJob(body: { try $0.writeIndexesDirectly() }, complete: { [logger] error in
                        if let error { logger.error("index backlog could not be applied: \(error)") }
                    })])
                    continue
                }
            } else {
                wakeup.wait()
            }
            let jobs = takeQueued(upTo: Self.maximumGroupSize)
            if !jobs.isEmpty { commit(jobs) }
            if state.withLock({ $0.stopped && $0.jobs.isEmpty }) { break }
        }
        finished.signal()
    }

    /// Takes up to `limit` queued jobs, oldest first.
    private func takeQueued(upTo limit: Int) -> [WriteJob] {
        state.withLock { s in
            let n = min(s.jobs.count, limit)
            let taken = Array(s.jobs.prefix(n))
            s.jobs.removeFirst(n)
            return taken
        }
    }

    private func commit(_ jobs: [WriteJob]) {
        var pending = jobs
        var attempts = 0
        while !pending.isEmpty {
            attempts += 1
            var txnPointer: OpaquePointer?
            let started = ContinuousClock.now
            let rc = mdb_txn_begin(environment.env, nil, 0, &txnPointer)
            guard rc == 0, let txn = txnPointer else {
                let error = LMDBError(code: rc, call: "mdb_txn_begin")
                logger.error("write transaction could not begin: \(error)")
                pending.forEach { $0.complete(error) }
                return
            }
            let observe = observer()
            var context = WriteContext(transaction: WriteTransaction(txn: txn, pageRelease: pageRelease), catalog: begin(),
                                       now: Self.nowMilliseconds(), defersIndexChanges: indexReads.mayDefer,
                                       gathersChanges: observe != nil)
            var failedIndex: Int?
            var failure: (any Error)?
            var index = 0
            while true {
                while index < pending.count {
                    do {
                        try pending[index].body(&context)
                    } catch {
                        failedIndex = index
                        failure = error
                        break
                    }
                    index += 1
                }
                // Jobs queued while this group was applied join it. Their clients were mostly
                // answered by the previous commit; left for the next group, the clients would
                // split into two cohorts that alternate, each paying a commit for half of them.
                guard failedIndex == nil, pending.count < Self.maximumGroupSize else { break }
                let more = takeQueued(upTo: Self.maximumGroupSize - pending.count)
                if more.isEmpty { break }
                pending += more
            }
            var outbox: (key: UInt64, changes: [CommittedChange])?
            if failedIndex == nil {
                do {
                    if let observe, let changes = context.changes {
                        let name = context.catalog.name
                        let kept = changes.filter { observe.observes(name, $0.table) }
                        if !kept.isEmpty { outbox = (try context.keepInOutbox(kept), kept) }
                    }
                    try context.finish()
                } catch { failure = error }
            }
            if let failure, (failure as? LMDBError)?.isMapFull == true {
                mdb_txn_abort(txn)
                if !grow(pending, attempts: attempts, failure) { return }
                continue
            }
            if let failedIndex, let failure {
                mdb_txn_abort(txn)
                pending[failedIndex].complete(failure)
                pending.remove(at: failedIndex)
                continue
            }
            if let failure {
                mdb_txn_abort(txn)
                logger.error("write group failed: \(failure)")
                pending.forEach { $0.complete(failure) }
                return
            }
            let commitCode = mdb_txn_commit(txn)
            if commitCode == MDB_MAP_FULL {
                if !grow(pending, attempts: attempts, LMDBError(code: commitCode, call: "mdb_txn_commit")) { return }
                continue
            }
            if commitCode != 0 {
                let error = LMDBError(code: commitCode, call: "mdb_txn_commit")
                logger.error("commit failed: \(error)")
                pending.forEach { $0.complete(error) }
                return
            }
            publish(context.catalog)
            statistics()?.committed(pending.count, ContinuousClock.now - started)
            if let observe, let outbox {
                observe.observe(CommittedGroup(database: context.catalog.name, timestamp: context.now, changes: outbox.changes,
                                               outboxKey: outbox.key))
            }
            pending.forEach { $0.complete(nil) }
            return
        }
    }

    /// Grows the map for a replay; on failure answers every job with the error and returns false.
    private func grow(_ pending: [WriteJob], attempts: Int, _ cause: any Error) -> Bool {
        do {
            guard attempts <= 40 else { throw cause }
            try environment.growMap()
            logger.info("database map grown: \(environment.path)")
            return true
        } catch {
            logger.error("could not grow the map of \(environment.path): \(error)")
            pending.forEach { $0.complete(error) }
            return false
        }
    }

    static func nowMilliseconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec / 1000) / 1000
    }
}

/// Receives each committed group's size (write jobs) and its begin-to-synced duration,
/// on the writer thread right after the commit: keep it quick (atomics, a short lock).
package protocol CommitStatistics: Sendable {
    func committed(_ writes: Int, _ duration: Duration)
}

struct WriterStopped: Error, Sendable, CustomStringConvertible {
    var description: String { "the database is closing" }
}
