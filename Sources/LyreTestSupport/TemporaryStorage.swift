import Foundation
package import Dispatch
package import LyreStorage
import Logging

/// A storage engine on its own temporary root, removed when released.
package final class TemporaryStorage: Sendable {
    package let root: String
    package let engine: StorageEngine

    private let backlogIdleDelay: DispatchTimeInterval
    private let clock: StorageClock
    private let expirySweepInterval: DispatchTimeInterval?

    package init(durable: Bool = false, initialMapSize: Int = 1 << 34,
                 backlogIdleDelay: DispatchTimeInterval = IndexBacklog.idleDelay, clock: @escaping StorageClock = systemClock,
                 expirySweepInterval: DispatchTimeInterval? = StorageEngine.expirySweepInterval) throws {
        self.clock = clock
        self.expirySweepInterval = expirySweepInterval
        root = TestApplication.temporaryRoot()
        var logger = Logger(label: "lyre-storage-test")
        logger.logLevel = .critical
        self.backlogIdleDelay = backlogIdleDelay
        engine = try StorageEngine(root: root, durable: durable, initialMapSize: initialMapSize,
                                   backlogIdleDelay: backlogIdleDelay, clock: clock,
                                   expirySweepInterval: expirySweepInterval, logger: logger)
    }

    /// Database `dev` with an empty table `dog` keyed by `id`, the storage tests' usual start.
    package func dogTable() throws -> Database {
        let db = try engine.createDatabase("dev")
        _ = try db.writeSync { ctx in try ctx.createTable("dog", primaryKey: "id") }
        return db
    }

    /// Closes and reopens the engine on the same root (a clean restart).
    package func reopened() throws -> StorageEngine {
        engine.close()
        var logger = Logger(label: "lyre-storage-test")
        logger.logLevel = .critical
        return try StorageEngine(root: root, durable: false, backlogIdleDelay: backlogIdleDelay, clock: clock,
                                 expirySweepInterval: expirySweepInterval, logger: logger)
    }

    deinit {
        engine.close()
        try? FileManager.default.removeItem(atPath: root)
    }
}
