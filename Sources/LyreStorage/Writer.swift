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
    /// Work run on the writer thread between two groups, outside any transaction (an online
    /// compaction's start and swap); `body` is then unused.
    let maintenance: (() throws -> Void)?

    init(body: @escaping (inout WriteContext) throws -> Void, complete: @escaping @Sendable ((any Error)?) -> Void,
         maintenance: (() throws -> Void)? = nil) {
        self.body = body
        self.complete = complete
        self.maintenance = maintenance
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
    /// The environment written, with what drops its map's resident pages every so many
    /// B-tree operations; replaced by an online compaction (between groups, on this thread).
    private let current: Mutex<(environment: Environment, pageRelease: MappedPageRelease)>
    /// While an online compaction copies the file: where committed changes are recorded.
    private let compactionJournal = Mutex<CompactionJournal?>(nil)
    private let logger: Logger
    /// Called on the writer thread to start each attempt from the committed catalog.
    private let begin: @Sendable () -> DatabaseCatalog
    /// Called on the writer thread after a successful commit with the new catalog.
    private let publish: @Sendable (DatabaseCatalog) -> Void
    /// The commit observer, read at the start of each group (nil: no changes are gathered).
    private let observer: @Sendable () -> CommitObservation?
    /// Told of each committed group: its write count and the time from the transaction's
    /// begin to the end of its commit and sync (metrics; read once per group).
    private let statistics: @Sendable () -> (any CommitStatistics)?
    /// Whether readers want index changes written directly (`IndexBacklog`).
    private let indexReads: IndexReadSignal
    /// Quiet time after which a backlog of index changes is applied.
    private let backlogIdleDelay: DispatchTimeInterval
    /// The time of each group (`WriteContext.now`).
    private let clock: StorageClock
    /// The writer thread's `pthread_self()` (0 until it runs).
    private let thread = Atomic<UInt>(0)

    /// Outbox keys handed on (`acknowledgeOutbox`) and those already removed: the next
    /// group removes the difference in its own transaction, so acknowledging costs no commit
    /// of its own while writes keep coming.
    private let outbox = Mutex<(acknowledged: UInt64, removed: UInt64)>((0, 0))

    /// Notes that the outbox's groups up to `key` were handed on; the next group removes them.
    func acknowledgeOutbox(upTo key: UInt64) {
        outbox.withLock { $0.acknowledged = max($0.acknowledged, key) }
    }

    /// The greatest outbox key handed on.
    var outboxAcknowledged: UInt64 { outbox.withLock { $0.acknowledged } }

    /// Whether acknowledged outbox groups still wait for a group to remove them.
    var hasUnremovedOutboxAcknowledgement: Bool { outbox.withLock { $0.acknowledged > $0.removed } }

    /// Upper bound of jobs in one transaction, so one group's latency stays bounded.
    static let maximumGroupSize = 4096

    init(environment: Environment, logger: Logger, indexReads: IndexReadSignal, backlogIdleDelay: DispatchTimeInterval,
         clock: @escaping StorageClock = systemClock,
         begin: @escaping @Sendable () -> DatabaseCatalog,
         publish: @escaping @Sendable (DatabaseCatalog) -> Void,
         observer: @escaping @Sendable () -> CommitObservation? = { nil },
         statistics: @escaping @Sendable () -> (any CommitStatistics)? = { nil }) {
        current = Mutex((environment, MappedPageRelease(environment: environment)))
        self.logger = logger
        self.indexReads = indexReads
        self.backlogIdleDelay = backlogIdleDelay
        self.clock = clock
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
            var batch: [WriteJob] = []
            for job in takeQueued(upTo: Self.maximumGroupSize) {
                guard let maintenance = job.maintenance else {
                    batch.append(job)
                    continue
                }
                if !batch.isEmpty { commit(batch) }
                batch = []
                do {
                    try maintenance()
                    job.complete(nil)
                } catch {
                    job.complete(error)
                }
            }
            if !batch.isEmpty { commit(batch) }
            if state.withLock({ $0.stopped && $0.jobs.isEmpty }) { break }
        }
        finished.signal()
    }

    /// Runs `body` on the writer thread between two groups and waits for it (never call on
    /// the writer thread).
    func maintenanceSync(_ body: @escaping () throws -> Void) throws {
        let done = DispatchSemaphore(value: 0)
        let failure = Mutex<(any Error)?>(nil)
        submit(WriteJob(body: { _ in }, complete: { error in
            failure.withLock { $0 = error }
            done.signal()
        }, maintenance: body))
        done.wait()
        if let error = failure.withLock({ $0 }) { throw error }
    }

    /// Starts (or with nil stops) recording the changes of the groups that commit from now
    /// on. Call from a maintenance job.
    func setCompactionJournal(_ journal: CompactionJournal?) {
        compactionJournal.withLock { $0 = journal }
    }

    /// Writes to `environment` from the next group on. Call from a maintenance job.
    func setEnvironment(_ environment: Environment) {
        current.withLock { $0 = (environment, MappedPageRelease(environment: environment)) }
    }

    /// Takes up to `limit` queued jobs, oldest first; with `stopAtMaintenance`, only those
    /// before the first maintenance job.
    private func takeQueued(upTo limit: Int, stopAtMaintenance: Bool = false) -> [WriteJob] {
        state.withLock { s in
            var n = min(s.jobs.count, limit)
            if stopAtMaintenance, let m = s.jobs.prefix(n).firstIndex(where: { $0.maintenance != nil }) { n = m }
            let taken = Array(s.jobs.prefix(n))
            s.jobs.removeFirst(n)
            return taken
        }
    }

    private func commit(_ jobs: [WriteJob]) {
        var pending = jobs
        var attempts = 0
        let (environment, pageRelease) = current.withLock { $0 }
        let compaction = compactionJournal.withLock { $0 }
        while !pending.isEmpty {
            attempts += 1
            let journal = compaction.map { _ in TransactionJournal(names: environment.dbiNames) }
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
            var context = WriteContext(transaction: WriteTransaction(txn: txn, pageRelease: pageRelease, names: environment.dbiNames, journal: journal), catalog: begin(),
                                       now: clock(), defersIndexChanges: indexReads.mayDefer,
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
                let more = takeQueued(upTo: Self.maximumGroupSize - pending.count, stopAtMaintenance: true)
                if more.isEmpty { break }
                pending += more
            }
            var outbox: (key: UInt64, changes: [CommittedChange])?
            let acknowledged = self.outbox.withLock { $0.acknowledged > $0.removed ? $0.acknowledged : nil }
            if failedIndex == nil {
                do {
                    if let acknowledged { try context.removeOutbox(upTo: acknowledged) }
                    if let observe, let changes = context.changes {
                        let kept = Self.kept(changes, of: context.catalog.name, observe)
                        if !kept.isEmpty { outbox = (try context.keepInOutbox(kept), kept) }
                    }
                    try context.finish()
                } catch { failure = error }
            }
            if let failure, (failure as? LMDBError)?.isMapFull == true {
                mdb_txn_abort(txn)
                if !grow(environment, pending, attempts: attempts, failure) { return }
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
                if !grow(environment, pending, attempts: attempts, LMDBError(code: commitCode, call: "mdb_txn_commit")) { return }
                continue
            }
            if commitCode != 0 {
                let error = LMDBError(code: commitCode, call: "mdb_txn_commit")
                logger.error("commit failed: \(error)")
                pending.forEach { $0.complete(error) }
                return
            }
            if let compaction, let journal { compaction.append(journal) }
            publish(context.catalog)
            if let acknowledged { self.outbox.withLock { $0.removed = max($0.removed, acknowledged) } }
            statistics()?.committed(pending.count, ContinuousClock.now - started)
            if let observe, let outbox {
                observe.observe(CommittedGroup(database: context.catalog.name, timestamp: context.now, changes: outbox.changes,
                                               outboxKey: outbox.key))
            }
            pending.forEach { $0.complete(nil) }
            return
        }
    }

    /// The changes of a group that the observer wants (schema changes and those of observed
    /// tables), with consecutive puts (or deletes) of one table merged into one change: a
    /// group of many single-record inserts is then one change in the outbox, not one per
    /// request (the publisher merged them into one message anyway). Asks `observes` once per
    /// run of one table's changes, not once per change.
    static func kept(_ changes: [CommittedChange], of database: String, _ observe: CommitObservation) -> [CommittedChange] {
        var kept: [CommittedChange] = []
        var decided: (table: String, observed: Bool)?
        for change in changes {
            if change.isSchema {
                kept.append(change)
                continue
            }
            let observed: Bool
            if let decided, decided.table == change.table {
                observed = decided.observed
            } else {
                observed = observe.observes(database, change.table)
                decided = (change.table, observed)
            }
            guard observed else { continue }
            if let last = kept.indices.last, kept[last].table == change.table, !kept[last].isSchema, kept[last].merge(change) { continue }
            kept.append(change)
        }
        return kept
    }

    /// Grows the map for a replay; on failure answers every job with the error and returns false.
    private func grow(_ environment: Environment, _ pending: [WriteJob], attempts: Int, _ cause: any Error) -> Bool {
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
