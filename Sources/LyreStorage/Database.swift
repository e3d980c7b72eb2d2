internal import CLMDB
import LyreCore
import Dispatch
import Logging
import Synchronization

/// One database: an LMDB environment with its catalog and its group-commit writer.
///
/// ```swift
/// let result = try await db.write { ctx in
///     try ctx.write([["id": 1, "name": "Penny"]], mode: .insert, to: "dog")
/// }
/// let count = try db.read { txn in try txn.count(db.catalog["dog"]!.records) }
/// ```
package final class Database: Sendable {
    package let name: String
    let environment: Environment
    private let committed: Mutex<DatabaseCatalog>
    // Set once in init, right after `committed` exists (the writer needs `self`).
    private let writerBox = Mutex<Writer?>(nil)
    /// Readers of indexes tell the writer to stop deferring index changes.
    private let indexReads = IndexReadSignal()
    /// The index backlog DBI (`IndexBacklog`), checked in every read snapshot.
    private let indexBacklog: DBI
    /// Sees every committed group (replication); nil for a database nobody observes.
    private let commitObserver = Mutex<CommitObservation?>(nil)
    /// Told of every committed group (metrics); nil: nobody counts.
    private let commitStatistics = Mutex<(any CommitStatistics)?>(nil)
    /// `storage.maxTransactionQueueTime` in nanoseconds (0: none): see ``write(_:completion:)``.
    private let maximumQueueNanoseconds = Atomic<UInt64>(0)

    init(name: String, path: String, durable: Bool, initialMapSize: Int,
         backlogIdleDelay: DispatchTimeInterval = IndexBacklog.idleDelay, logger: Logger) throws {
        self.name = name
        environment = try Environment(path: path, durable: durable, initialMapSize: initialMapSize)
        let catalog: DatabaseCatalog
        do {
            catalog = try Self.loadCatalog(name: name, environment: environment)
        } catch {
            environment.close()
            throw error
        }
        committed = Mutex(catalog)
        indexBacklog = catalog.indexBacklog.dbi
        let writer = Writer(
            environment: environment, logger: logger, indexReads: indexReads, backlogIdleDelay: backlogIdleDelay,
            begin: { [unowned self] in self.committed.withLock { $0 } },
            publish: { [unowned self] catalog in self.committed.withLock { $0 = catalog } },
            observer: { [unowned self] in self.commitObserver.withLock { $0 } },
            statistics: { [unowned self] in self.commitStatistics.withLock { $0 } })
        writerBox.withLock { $0 = writer }
    }

    /// Sets (or with nil removes) the observer of this database's committed groups. Groups
    /// that begin after the call are observed; with an observer, deletes also leave
    /// tombstones (`Tombstones`).
    package func setCommitObserver(_ observer: CommitObservation?) {
        commitObserver.withLock { $0 = observer }
    }

    /// Sets (nil: removes) what is told of each committed group (`CommitStatistics`).
    package func setCommitStatistics(_ statistics: (any CommitStatistics)?) {
        commitStatistics.withLock { $0 = statistics }
    }

    /// Removes the outbox's groups up to `key` (they were handed on), in a later write.
    package func acknowledgeOutbox(upTo key: UInt64) {
        write({ ctx in try ctx.removeOutbox(upTo: key) }, completion: { _ in })
    }

    /// The outbox's groups (committed, not yet acknowledged), oldest first. Blocking.
    package func pendingOutbox() throws -> [CommittedGroup] {
        try writeSync { ctx in try ctx.outboxGroups() }
    }

    /// The catalog as of the last commit.
    package var catalog: DatabaseCatalog { committed.withLock { $0 } }

    /// Index changes waiting in the backlog as of the last commit (`IndexBacklog`).
    package var indexBacklogCount: Int { catalog.indexBacklog.count }

    /// The definition of one table as of the last commit.
    /// (`catalog` copies three references under the lock; the lookup runs outside it, as
    /// every request asks from every event loop.)
    package func table(_ name: String) -> TableDefinition? { catalog.tables[name] }

    /// Runs `body` in a read-only transaction on the calling thread. Never hold it across an `await`.
    ///
    /// The snapshot's indexes are complete: when index changes wait in the backlog
    /// (`IndexBacklog`), the writer is asked to apply them (and to write index changes
    /// directly for a while), and this waits for that commit before reading.
    /// - Parameter completeIndexes: false for a body that reads no index DBI (records by
    ///   primary key, counts): it then never waits for the backlog.
    package func read<T>(completeIndexes: Bool = true, _ body: (ReadTransaction) throws -> T) throws -> T {
        var attempts = 0
        while true {
            let outcome = try environment.withReadTransaction { txn -> ReadOutcome<T> in
                if completeIndexes, attempts < 8, IndexBacklog.entries(indexBacklog, in: txn) > 0,
                   let writer = writerBox.withLock({ $0 }), !writer.isCurrentThread {
                    return .backlog
                }
                return .read(try body(ReadTransaction(txn: txn)))
            }
            if case .read(let value) = outcome { return value }
            // Every group that starts after this defers nothing for a second; the job
            // applies what earlier groups deferred. The signal is renewed once the commit
            // is done, in case it took longer than that. (Eight attempts never fail in
            // practice; the bound only keeps a read from waiting forever.)
            attempts += 1
            indexReads.indexesRead()
            try writeSync { try $0.writeIndexesDirectly() }
            indexReads.indexesRead()
        }
    }

    /// Runs `body` on the writer thread inside the group's shared write transaction and
    /// returns once that transaction is durably committed.
    /// - Throws: what `body` throws (nothing it wrote is kept), or a storage failure.
    package func write<T: Sendable>(_ body: @escaping @Sendable (inout WriteContext) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            write(body) { continuation.resume(with: $0) }
        }
    }

    /// The completion-handler form of ``write(_:)``, for callers that must not hop through
    /// a task: `completion` runs on the writer thread right after the commit (or failure),
    /// so it should only hand the result over (to an event loop, say) and return.
    ///
    /// A write that waited for the writer longer than the queue-time limit
    /// (``setMaximumQueueTime(_:)``) is refused with `LyreError.transactionQueueTooLong`
    /// and writes nothing; writes queued later are judged by their own wait, so the refusals
    /// stop as soon as the writer has caught up.
    package func write<T: Sendable>(_ body: @escaping @Sendable (inout WriteContext) throws -> T,
                                    completion: @escaping @Sendable (Result<T, any Error>) -> Void) {
        let box = ResultBox<T>()
        let limit = maximumQueueNanoseconds.load(ordering: .relaxed)
        let queued = limit > 0 ? DispatchTime.now().uptimeNanoseconds : 0
        writerBox.withLock { $0 }!.submit(WriteJob(
            body: { ctx in
                if limit > 0, DispatchTime.now().uptimeNanoseconds &- queued > limit { throw LyreError.transactionQueueTooLong }
                box.value = try body(&ctx)
            },
            complete: { error in completion(error.map { .failure($0) } ?? .success(box.value!)) }))
    }

    /// `storage.maxTransactionQueueTime`: how long a write (``write(_:completion:)`` and
    /// ``write(_:)``) may wait for the writer before it is refused; `nil` or zero: no limit.
    /// Start-up writes (``writeSync(_:)``) and the writer's own work are never refused.
    package func setMaximumQueueTime(_ limit: Duration?) {
        let nanoseconds = limit.map { max(0, min($0.components.seconds, 1 << 32) * 1_000_000_000 + $0.components.attoseconds / 1_000_000_000) } ?? 0
        maximumQueueNanoseconds.store(UInt64(nanoseconds), ordering: .relaxed)
    }

    /// Blocking form of `write` for start-up and tools (never call on an event loop).
    package func writeSync<T: Sendable>(_ body: @escaping @Sendable (inout WriteContext) throws -> T) throws -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphoreBox()
        let failure = Mutex<(any Error)?>(nil)
        writerBox.withLock { $0 }!.submit(WriteJob(
            body: { ctx in box.value = try body(&ctx) },
            complete: { error in
                failure.withLock { $0 = error }
                done.signal()
            }))
        done.wait()
        if let error = failure.withLock({ $0 }) { throw error }
        return box.value!
    }

    /// Whether each commit is synced to disk before it is acknowledged (off with
    /// `storage.writeAsync`, and in tests that open storage without durability).
    package var syncsEachCommit: Bool { environment.syncsEachCommit }

    /// Switches between a sync per commit and `storage.writeAsync` (no sync; the engine's
    /// flusher calls ``flushCommits()``). The switch is a job on the writer thread, so it
    /// never races a commit; switching back to syncing also flushes what was committed before.
    func setSyncsEachCommit(_ on: Bool) {
        let environment = environment
        write({ _ in environment.setSyncsEachCommit(on) }, completion: { _ in
            if on { environment.flushCommits() }
        })
    }

    /// Makes every commit so far durable (one `fdatasync`) unless nothing was committed
    /// since the last flush. - Returns: whether a sync was made.
    @discardableResult
    package func flushCommits() -> Bool { environment.flushCommits() }

    /// Size of the database file in bytes.
    package var fileSize: Int {
        (try? environment.withReadLock {
            var info = MDB_envinfo()
            var stat = MDB_stat()
            mdb_env_info(environment.env, &info)
            mdb_env_stat(environment.env, &stat)
            return Int(info.me_last_pgno + 1) * Int(stat.ms_psize)
        }) ?? 0
    }

    /// Drops this process's page-table entries for the memory-mapped database file (the
    /// writer does it by itself every so many B-tree operations, see `MappedPageRelease`).
    /// Returns the bytes advised. Safe with transactions open: the data stays in the page cache.
    @discardableResult
    package func releaseMappedPages() -> Int {
        environment.releaseMappedPages()
    }

    /// Resident bytes of the mapped database file in this process (`nil` if unknown).
    package var residentMappedBytes: Int? {
        environment.residentMappedBytes()
    }

    /// Writes a compacted consistent snapshot of the whole environment to a file descriptor.
    package func copy(to fd: Int32) throws {
        try environment.copy(to: fd, compact: true)
    }

    /// Finishes queued writes and closes the environment.
    func close() {
        writerBox.withLock { $0 }?.stop()
        environment.sync()
        environment.close()
    }

    private static func loadCatalog(name: String, environment: Environment) throws -> DatabaseCatalog {
        var txn: OpaquePointer?
        try check(mdb_txn_begin(environment.env, nil, 0, &txn), "mdb_txn_begin")
        let write = WriteTransaction(txn: txn!)
        var catalog: DatabaseCatalog
        do {
            catalog = DatabaseCatalog(name: name, indexBacklog: try IndexBacklog.load(write))
            if let catalogDBI = try write.openDBI(WriteContext.catalogDBIName, create: false, dupSort: false) {
                var entries: [JSONObject] = []
                try write.withCursor(catalogDBI) { cursor in
                    var entry = try cursor.first()
                    while let e = entry {
                        entries.append(try RecordCodec.decode(e.value))
                        entry = try cursor.next()
                    }
                }
                for entry in entries {
                    guard let tableName = entry["name"]?.stringValue,
                          let records = try write.openDBI(TableDefinition.recordsDBIName(tableName), create: true, dupSort: false)
                    else { continue }
                    let (index, needsRebuild) = try write.openIndex(of: tableName)
                    var table = try TableDefinition(database: name, catalogEntry: entry, records: records, index: index)
                    if needsRebuild { try write.rebuildIndex(of: table) }
                    table.auditLog = try write.openAuditLog(tableName)
                    catalog.tables[tableName] = table
                }
            }
            if let meta = try write.openDBI(WriteContext.metaDBIName, create: false, dupSort: false) {
                try write.withCursor(meta) { cursor in
                    var entry = try cursor.first()
                    while let e = entry {
                        let key = String(decoding: e.key, as: UTF8.self)
                        if key.hasPrefix("updated:"), e.value.count == 8 {
                            var bits: UInt64 = 0
                            for b in e.value { bits = bits << 8 | UInt64(b) }
                            catalog.lastUpdated[String(key.dropFirst(8))] = Double(bitPattern: bits)
                        }
                        entry = try cursor.next()
                    }
                }
            }
            try check(mdb_txn_commit(txn), "mdb_txn_commit")
        } catch {
            mdb_txn_abort(txn)
            throw error
        }
        return catalog
    }
}

/// A read's result, or that its snapshot held an index backlog.
private enum ReadOutcome<T> {
    case read(T)
    case backlog
}

/// Holds a write body's result between the writer thread and the waiting caller.
final class ResultBox<T>: @unchecked Sendable {
    // @unchecked: written only on the writer thread before `complete`, read after it.
    var value: T?
}
