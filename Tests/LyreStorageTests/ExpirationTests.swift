import LyreCore
import LyreStorage
import LyreTestSupport
import Synchronization
import Testing

/// A storage clock tests move by hand (ms since the epoch).
final class ManualStorageClock: Sendable {
    private let current = Mutex<Double>(1_800_000_000_000)
    var now: Double { current.withLock { $0 } }
    var function: StorageClock { { [self] in self.now } }
    func advance(seconds: Double) { current.withLock { $0 += seconds * 1000 } }
}

/// Table expiration (`Expiry`): records expire `expiration` seconds after their last write;
/// no read returns an expired record; the sweeper deletes expired records with their index
/// entries through the normal delete path, in bounded groups; writes renew; a restart keeps
/// the expiry times. Time comes from an injected clock; the background sweeper is off unless
/// a test runs it by hand.
@Suite struct ExpirationTests {
    private func makeStorage(_ clock: ManualStorageClock, expiration: Int? = 60) throws -> (TemporaryStorage, Database) {
        let storage = try TemporaryStorage(clock: clock.function, expirySweepInterval: nil)
        let db = try storage.engine.createDatabase("dev")
        _ = try db.writeSync { ctx in try ctx.createTable("cache", primaryKey: "id", expiration: expiration) }
        return (storage, db)
    }

    private func insert(_ db: Database, _ ids: some Sequence<Int>, mode: WriteMode = .insert, color: String = "red") throws {
        let records: [JSONObject] = ids.map { ["id": .int(Int64($0)), "color": .string(color)] }
        _ = try db.writeSync { ctx in try ctx.write(records, mode: mode, to: "cache") }
    }

    /// Primary keys of the records, read from the records DBI.
    private func ids(_ db: Database) throws -> [Int64] {
        let table = try #require(db.table("cache"))
        return try db.read(completeIndexes: false) { txn in
            try txn.allRecords(in: table).compactMap { $0["id"]?.intValue }
        }
    }

    /// Entries of the table's index DBI (every attribute), with the backlog applied.
    private func indexEntries(_ db: Database) throws -> Int {
        let table = try #require(db.table("cache"))
        return try db.read { txn in try txn.count(table.index) }
    }

    @Test func aRecordExpiresExpirationSecondsAfterItsWrite() throws {
        let clock = ManualStorageClock()
        let (storage, db) = try makeStorage(clock)
        let written = clock.now
        try insert(db, 1...3)
        #expect(try db.expiryTime(of: .int(1), in: "cache") == UInt64(written + 60_000))
        clock.advance(seconds: 59)
        #expect(try ids(db) == [1, 2, 3])
        clock.advance(seconds: 1)
        #expect(try ids(db) == [])
        _ = storage
    }

    @Test func aReadDeletesExpiredRecordsWithTheirIndexEntriesBeforeItReads() throws {
        let clock = ManualStorageClock()
        let (storage, db) = try makeStorage(clock)
        try insert(db, 1...5)
        #expect(try indexEntries(db) > 0)
        let table = try #require(db.table("cache"))
        clock.advance(seconds: 61)
        // Counts, index reads and point reads all see the records gone.
        #expect(try db.read { txn in try txn.count(table.records) } == 0)
        #expect(try db.read { txn in try txn.record(in: table, id: .int(3)) } == nil)
        #expect(try indexEntries(db) == 0)
        #expect(try db.expiryTime(of: .int(3), in: "cache") == nil)
        _ = storage
    }

    @Test func theSweeperDeletesExpiredRecordsWithoutAnyRead() throws {
        let clock = ManualStorageClock()
        let (storage, db) = try makeStorage(clock)
        try insert(db, 1...4)
        clock.advance(seconds: 61)
        storage.engine.deleteExpiredRecords()
        // Back before the expiry time, a read deletes nothing itself: the sweeper did.
        clock.advance(seconds: -30)
        #expect(try ids(db) == [])
        #expect(try indexEntries(db) == 0)
    }

    @Test func aWriteRenewsTheExpiry() throws {
        let clock = ManualStorageClock()
        let (storage, db) = try makeStorage(clock)
        try insert(db, 1...2)
        clock.advance(seconds: 40)
        let renewed = clock.now
        _ = try db.writeSync { ctx in try ctx.write([["id": 1, "color": "blue"]], mode: .update, to: "cache") }
        #expect(try db.expiryTime(of: .int(1), in: "cache") == UInt64(renewed + 60_000))
        clock.advance(seconds: 40)
        #expect(try ids(db) == [1])
        try insert(db, [2], mode: .upsert)  // a new record again, expiring from now
        clock.advance(seconds: 30)
        #expect(try ids(db) == [2])
        _ = storage
    }

    @Test func aRestartKeepsWhatExpiresWhen() throws {
        let clock = ManualStorageClock()
        let (storage, db) = try makeStorage(clock)
        try insert(db, 1...3)
        let time = try db.expiryTime(of: .int(2), in: "cache")
        let engine = try storage.reopened()
        defer { engine.close() }
        let reopened = try #require(engine.database("dev"))
        #expect(try reopened.expiryTime(of: .int(2), in: "cache") == time)
        clock.advance(seconds: 61)
        #expect(try reopened.read { txn in try txn.count(reopened.table("cache")!.records) } == 0)
    }

    @Test func theSweeperDeletesInBoundedGroupsThroughTheDeletePath() throws {
        let clock = ManualStorageClock()
        let (storage, db) = try makeStorage(clock)
        try insert(db, 1...2_500)
        let groups = Mutex<[Int]>([])
        storage.engine.setCommitObserver(CommitObservation(observes: { _, table in table == "cache" }) { group in
            for change in group.changes {
                if case .delete(let ids) = change.kind { groups.withLock { $0.append(ids.count) } }
            }
        })
        clock.advance(seconds: 61)
        #expect(try db.writeSync { ctx in try ctx.deleteExpired(upTo: clock.now) } == Expiry.batchSize)
        #expect(try db.deleteExpired() == 1_500)
        storage.engine.setCommitObserver(nil)
        // Every group deleted at most one batch, and the commit observer (replication) saw them all.
        #expect(groups.withLock { $0 } == [1_000, 1_000, 500])
        #expect(try ids(db) == [])
    }

    @Test func deletesAndDroppedTablesForgetTheirExpiry() throws {
        let clock = ManualStorageClock()
        let (storage, db) = try makeStorage(clock)
        try insert(db, 1...3)
        _ = try db.writeSync { ctx in try ctx.delete(ids: [.int(1)], from: "cache") }
        #expect(try db.expiryTime(of: .int(1), in: "cache") == nil)
        _ = try db.writeSync { ctx in try ctx.dropTable("cache") }
        _ = try db.writeSync { ctx in try ctx.createTable("cache", primaryKey: "id", expiration: 60) }
        #expect(try db.expiryTime(of: .int(2), in: "cache") == nil)
        // A table without expiration keeps its records.
        _ = try db.writeSync { ctx in try ctx.createTable("kept", primaryKey: "id") }
        _ = try db.writeSync { ctx in try ctx.write([["id": 1]], mode: .insert, to: "kept") }
        clock.advance(seconds: 3_600)
        storage.engine.deleteExpiredRecords()
        #expect(try db.read { txn in try txn.count(db.table("kept")!.records) } == 1)
    }
}

/// `logging.auditRetention` (`StorageEngine.setAuditRetention`): entries older than the
/// retention go in bounded groups; younger ones and the audit log's reads stay.
@Suite struct AuditRetentionTests {
    @Test func entriesOlderThanTheRetentionAreDeletedAndTheRestStillReads() throws {
        let clock = ManualStorageClock()
        let storage = try TemporaryStorage(clock: clock.function, expirySweepInterval: nil)
        let db = try storage.dogTable()
        let admin = AuditDescriptor(operation: "insert", username: "admin")
        for id in 0..<2_500 {
            _ = try db.writeSync { ctx in try ctx.write([["id": .int(Int64(id))]], mode: .insert, to: "dog", audit: admin) }
            if id == 2_099 { clock.advance(seconds: 3_600) }
        }
        storage.engine.setAuditRetention(milliseconds: 1_800_000)  // 30 minutes
        storage.engine.deleteExpiredAuditEntries()
        let table = try #require(db.table("dog"))
        let entries = try db.read { txn in try txn.auditEntries(of: table) }
        #expect(entries.count == 400)
        #expect(entries.first?.hashValues == [2_100])
        // A range read across the cut finds what is left.
        let ranged = try db.read { txn in try txn.auditEntries(of: table, from: 0, to: clock.now + 1_000, limit: 10) }
        #expect(ranged.map(\.hashValues) == (2_100..<2_110).map { [.int(Int64($0))] })
        // Without a retention nothing goes.
        storage.engine.setAuditRetention(milliseconds: nil)
        clock.advance(seconds: 86_400)
        storage.engine.deleteExpiredAuditEntries()
        #expect(try db.read { txn in try txn.auditEntries(of: table) }.count == 400)
    }

    @Test func oneStepDeletesAtMostItsLimit() throws {
        let clock = ManualStorageClock()
        let storage = try TemporaryStorage(clock: clock.function, expirySweepInterval: nil)
        let db = try storage.dogTable()
        let admin = AuditDescriptor(operation: "insert", username: "admin")
        for id in 0..<30 {
            _ = try db.writeSync { ctx in try ctx.write([["id": .int(Int64(id))]], mode: .insert, to: "dog", audit: admin) }
        }
        clock.advance(seconds: 10)
        #expect(try db.writeSync { ctx in try ctx.deleteAudit(of: "dog", before: clock.now, limit: 12) } == 12)
        #expect(try db.deleteAuditEntries(before: clock.now) == 18)
    }
}
