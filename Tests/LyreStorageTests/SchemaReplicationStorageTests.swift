import Foundation
import LyreCore
import LyreStorage
import LyreTestSupport
import Synchronization
import Testing

/// The storage side of replicating the schema, full copies and tombstone expiry: schema
/// changes kept in the outbox in commit order, drop markers that keep older changes out,
/// replication positions, copy batches and bounded expiry.
@Suite struct SchemaReplicationStorageTests {
    final class Observed: Sendable {
        let groups = Mutex<[CommittedGroup]>([])
    }

    /// Clustering on: every table observed, groups collected.
    private func observe(_ storage: TemporaryStorage) -> Observed {
        let observed = Observed()
        storage.engine.setCommitObserver(CommitObservation(observes: { _, _ in true }) { group in
            observed.groups.withLock { $0.append(group) }
        })
        return observed
    }

    private func schemaChanges(_ group: CommittedGroup) -> [(String, SchemaChange)] {
        group.changes.compactMap { change in
            if case .schema(let schema) = change.kind { return (change.table, schema) }
            return nil
        }
    }

    private func record(_ db: Database, _ table: String, _ id: Int64) throws -> JSONObject? {
        try db.read { try $0.record(in: db.table(table)!, id: .int(id)) }
    }

    private func apply(_ db: Database, _ table: String, _ kind: CommittedChange.Kind, at time: Double,
                       databaseDroppedAt: Double? = nil) throws -> RemoteApplyResult {
        try db.writeSync { ctx in
            try ctx.applyRemote(CommittedChange(table: table, kind: kind), timestamp: time, origin: "a", localNode: "b",
                                primaryKey: "id", databaseDroppedAt: databaseDroppedAt)
        }
    }

    @Test func schemaChangesAreKeptInTheOutboxInCommitOrderWithTheRecords() async throws {
        let storage = try TemporaryStorage()
        let db = try storage.dogTable()
        let observed = observe(storage)
        _ = try await db.write { ctx in
            _ = try ctx.createTable("cat", primaryKey: "name")
            _ = try ctx.write([["name": "Tom", "age": 3]], mode: .insert, to: "cat")
            _ = try ctx.createAttribute("colour", in: "cat", indexed: true)
            try ctx.dropAttribute("age", from: "cat", removeFromRecords: true)
            try ctx.dropTable("dog")
        }
        let group = try #require(observed.groups.withLock { $0.first })
        let kinds = group.changes.map { change -> String in
            switch change.kind {
            case .put: "put \(change.table)"
            case .delete: "delete \(change.table)"
            case .schema(let schema): "\(schema.value["op"]?.stringValue ?? "?") \(change.table)"
            }
        }
        #expect(kinds == ["create_table cat", "put cat", "create_attribute cat", "drop_attribute cat", "drop_table dog"])
        if case .createTable(let definition)? = schemaChanges(group).first?.1 {
            #expect(definition["primary_key"] == "name")
        } else {
            Issue.record("create_table carries the definition")
        }
        // The outbox holds the same, decoded.
        let pending = try #require(try db.pendingOutbox().first)
        #expect(schemaChanges(pending).map(\.1) == schemaChanges(group).map(\.1))

        // A database's creation and drop go to the system database's outbox.
        let system = try storage.engine.createDatabase(StorageEngine.systemDatabase)
        _ = system
        try storage.engine.createDatabase("shop")
        try storage.engine.dropDatabase("shop")
        let databaseChanges = observed.groups.withLock { $0 }.filter { $0.database == StorageEngine.systemDatabase }.flatMap(schemaChanges).map(\.1)
        #expect(databaseChanges == [.createDatabase("shop"), .dropDatabase("shop")])
        #expect(storage.engine.databaseDroppedAt("shop") != nil)
    }

    @Test func aDroppedTableStaysDroppedForOlderRecordsAndARecreatedOneGetsNoneOfTheOldOnes() async throws {
        let storage = try TemporaryStorage()
        let db = try storage.dogTable()
        _ = observe(storage)
        #expect(try apply(db, "dog", .put([["id": 1, "__updatedtime__": 100.0]]), at: 100).applied == 1)
        // Dropped on another node at 200: the table goes, a marker stays.
        _ = try apply(db, "dog", .schema(.dropTable), at: 200)
        #expect(db.table("dog") == nil)
        // Late inserts made before the drop (another stream) do not bring it back.
        #expect(try apply(db, "dog", .put([["id": 2, "__updatedtime__": 150.0]]), at: 150).skipped == 1)
        #expect(db.table("dog") == nil)
        // Re-created after the drop: the old table's records stay out, the new ones come in.
        _ = try apply(db, "dog", .schema(.createTable(["primary_key": "id", "attributes": []])), at: 300)
        #expect(db.table("dog") != nil)
        #expect(try apply(db, "dog", .put([["id": 3, "__updatedtime__": 180.0]]), at: 180).skipped == 1)
        #expect(try apply(db, "dog", .put([["id": 4, "__updatedtime__": 310.0]]), at: 310).applied == 1)
        #expect(try record(db, "dog", 3) == nil)
        #expect(try record(db, "dog", 4) != nil)
        // A creation older than the drop is ignored.
        _ = try apply(db, "dog", .schema(.dropTable), at: 400)
        _ = try apply(db, "dog", .schema(.createTable(["primary_key": "id"])), at: 350)
        #expect(db.table("dog") == nil)
        // A local drop leaves a marker too.
        _ = try apply(db, "cat", .put([["id": 1, "__updatedtime__": 500.0]]), at: 500)
        let dropped = try await db.write { ctx in
            try ctx.dropTable("cat")
            return ctx.now
        }
        #expect(try apply(db, "cat", .put([["id": 2, "__updatedtime__": .double(dropped - 1)]]), at: dropped - 1).skipped == 1)
        #expect(db.table("cat") == nil)
    }

    @Test func deleteRecordsBeforeLeavesAReplicatedMarkerThatDeletesHereAndKeepsLateOlderRecordsOut() async throws {
        let storage = try TemporaryStorage()
        let db = try storage.dogTable()
        let observed = observe(storage)
        // Held here: created before the cutoff (100) and not updated since, created before it
        // but updated after the operation (at 500), created after it.
        _ = try apply(db, "dog", .put([
            ["id": 1, "__createdtime__": 50.0, "__updatedtime__": 60.0],
            ["id": 2, "__createdtime__": 50.0, "__updatedtime__": 600.0],
            ["id": 3, "__createdtime__": 150.0, "__updatedtime__": 150.0],
        ]), at: 600)
        // Another node ran delete_records_before(100) at 500.
        #expect(try apply(db, "dog", .schema(.deleteRecordsBefore(100)), at: 500).applied == 1)
        #expect(try record(db, "dog", 1) == nil)
        #expect(try record(db, "dog", 2) != nil, "updated after the operation")
        #expect(try record(db, "dog", 3) != nil, "created after the cutoff")
        // Records under the marker arriving later (from a node that had not received it) stay out;
        // an update after the operation comes in.
        #expect(try apply(db, "dog", .put([["id": 4, "__createdtime__": 70.0, "__updatedtime__": 80.0]]), at: 80).skipped == 1)
        #expect(try apply(db, "dog", .put([["id": 1, "__createdtime__": 50.0, "__updatedtime__": 400.0]]), at: 400).skipped == 1)
        #expect(try apply(db, "dog", .put([["id": 5, "__createdtime__": 70.0, "__updatedtime__": 700.0]]), at: 700).applied == 1)
        #expect(try record(db, "dog", 4) == nil)
        #expect(try record(db, "dog", 5) != nil)
        // The same marker again changes nothing more.
        #expect(try apply(db, "dog", .schema(.deleteRecordsBefore(100)), at: 500).applied == 0)

        // Locally: the marker is left and the change gathered (published on the schema stream).
        observed.groups.withLock { $0.removeAll() }
        _ = try await db.write { ctx in try ctx.noteDeleteRecordsBefore(1_000, in: "dog") }
        let group = try #require(observed.groups.withLock { $0.last })
        #expect(schemaChanges(group).map(\.1) == [.deleteRecordsBefore(1_000)])
        #expect(try apply(db, "dog", .put([["id": 6, "__createdtime__": 900.0, "__updatedtime__": 900.0]]), at: 900).skipped == 1)
        // And it survives the outbox's and the wire's encoding.
        #expect(SchemaChange(SchemaChange.deleteRecordsBefore(1_000).value) == .deleteRecordsBefore(1_000))
    }

    @Test func aRemoteDropKeepsWhatWasWrittenHereAfterIt() async throws {
        let storage = try TemporaryStorage()
        let db = try storage.dogTable()
        _ = observe(storage)
        _ = try apply(db, "dog", .put([["id": 1, "__updatedtime__": 100.0], ["id": 2, "__updatedtime__": 300.0]]), at: 300)
        _ = try apply(db, "dog", .schema(.dropTable), at: 200)
        #expect(db.table("dog") != nil, "a record newer than the drop keeps the table")
        #expect(try record(db, "dog", 1) == nil)
        #expect(try record(db, "dog", 2) != nil)
    }

    @Test func aDroppedAttributeIsTakenOutOfOlderRecordsArrivingLater() async throws {
        let storage = try TemporaryStorage()
        let db = try storage.dogTable()
        _ = observe(storage)
        _ = try apply(db, "dog", .put([["id": 1, "x": 1, "__updatedtime__": 100.0]]), at: 100)
        _ = try apply(db, "dog", .schema(.dropAttribute("x")), at: 200)
        #expect(db.table("dog")?.attribute("x") == nil)
        #expect(try record(db, "dog", 1)?["x"] == nil)
        _ = try apply(db, "dog", .put([["id": 2, "x": 2, "__updatedtime__": 150.0]]), at: 150)
        #expect(try record(db, "dog", 2)?["x"] == nil)
        #expect(db.table("dog")?.attribute("x") == nil)
        // A newer write with it brings the attribute back.
        _ = try apply(db, "dog", .put([["id": 3, "x": 3, "__updatedtime__": 250.0]]), at: 250)
        #expect(try record(db, "dog", 3)?["x"] == 3)
        // create_attribute from another node, and again (idempotent).
        for _ in 0..<2 { _ = try apply(db, "dog", .schema(.createAttribute("colour", indexed: true)), at: 300) }
        #expect(db.table("dog")?.attributeNames.filter { $0 == "colour" }.count == 1)
    }

    @Test func aDroppedDatabaseIsNotRecreatedByOlderChanges() throws {
        let storage = try TemporaryStorage()
        _ = try storage.engine.createDatabase(StorageEngine.systemDatabase)
        _ = try storage.dogTable()
        _ = observe(storage)
        // After the database's creation (an older drop would leave it: `DatabaseCreationTimeTests`).
        let dropped = Date().timeIntervalSince1970 * 1000 + 1000
        try storage.engine.applyRemoteDatabaseChange(.dropDatabase("dev"), at: dropped)
        #expect(storage.engine.database("dev") == nil)
        #expect(try storage.engine.databaseForReplication("dev", changedAt: dropped - 100) == nil)
        let again = try #require(try storage.engine.databaseForReplication("dev", changedAt: dropped + 100))
        #expect(again.droppedAt == dropped)
        // The marker survives a restart.
        let reopened = try storage.reopened()
        defer { reopened.close() }
        reopened.setCommitObserver(CommitObservation(observes: { _, _ in true }) { _ in })
        #expect(reopened.databaseDroppedAt("dev") == dropped)
    }

    @Test func positionsAreKeptAndNeverMoveBackUnlessReset() throws {
        let storage = try TemporaryStorage()
        let db = try storage.dogTable()
        #expect(try db.replicationPosition(peer: "a", table: "dog") == nil)
        try db.writeSync { ctx in try ctx.setReplicationPosition(10, peer: "a", table: "dog") }
        try db.writeSync { ctx in try ctx.setReplicationPosition(7, peer: "a", table: "dog") }
        #expect(try db.replicationPosition(peer: "a", table: "dog") == 10)
        #expect(try db.replicationPosition(peer: "c", table: "dog") == nil)
        try db.writeSync { ctx in try ctx.setReplicationPosition(3, peer: "a", table: "dog", reset: true) }
        #expect(try db.replicationPosition(peer: "a", table: "dog") == 3)
    }

    @Test func copyBatchesPageThroughRecordsAndTombstones() async throws {
        let storage = try TemporaryStorage()
        let db = try storage.dogTable()
        _ = observe(storage)
        _ = try await db.write { ctx in try ctx.write((0..<25).map { ["id": .int(Int64($0))] }, mode: .insert, to: "dog").written.count }
        _ = try await db.write { ctx in try ctx.delete(ids: [3, 4, 5], from: "dog").deleted.count }
        var ids: [Int64] = []
        var after: Value?
        var batches = 0
        repeat {
            let batch = try db.copyBatch(table: "dog", after: after, since: nil, limit: 10, maxBytes: 1 << 20)
            ids += batch.records.compactMap { $0["id"]?.intValue }
            after = batch.next
            batches += 1
        } while after != nil
        #expect(ids == (0..<25).filter { ![3, 4, 5].contains($0) }.map(Int64.init))
        #expect(batches == 3)
        // `since` leaves out what is older.
        let future = Date().timeIntervalSince1970 * 1000 + 60_000
        #expect(try db.copyBatch(table: "dog", after: nil, since: future, limit: 100, maxBytes: 1 << 20).records.isEmpty)
        // Tombstones, in two batches.
        let first = try db.tombstoneBatch(table: "dog", after: nil, since: nil, limit: 2)
        #expect(first.tombstones.map(\.id) == [3, 4])
        let second = try db.tombstoneBatch(table: "dog", after: first.next, since: nil, limit: 2)
        #expect(second.tombstones.map(\.id) == [5])
        #expect(second.next == nil)
    }

    @Test func tombstonesAndMarkersExpireAfterTheRetentionInBoundedBatches() async throws {
        let storage = try TemporaryStorage()
        let db = try storage.dogTable()
        _ = observe(storage)
        // 25 old tombstones (time 100) and 5 recent ones, plus an old drop marker.
        _ = try apply(db, "dog", .delete((0..<25).map { .int(Int64($0)) }), at: 100)
        _ = try await db.write { ctx in try ctx.write((100..<105).map { ["id": .int(Int64($0))] }, mode: .insert, to: "dog").written.count }
        _ = try await db.write { ctx in try ctx.delete(ids: (100..<105).map { .int(Int64($0)) }, from: "dog").deleted.count }
        _ = try apply(db, "gone", .schema(.dropTable), at: 100)
        #expect(try db.tombstoneCount() == 31)
        let cutoff = Date().timeIntervalSince1970 * 1000 - 60_000
        #expect(try db.expireTombstones(olderThan: cutoff, batch: 4) == 26)
        #expect(try db.tombstoneCount() == 5)
        // Expired: an old write is taken again (the retention is what keeps it out).
        #expect(try apply(db, "dog", .put([["id": 1, "__updatedtime__": 90.0]]), at: 90).applied == 1)
        #expect(try db.expireTombstones(olderThan: cutoff) == 0)
    }

    @Test func aDropWhoseMarkerIsHereAlreadyIsNotAppliedAgain() async throws {
        let storage = try TemporaryStorage()
        _ = try storage.engine.createDatabase(StorageEngine.systemDatabase)
        let db = try storage.dogTable()
        _ = observe(storage)
        #expect(try apply(db, "dog", .schema(.dropTable), at: 200).applied == 1)
        #expect(db.table("dog") == nil)
        // Created here since, empty: the same drop again (a schema copy carries it every time) leaves it.
        _ = try db.writeSync { ctx in try ctx.createTable("dog", primaryKey: "id") }
        #expect(try apply(db, "dog", .schema(.dropTable), at: 200).applied == 0)
        #expect(try apply(db, "dog", .schema(.dropTable), at: 100).applied == 0, "an older one neither")
        #expect(db.table("dog") != nil)
        // A newer drop still applies.
        #expect(try apply(db, "dog", .schema(.dropTable), at: Date().timeIntervalSince1970 * 1000 + 60_000).applied == 1)
        #expect(db.table("dog") == nil)

        // A database's likewise (the drop after the database's creation).
        let dropped = Date().timeIntervalSince1970 * 1000 + 120_000
        try storage.engine.applyRemoteDatabaseChange(.dropDatabase("dev"), at: dropped)
        #expect(storage.engine.database("dev") == nil)
        _ = try storage.engine.createDatabase("dev")
        try storage.engine.applyRemoteDatabaseChange(.dropDatabase("dev"), at: dropped)
        #expect(storage.engine.database("dev") != nil)
    }
}
