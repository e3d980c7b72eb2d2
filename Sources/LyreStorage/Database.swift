internal import CLMDB
package import LyreCore
import Dispatch
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

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
    /// The LMDB environment; an online compaction (``compact()``) replaces it.
    private let environmentBox: Mutex<Environment>
    var environment: Environment { environmentBox.withLock { $0 } }
    /// Set while an online compaction runs (one at a time).
    private let compacting = Atomic<Bool>(false)
    /// Set when `close()` starts: a running compaction stops at its next transaction.
    private let closing = Atomic<Bool>(false)
    private let committed: Mutex<DatabaseCatalog>
    // Set once in init, right after `committed` exists (the writer needs `self`).
    let writerBox = Mutex<Writer?>(nil)
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
    /// When records expire (`Expiry`), checked in read snapshots of databases with expiring tables.
    private let expiryDBI: DBI
    /// Whether some table has an `expiration` (as of the last commit).
    private let expires: Atomic<Bool>
    /// The time (ms since the epoch) of writes and of expiry; tests inject their own.
    package let clock: StorageClock

    init(name: String, path: String, durable: Bool, initialMapSize: Int,
         backlogIdleDelay: DispatchTimeInterval = IndexBacklog.idleDelay, clock: @escaping StorageClock = systemClock,
         logger: Logger) throws {
        self.name = name
        self.clock = clock
        let environment = try Environment(path: path, durable: durable, initialMapSize: initialMapSize)
        environmentBox = Mutex(environment)
        let catalog: DatabaseCatalog
        do {
            catalog = try Self.loadCatalog(name: name, environment: environment)
        } catch {
            environment.close()
            throw error
        }
        committed = Mutex(catalog)
        indexBacklog = catalog.indexBacklog.dbi
        expiryDBI = catalog.expiryDBI
        expires = Atomic(catalog.hasExpiringTables)
        let writer = Writer(
            environment: environment, logger: logger, indexReads: indexReads, backlogIdleDelay: backlogIdleDelay,
            clock: clock,
            begin: { [unowned self] in self.committed.withLock { $0 } },
            publish: { [unowned self] catalog in
                self.committed.withLock { $0 = catalog }
                self.expires.store(catalog.hasExpiringTables, ordering: .relaxed)
            },
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

    /// Removes the outbox's groups up to `key` (they were handed on), in the next write
    /// group (no commit of its own); `flushOutboxAcknowledgements` forces one when no
    /// write comes.
    package func acknowledgeOutbox(upTo key: UInt64) {
        writerBox.withLock { $0 }?.acknowledgeOutbox(upTo: key)
    }

    /// Removes acknowledged outbox groups now, in a write of their own, if no group did yet
    /// (the publisher calls it when idle).
    package func flushOutboxAcknowledgements() {
        guard writerBox.withLock({ $0 })?.hasUnremovedOutboxAcknowledgement == true else { return }
        write({ _ in }, completion: { _ in })
    }

    /// The outbox's groups (committed, not yet acknowledged), oldest first. Blocking.
    package func pendingOutbox() throws -> [CommittedGroup] {
        let acknowledged = writerBox.withLock { $0 }?.outboxAcknowledged ?? 0
        return try writeSync { ctx in try ctx.outboxGroups() }.filter { ($0.outboxKey ?? .max) > acknowledged }
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
        // Records that expired by the time the read began are deleted before it reads.
        let readTime = expires.load(ordering: .relaxed) ? clock() : nil
        while true {
            let environment = environment
            let outcome: ReadOutcome<T>
            do {
                outcome = try environment.withReadTransaction { txn -> ReadOutcome<T> in
                    if let readTime, let earliest = try Expiry.earliest(expiryDBI, in: ReadTransaction(txn: txn)),
                       Double(earliest) <= readTime, let writer = writerBox.withLock({ $0 }), !writer.isCurrentThread {
                        return .expired
                    }
                    if completeIndexes, attempts < 8, IndexBacklog.entries(indexBacklog, in: txn) > 0,
                       let writer = writerBox.withLock({ $0 }), !writer.isCurrentThread {
                        return .backlog
                    }
                    return .read(try body(ReadTransaction(txn: txn)))
                }
            } catch is EnvironmentClosed where self.environment !== environment {
                continue  // an online compaction swapped the file under this read: read the new one
            }
            switch outcome {
            case .read(let value): return value
            case .expired:
                // Each batch is its own group (other writes go on between them); every batch
                // deletes what expired by `readTime`, and later writes expire later, so this ends.
                if let readTime { _ = try deleteExpired(upTo: readTime) }
                continue
            case .backlog: break
            }
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

    /// Deletes the records that expired at or before `time` (ms; default: now), in groups of
    /// `Expiry.batchSize` (other writes go on between them). Blocking (never call on the
    /// writer thread). - Returns: how many expiry entries were consumed.
    @discardableResult
    package func deleteExpired(upTo time: Double? = nil) throws -> Int {
        let time = time ?? clock()
        var total = 0
        while true {
            // A snapshot without expired records needs no write at all.
            let earliest = try environment.withReadTransaction { try Expiry.earliest(expiryDBI, in: ReadTransaction(txn: $0)) }
            guard let earliest, Double(earliest) <= time else { return total }
            let n = try writeSync { ctx in try ctx.deleteExpired(upTo: time) }
            total += n
            if n < Expiry.batchSize { return total }
        }
    }

    /// Deletes the audit entries older than `timestamp` (ms) of every table, oldest first, in
    /// groups of `Expiry.batchSize` (`logging.auditRetention`). Blocking (never call on the
    /// writer thread). - Returns: how many were removed.
    @discardableResult
    package func deleteAuditEntries(before timestamp: Double) throws -> Int {
        var total = 0
        for name in catalog.tableNames {
            while true {
                guard let table = self.table(name),
                      let oldest = try environment.withReadTransaction({ try ReadTransaction(txn: $0).oldestAuditTimestamp(of: table) }),
                      oldest < timestamp else { break }
                let n = try writeSync { ctx in try ctx.deleteAudit(of: name, before: timestamp, limit: Expiry.batchSize) }
                total += n
                if n < Expiry.batchSize { break }
            }
        }
        return total
    }

    /// When the record `id` of `table` expires (ms since the epoch), or nil when it does not.
    package func expiryTime(of id: Value, in table: String) throws -> UInt64? {
        guard let definition = self.table(table) else { return nil }
        return try read(completeIndexes: false) { txn in try txn.expiryTime(expiryDBI, in: definition, id: id) }
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
        write({ _ in self.environment.setSyncsEachCommit(on) }, completion: { _ in
            if on { self.environment.flushCommits() }
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

    /// Compacts the database file while it goes on serving (`compact_database`).
    ///
    /// 1. A maintenance job on the writer (between two groups) starts a journal: every group
    ///    that commits from then on also records its changes (DBI name, key, value).
    ///    The same job gives every DBI of the file a handle and takes the snapshot to compact.
    /// 2. The snapshot is rebuilt into `<file>.compacting-online` (`Rebuild`: every DBI walked in
    ///    key order and put with `MDB_APPEND` into a fresh environment, in bounded write
    ///    transactions, so every leaf is full): readers and the writer go on meanwhile (the
    ///    snapshot pins its pages, so the file may grow a little). A file whose main DB holds
    ///    more than named DBIs gets LMDB's compacting copy instead (`MDB_CP_COMPACT`).
    /// 3. The new file is opened as a new environment, and a second maintenance job — the only
    ///    moment writes wait — opens its DBIs at the handles they have in the old one (every
    ///    table definition holds handles), replays the journal in one transaction, renames
    ///    the copy over the file, and makes the new environment current for readers and the
    ///    writer. The catalog does not change: same data, same handles.
    /// 4. The old environment closes once the reads still running on it end (a read that
    ///    finds it closed reads the new one).
    ///
    /// Blocking: call on a thread that may wait (never an event loop or the writer).
    /// - Parameter backupDirectory: where to keep the original file (`<dir>/<name>.mdb`, a
    ///   hard link made just before the swap, or a copy on another file system); nil: not kept.
    /// - Returns: the file's size before and after.
    /// - Throws: `CompactionAborted` (nothing changed) when a compaction already runs, when the
    ///   journal outgrew its bound, when a handle could not be matched, or when the new file
    ///   could not be written (the storage error as its reason); `WriterStopped`.
    package func compact(backupDirectory: String? = nil) throws -> (bytesBefore: Int, bytesAfter: Int) {
        guard !compacting.exchange(true, ordering: .acquiring) else {
            throw CompactionAborted(reason: "a compaction of database '\(name)' is already running")
        }
        defer { compacting.store(false, ordering: .releasing) }
        guard let writer = writerBox.withLock({ $0 }) else { throw WriterStopped() }
        let old = environment
        let path = old.path
        let before = StartCompaction.fileSize(path)
        let temporary = path + ".compacting-online"
        unlink(temporary)
        unlink(temporary + "-lock")
        let journal = CompactionJournal()
        var fresh: Environment?
        do {
            // The journal starts, and (unless the file holds more than named DBIs) every DBI gets
            // a handle and the snapshot to rebuild from is taken, while the writer is paused:
            // no `mdb_dbi_open` or drop may run meanwhile (`Rebuild`).
            let snapshot = Mutex<Rebuild.Snapshot?>(nil)
            try writer.maintenanceSync {
                writer.setCompactionJournal(journal)
                if try Rebuild.openEveryDBI(old) {
                    let taken = try Rebuild.snapshot(old)
                    snapshot.withLock { $0 = taken }
                }
            }
            if let taken = snapshot.withLock({ $0 }) {
                // The snapshot's read transaction is aborted while the environment is surely
                // open (under its read lock, which `close()` waits for). If `close()` came
                // first, the transaction is left as it is: aborting it after `mdb_env_close`
                // dereferenced freed memory (a background compaction during shutdown crashed).
                try old.withReadLock {
                    defer { taken.abort() }
                    try Rebuild.write(taken, to: temporary, mapSize: old.currentMapSize,
                                      releasePages: { old.releaseMappedPagesHoldingLock() },
                                      shouldStop: { self.closing.load(ordering: .relaxed) })
                }
            } else {
                try copyCompacted(old, to: temporary)
            }
            let opened = try Environment(path: temporary, durable: old.syncsEachCommit, initialMapSize: old.currentMapSize,
                                         finalPath: path)
            fresh = opened
            try writer.maintenanceSync { [self] in
                writer.setCompactionJournal(nil)
                guard let changes = journal.take() else {
                    throw CompactionAborted(reason: "the writes during the copy were too many to replay")
                }
                try opened.replay(slots: old.dbiNames.all, changes: changes)
                if let backupDirectory { try StartCompaction.keepBackup(of: path, in: backupDirectory) }
                guard rename(temporary, path) == 0 else {
                    throw CompactionAborted(reason: "cannot rename \(temporary): \(String(cString: strerror(errno)))")
                }
                environmentBox.withLock { $0 = opened }
                writer.setEnvironment(opened)
            }
        } catch {
            try? writer.maintenanceSync { writer.setCompactionJournal(nil) }
            fresh?.close()
            unlink(temporary)
            unlink(temporary + "-lock")
            // Nothing was swapped (the rename is the last step that can fail): say so (409).
            throw error as? CompactionAborted ?? CompactionAborted(reason: "\(error)")
        }
        StartCompaction.syncDirectory(of: path)
        old.close()  // waits for the reads still on the old file
        // The new environment's lock file takes the usual name (the old one is closed).
        rename(temporary + "-lock", path + "-lock")
        return (before, StartCompaction.fileSize(path))
    }

    /// LMDB's compacting copy (live pages as they are) of `environment` into a new file at
    /// `path`: the compaction of a file whose main DB holds more than named DBIs.
    private func copyCompacted(_ environment: Environment, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CompactionAborted(reason: "cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { Glibc.close(fd) }
        try environment.copy(to: fd, compact: true)
        guard fsync(fd) == 0 else { throw CompactionAborted(reason: "cannot sync \(path)") }
    }

    /// Finishes queued writes and closes the environment.
    func close() {
        closing.store(true, ordering: .relaxed)
        writerBox.withLock { $0 }?.stop()
        environment.sync()
        environment.close()
    }

    private static func loadCatalog(name: String, environment: Environment) throws -> DatabaseCatalog {
        var txn: OpaquePointer?
        try check(mdb_txn_begin(environment.env, nil, 0, &txn), "mdb_txn_begin")
        let write = WriteTransaction(txn: txn!, names: environment.dbiNames)
        var catalog: DatabaseCatalog
        do {
            catalog = DatabaseCatalog(name: name, indexBacklog: try IndexBacklog.load(write),
                                      expiryDBI: try Expiry.openDBI(write))
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
                        } else if key == WriteContext.createdKey {
                            catalog.createdTime = DropMarkers.decode(e.value)
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

/// A read's result, or that its snapshot held an index backlog or expired records.
private enum ReadOutcome<T> {
    case read(T)
    case backlog
    case expired
}

/// The time in ms since the epoch (fractional).
package typealias StorageClock = @Sendable () -> Double

/// The system's real-time clock in ms since the epoch.
package let systemClock: StorageClock = { Writer.nowMilliseconds() }

/// Holds a write body's result between the writer thread and the waiting caller.
final class ResultBox<T>: @unchecked Sendable {
    // @unchecked: written only on the writer thread before `complete`, read after it.
    var value: T?
}
