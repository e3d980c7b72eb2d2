import LyreCore
package import Logging
import Foundation
package import Dispatch
import Synchronization

/// All databases under one root: `<root>/database/<name>.mdb`, one LMDB environment each.
///
/// Creating and dropping databases is serialized by the engine; everything inside a
/// database goes through that database's reader/writer.
package final class StorageEngine: Sendable {
    package let root: String
    package let databaseDirectory: String
    private let durable: Bool
    /// `storage.writeAsync`: commits are not synced; `flusher` syncs them every `flushInterval`.
    /// Read and changed under `databases`' lock, so a database opened meanwhile gets the mode in force.
    private let writeAsync = Atomic<Bool>(false)
    private let flusher = Mutex<(any DispatchSourceTimer)?>(nil)
    /// `storage.maxTransactionQueueTime`, given to every database (also those created later).
    private let maximumQueueTime = Mutex<Duration?>(nil)
    private let initialMapSize: Int
    private let backlogIdleDelay: DispatchTimeInterval
    private let logger: Logger
    private let databases: Mutex<[String: Database]>
    /// The commit observer of every database, also those opened later (replication).
    private let commitObserver = Mutex<CommitObservation?>(nil)
    /// When each dropped database was dropped (the `system` database's drop markers, read
    /// when an observer is set): replication ignores older changes of it.
    private let databaseDrops = Mutex<[String: Double]>([:])
    /// The time of writes and of expiry (`Expiry`), given to every database.
    package let clock: StorageClock
    /// Deletes expired records and audit entries past their retention every `expirySweepInterval` (`Expiry`).
    private let expirySweeper = Mutex<(any DispatchSourceTimer)?>(nil)
    /// `logging.auditRetention` in ms (nil: audit entries are kept until deleted by request).
    private let auditRetention = Mutex<Double?>(nil)

    /// How often the sweeper looks for expired records by default. Reads never wait for it:
    /// one whose snapshot holds an expired record deletes it first (`Database.read`).
    package static let expirySweepInterval = DispatchTimeInterval.seconds(1)
    /// What every database tells of its committed groups (metrics), also those opened later.
    private let commitStatistics = Mutex<(any CommitStatistics)?>(nil)

    package static let systemDatabase = "system"
    package static let defaultDatabase = "data"

    /// How often commits are made durable with `storage.writeAsync` (each database's file
    /// is synced when something was committed since its last sync). A killed process loses
    /// nothing acknowledged (its writes are in the kernel's page cache); a power loss or an
    /// OS crash loses at most the commits of the last interval.
    package static let flushInterval = DispatchTimeInterval.milliseconds(100)

    /// Opens every database file found under the root, creating the folders as needed.
    /// - Parameters:
    ///   - initialMapSize: virtual size of a new map; it doubles whenever it fills.
    ///   - backlogIdleDelay: how long a writer waits without jobs before it applies its
    ///     database's index backlog (`IndexBacklog.idleDelay`; tests lengthen it).
    ///   - writeAsync: `storage.writeAsync` (see ``setWriteAsync(_:)``).
    ///   - clock: the time of writes and of expiry (tests inject one).
    ///   - expirySweepInterval: how often expired records are deleted in the background (nil: never).
    ///   - compactOnStart: `storage.compactOnStart`: compact every database file before it opens.
    package init(root: String, durable: Bool = true, writeAsync: Bool = false, initialMapSize: Int = 1 << 34,
                 backlogIdleDelay: DispatchTimeInterval = IndexBacklog.idleDelay, clock: @escaping StorageClock = systemClock,
                 expirySweepInterval: DispatchTimeInterval? = StorageEngine.expirySweepInterval,
                 compactOnStart: StartCompaction? = nil, logger: Logger) throws {
        self.clock = clock
        self.initialMapSize = initialMapSize
        self.backlogIdleDelay = backlogIdleDelay
        self.root = root
        self.databaseDirectory = root + "/database"
        self.durable = durable
        self.logger = logger
        databases = Mutex([:])
        try FileManager.default.createDirectory(atPath: databaseDirectory, withIntermediateDirectories: true)
        let files = try FileManager.default.contentsOfDirectory(atPath: databaseDirectory)
        var opened: [String: Database] = [:]
        for file in files where file.hasSuffix(".mdb.compacting") || file.hasSuffix(".mdb.compacting-lock") {
            try? FileManager.default.removeItem(atPath: databaseDirectory + "/" + file)  // an interrupted compaction's copy
        }
        for file in files where file.hasSuffix(".mdb") {
            let name = String(file.dropLast(4))
            if let compactOnStart {
                let outcome = try compactOnStart.compact(path: databaseDirectory + "/" + file, backupDirectory: root + "/backup")
                logger.notice("storage.compactOnStart: database '\(name)' compacted from \(outcome.bytesBefore) to \(outcome.bytesAfter) bytes")
            }
            opened[name] = try open(name, path: databaseDirectory + "/" + file)
        }
        databases.withLock { $0 = opened }
        if durable && writeAsync { setWriteAsync(true) }
        if let expirySweepInterval {
            expirySweeper.withLock { timer in
                let source = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "lyre-storage-expiry"))
                source.schedule(deadline: .now() + expirySweepInterval, repeating: expirySweepInterval)
                source.setEventHandler { [weak self] in
                self?.deleteExpiredRecords()
                self?.deleteExpiredAuditEntries()
            }
                source.resume()
                timer = source
            }
        }
    }

    /// Deletes the records of every database that have expired by now, in bounded groups
    /// (`Database.deleteExpired`): the background sweeper's work.
    package func deleteExpiredRecords() {
        for db in databases.withLock({ Array($0.values) }) {
            do {
                try db.deleteExpired()
            } catch is WriterStopped {
            } catch is EnvironmentClosed {
            } catch {
                logger.error("expired records of database '\(db.name)' could not be deleted: \(error)")
            }
        }
    }

    /// `storage.writeAsync`: with `true`, commits are acknowledged without waiting for the
    /// disk (LMDB's `MDB_NOSYNC`) and a background flush syncs each database every
    /// ``flushInterval``; with `false` every commit is synced again (after a last flush).
    /// Applies to open databases and to those created later. An engine opened without
    /// durability (tests) never syncs and ignores this.
    package func setWriteAsync(_ on: Bool) {
        guard durable else { return }
        let open = databases.withLock { dbs -> [Database]? in
            guard writeAsync.exchange(on, ordering: .relaxed) != on else { return nil }
            return Array(dbs.values)
        }
        guard let open else { return }
        for db in open { db.setSyncsEachCommit(!on) }
        flusher.withLock { timer in
            timer?.cancel()
            timer = nil
            guard on else { return }
            let source = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "lyre-storage-flush"))
            source.schedule(deadline: .now() + Self.flushInterval, repeating: Self.flushInterval)
            source.setEventHandler { [weak self] in self?.flushCommits() }
            source.resume()
            timer = source
        }
        logger.notice("storage.writeAsync \(on ? "on: commits are synced every 100 ms, not each" : "off: each commit is synced")")
    }

    /// `storage.maxTransactionQueueTime`: a write that waited longer than `limit` for its
    /// database's writer is refused with `503` (`nil`: no limit). See `Database.write(_:completion:)`.
    package func setMaximumTransactionQueueTime(_ limit: Duration?) {
        maximumQueueTime.withLock { $0 = limit }
        for db in databases.withLock({ Array($0.values) }) { db.setMaximumQueueTime(limit) }
    }

    /// Makes every database's commits so far durable (the flusher's work with `storage.writeAsync`).
    package func flushCommits() {
        for db in databases.withLock({ Array($0.values) }) { db.flushCommits() }
    }

    /// `logging.auditRetention`: audit entries older than `milliseconds` are deleted by the
    /// background sweeper, continuously, in bounded groups (nil: kept until deleted by request).
    package func setAuditRetention(milliseconds: Double?) {
        auditRetention.withLock { $0 = milliseconds.flatMap { $0 > 0 ? $0 : nil } }
    }

    /// Deletes every audit entry older than `logging.auditRetention` (the sweeper's work).
    package func deleteExpiredAuditEntries() {
        guard let retention = auditRetention.withLock({ $0 }) else { return }
        let cut = clock() - retention
        for db in databases.withLock({ Array($0.values) }) {
            do {
                try db.deleteAuditEntries(before: cut)
            } catch is WriterStopped {
            } catch is EnvironmentClosed {
            } catch {
                logger.error("audit entries of database '\(db.name)' could not be deleted: \(error)")
            }
        }
    }

    /// Opens (creating when missing) one database's environment with this engine's settings.
    private func open(_ name: String, path: String) throws -> Database {
        let db = try Database(name: name, path: path, durable: durable && !writeAsync.load(ordering: .relaxed), initialMapSize: initialMapSize,
                              backlogIdleDelay: backlogIdleDelay, clock: clock, logger: logger)
        db.setMaximumQueueTime(maximumQueueTime.withLock { $0 })
        db.setCommitObserver(commitObserver.withLock { $0 })
        db.setCommitStatistics(commitStatistics.withLock { $0 })
        return db
    }

    /// Sets (nil: removes) the commit observer of every database, present and future
    /// (`Database.setCommitObserver`).
    package func setCommitObserver(_ observer: CommitObservation?) {
        databases.withLock { dbs in
            commitObserver.withLock { $0 = observer }
            for db in dbs.values { db.setCommitObserver(observer) }
        }
        if observer != nil { reloadDatabaseDrops() }
    }

    private var isObserved: Bool { commitObserver.withLock { $0 != nil } }

    /// Re-reads the database drop markers (after an observer is set, or expiry removed some).
    package func reloadDatabaseDrops() {
        guard let system = database(Self.systemDatabase),
              let drops = try? system.writeSync({ ctx in try ctx.databaseDrops() }) else { return }
        databaseDrops.withLock { $0 = drops }
    }

    /// When the database was last dropped while replication was on (nil: never, or the
    /// marker expired).
    package func databaseDroppedAt(_ name: String) -> Double? {
        databaseDrops.withLock { $0[name] }
    }

    /// The database another node's change of `name` made at `time` goes to: the database,
    /// created when missing unless it was dropped here at or after `time` (nil then), with
    /// when it was last dropped (older changes of it are ignored).
    /// A database created so is kept as created at `time` (the origin's creation, for its
    /// `create_database`).
    package func databaseForReplication(_ name: String, changedAt time: Double) throws -> (Database, droppedAt: Double?)? {
        let found = try databases.withLock { dbs -> (Database, droppedAt: Double?, created: Bool)? in
            let dropped = databaseDrops.withLock { $0[name] }
            if let db = dbs[name] { return (db, dropped, false) }
            if let dropped, dropped >= time { return nil }
            let db = try open(name, path: path(of: name))
            dbs[name] = db
            return (db, dropped, true)
        }
        guard let found else { return nil }
        if found.created { try found.0.noteCreated(at: time) }
        return (found.0, found.droppedAt)
    }

    /// Applies a database's change made on another node at `time`: a creation (unless the
    /// database was dropped here later), or a drop, last writer wins as for tables: what is
    /// older than the drop goes, and the database with it unless a table here was written
    /// after the drop or the database was created after it (an empty database re-created
    /// here stays, as its creation reaches the drop's origin as newer than its drop).
    package func applyRemoteDatabaseChange(_ change: SchemaChange, at time: Double) throws {
        switch change {
        case .createDatabase(let name):
            _ = try databaseForReplication(name, changedAt: time)
        case .dropDatabase(let name):
            // Applied already (its marker here at that time or later): see `WriteContext.isApplied`.
            if let dropped = databaseDroppedAt(name), dropped >= time { return }
            try markDatabaseDropped(name, at: time)
            guard let db = database(name) else { return }
            let remaining = try db.writeSync { ctx in
                try ctx.replaying { ctx in
                    for table in ctx.catalog.tableNames {
                        _ = try ctx.applyRemote(CommittedChange(table: table, kind: .schema(.dropTable)), timestamp: time,
                                                origin: "", localNode: "")
                    }
                    return ctx.catalog.tables.count
                }
            }
            if remaining == 0, db.catalog.replicationCreatedTime <= time { try? dropDatabase(name, publish: false) }
        default:
            break
        }
    }

    /// Writes a database's drop marker (system database) at `time`, not published.
    private func markDatabaseDropped(_ name: String, at time: Double) throws {
        guard let system = database(Self.systemDatabase) else { return }
        try system.writeSync { ctx in try ctx.replaying { try $0.noteDatabaseChange(.dropDatabase(name), at: time) } }
        databaseDrops.withLock { $0[name] = max($0[name] ?? -.infinity, time) }
    }

    /// Sets (nil: removes) what every database, present and future, tells of its
    /// committed groups (`CommitStatistics`).
    package func setCommitStatistics(_ statistics: (any CommitStatistics)?) {
        databases.withLock { dbs in
            commitStatistics.withLock { $0 = statistics }
            for db in dbs.values { db.setCommitStatistics(statistics) }
        }
    }

    package func database(_ name: String) -> Database? {
        databases.withLock { $0[name] }
    }

    /// Names of all databases, sorted, including `system`.
    package var databaseNames: [String] {
        databases.withLock { $0.keys.sorted() }
    }

    /// Creates a database (with replication on, the creation is replicated).
    /// - Throws: `LyreError.databaseExists`.
    @discardableResult
    package func createDatabase(_ name: String) throws -> Database {
        let db = try databases.withLock { dbs in
            if dbs[name] != nil { throw LyreError.databaseExists(name) }
            let db = try open(name, path: path(of: name))
            dbs[name] = db
            return db
        }
        // Created at the time its creation is published with (its group's commit time).
        var created: Double?
        if isObserved, name != Self.systemDatabase, let system = database(Self.systemDatabase) {
            created = try system.writeSync { ctx in
                try ctx.noteDatabaseChange(.createDatabase(name))
                return ctx.now
            }
        }
        try db.noteCreated(at: created)
        return db
    }

    /// Returns the database, creating it when missing (used by `create_table`'s implicit create).
    package func databaseCreatingIfNeeded(_ name: String) throws -> Database {
        let (db, created) = try databases.withLock { dbs -> (Database, Bool) in
            if let db = dbs[name] { return (db, false) }
            let db = try open(name, path: path(of: name))
            dbs[name] = db
            return (db, true)
        }
        if created { try db.noteCreated() }
        return db
    }

    /// Closes and deletes a database's files. With replication on, the drop is replicated
    /// (unless `publish` is false: a drop that came from another node) and leaves a marker
    /// first, so changes of the database older than the drop that arrive later are ignored.
    /// - Throws: `LyreError.databaseNotFound`.
    package func dropDatabase(_ name: String, publish: Bool = true) throws {
        if publish, isObserved, database(name) != nil, let system = database(Self.systemDatabase) {
            let time = try system.writeSync { ctx in
                try ctx.noteDatabaseChange(.dropDatabase(name))
                return ctx.now
            }
            databaseDrops.withLock { $0[name] = max($0[name] ?? -.infinity, time) }
        }
        let db = try databases.withLock { dbs in
            guard let db = dbs.removeValue(forKey: name) else { throw LyreError.databaseNotFound(name) }
            return db
        }
        db.close()
        let path = path(of: name)
        try? FileManager.default.removeItem(atPath: path)
        try? FileManager.default.removeItem(atPath: path + "-lock")
    }

    /// Finishes pending writes and closes every environment.
    package func close() {
        expirySweeper.withLock { timer in
            timer?.cancel()
            timer = nil
        }
        flusher.withLock { timer in
            timer?.cancel()
            timer = nil
        }
        let all = databases.withLock { dbs in
            let all = Array(dbs.values)
            dbs.removeAll()
            return all
        }
        for db in all { db.close() }
    }

    private func path(of name: String) -> String {
        databaseDirectory + "/" + name + ".mdb"
    }
}
