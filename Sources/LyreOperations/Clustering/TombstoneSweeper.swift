import Foundation
import Logging
import LyreStorage
import Synchronization

/// Removes tombstones and drop markers older than `clustering.tombstoneRetention`, now and
/// then, on a thread of its own, in transactions of a bounded number of entries
/// (`Database.expireTombstones`), so no writer waits long for it.
final class TombstoneSweeper: Sendable {
    private let storage: StorageEngine
    /// Seconds a tombstone is kept.
    let retention: Double
    private let logger: Logger
    private let removedCount = Atomic<UInt64>(0)
    private let signals = WorkerSignals()

    /// A quarter of the retention, between 0.25 s and 10 minutes: a tombstone lives at most
    /// that much longer than the retention.
    static func interval(retention: Double) -> Double { min(max(retention / 4, 0.25), 600) }

    init(storage: StorageEngine, retention: Double, logger: Logger) {
        self.storage = storage
        self.retention = retention
        self.logger = logger
        let thread = Thread { [self] in loop() }
        thread.name = "lyre-cluster-tombstones"
        thread.start()
    }

    /// Tombstones and markers removed since start.
    var removed: UInt64 { removedCount.load(ordering: .relaxed) }

    /// Stops (after the batch in hand) and waits. Idempotent.
    func stop() { signals.stop() }

    private var isStopped: Bool { signals.isStopped }

    private func loop() {
        defer { signals.loopEnded() }
        let interval = Self.interval(retention: retention)
        while !isStopped {
            signals.wait(seconds: interval)
            if isStopped { break }
            sweep()
        }
    }

    /// One pass over every database.
    func sweep() {
        let cutoff = Date().timeIntervalSince1970 * 1000 - retention * 1000
        for name in storage.databaseNames where !isStopped {
            guard let db = storage.database(name) else { continue }
            do {
                let count = try db.expireTombstones(olderThan: cutoff)
                guard count > 0 else { continue }
                removedCount.add(UInt64(count), ordering: .relaxed)
                logger.debug("clustering: \(count) tombstones of \(name) expired")
                if name == StorageEngine.systemDatabase { storage.reloadDatabaseDrops() }
            } catch {
                logger.warning("clustering: expiring the tombstones of \(name): \(error)")
            }
        }
    }
}
