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
    private let initialMapSize: Int
    private let backlogIdleDelay: DispatchTimeInterval
    private let logger: Logger
    private let databases: Mutex<[String: Database]>
    /// The commit observer of every database, also those opened later (replication).
    private let commitObserver = Mutex<CommitObservation?>(nil)

    package static let systemDatabase = "system"
    package static let defaultDatabase = "data"

    /// Opens every database file found under the root, creating the folders as needed.
    /// - Parameters:
    ///   - initialMapSize: virtual size of a new map; it doubles whenever it fills.
    ///   - backlogIdleDelay: how long a writer waits without jobs before it applies its
    ///     database's index backlog (`IndexBacklog.idleDelay`; tests lengthen it).
    package init(root: String, durable: Bool = true, initialMapSize: Int = 1 << 34,
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
    }

    /// Opens (creating when missing) one database's environment with this engine's settings.
    private func open(_ name: String, path: String) throws -> Database {
        let db = try Database(name: name, path: path, durable: durable, initialMapSize: initialMapSize,
                              backlogIdleDelay: backlogIdleDelay, logger: logger)
        db.setCommitObserver(commitObserver.withLock { $0 })
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
