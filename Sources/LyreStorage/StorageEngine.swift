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
    package init(root: String, durable: Bool = true, writeAsync: Bool = false, initialMapSize: Int = 1 << 34,
                 backlogIdleDelay: DispatchTimeInterval = IndexBacklog.idleDelay, logger: Logger) throws {
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
        for file in files where file.hasSuffix(".mdb") {
            let name = String(file.dropLast(4))
            opened[name] = try open(name, path: databaseDirectory + "/" + file)
        }
        databases.withLock { $0 = opened }
        if durable && writeAsync { setWriteAsync(true) }
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

    /// Opens (creating when missing) one database's environment with this engine's settings.
    private func open(_ name: String, path: String) throws -> Database {
        let db = try Database(name: name, path: path, durable: durable && !writeAsync.load(ordering: .relaxed), initialMapSize: initialMapSize,
                              backlogIdleDelay: backlogIdleDelay, logger: logger)
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

    /// Creates a database. - Throws: `LyreError.databaseExists`.
    @discardableResult
    package func createDatabase(_ name: String) throws -> Database {
        try databases.withLock { dbs in
            if dbs[name] != nil { throw LyreError.databaseExists(name) }
            let db = try open(name, path: path(of: name))
            dbs[name] = db
            return db
        }
    }

    /// Returns the database, creating it when missing (used by `create_table`'s implicit create).
    package func databaseCreatingIfNeeded(_ name: String) throws -> Database {
        try databases.withLock { dbs in
            if let db = dbs[name] { return db }
            let db = try open(name, path: path(of: name))
            dbs[name] = db
            return db
        }
    }

    /// Closes and deletes a database's files. - Throws: `LyreError.databaseNotFound`.
    package func dropDatabase(_ name: String) throws {
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
