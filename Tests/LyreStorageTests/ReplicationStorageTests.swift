import LyreCore
import LyreStorage
import LyreTestSupport
import Synchronization
import Testing

/// The storage side of replication: the commit observer and `applyRemote`'s
/// last-writer-wins with tombstones.
@Suite struct ReplicationStorageTests {
    final class Observed: Sendable {
        let groups = Mutex<[CommittedGroup]>([])
    }

    @Test func theObserverSeesEachCommittedGroupsChangesInOrder() async throws {
        let storage = try TemporaryStorage()
        let db = try storage.dogTable()
        let observed = Observed()
        storage.engine.setCommitObserver(CommitObservation(observes: { _, table in table == "dog" }) { group in
            observed.groups.withLock { $0.append(group) }
        })
        _ = try await db.write { ctx in
            _ = try ctx.write([["id": 1, "name": "Penny"]], mode: .insert, to: "dog")
            _ = try ctx.write([["id": 1, "age": 3]], mode: .update, to: "dog")
            _ = try ctx.write([["id": 9]], mode: .update, to: "dog")  // skipped: nothing to report
            return try ctx.delete(ids: [1, 2], from: "dog").deleted.count
        }
        // A failing write is not observed.
        await #expect(throws: LyreError.self) {
            _ = try await db.write { ctx in
                _ = try ctx.write([["id": 5]], mode: .insert, to: "dog")
                throw LyreError.badRequest("no")
            }
        }
        let groups = observed.groups.withLock { $0 }
        #expect(groups.count == 1)
        let changes = try #require(groups.first?.changes)
        #expect(groups.first?.database == "dev")
        // The insert and the update, consecutive puts of one table, arrive as one change
        // (records in order), with their stored encodings.
        #expect(changes.count == 2)
        guard changes.count == 2 else { return }
        if case .put(let records) = changes[0].kind {
            #expect(records.count == 2)
            #expect(records.first?["name"] == "Penny")
            #expect(records.last?["age"] == 3 && records.last?["name"] == "Penny")
            #expect(try changes[0].encodedRecords?.map { try RecordCodec.decode($0) } == records)
        } else {
            Issue.record("put")
        }
        if case .delete(let ids) = changes[1].kind { #expect(ids == [1]) } else { Issue.record("delete") }

        // The group waits in the outbox until acknowledged.
        let pending = try db.pendingOutbox()
        #expect(pending.count == 1)
        #expect(pending.first?.outboxKey == groups.first?.outboxKey)
        #expect(pending.first?.changes.count == 2)
        // The outbox entry embeds the stored encodings: it decodes to the same records.
        if case .put(let kept)? = pending.first?.changes.first?.kind, case .put(let records) = changes[0].kind {
            #expect(kept == records)
        } else {
            Issue.record("outbox put")
        }
        db.acknowledgeOutbox(upTo: try #require(groups.first?.outboxKey))
        #expect(try db.pendingOutbox().isEmpty)

        // Removed: nothing more is gathered.
        storage.engine.setCommitObserver(nil)
        _ = try await db.write { ctx in try ctx.write([["id": 7]], mode: .insert, to: "dog").written.count }
        #expect(observed.groups.withLock { $0.count } == 1)
    }

    private func record(_ db: Database, _ id: Int64) throws -> JSONObject? {
        try db.read { try $0.record(in: db.table("dog")!, id: .int(id)) }
    }

    @Test func theNewerUpdatedTimeWinsAndTiesGoToTheGreaterNodeName() async throws {
        let storage = try TemporaryStorage()
        let db = try storage.dogTable()
        func put(_ name: String, at time: Double, from origin: String) throws -> RemoteApplyResult {
            try db.writeSync { ctx in
                try ctx.applyRemote(CommittedChange(table: "dog", kind: .put([["id": 1, "name": .string(name), "__updatedtime__": .double(time)]])),
                                    timestamp: time, origin: origin, localNode: "b")
            }
        }
        #expect(try put("first", at: 1000, from: "a").applied == 1)
        #expect(try put("older", at: 999, from: "c").skipped == 1)
        #expect(try record(db, 1)?["name"] == "first")
        #expect(try put("newer", at: 1001, from: "a").applied == 1)
        // Equal times: "a" < local "b" loses, "c" > "b" wins.
        #expect(try put("tie-a", at: 1001, from: "a").skipped == 1)
        #expect(try put("tie-c", at: 1001, from: "c").applied == 1)
        #expect(try record(db, 1)?["name"] == "tie-c")
        // The same message again changes nothing more.
        #expect(try put("tie-c", at: 1001, from: "c").applied == 1)
        #expect(try record(db, 1)?["name"] == "tie-c")
        // Indexes follow: the record is found by its new value.
        let count = try db.read { txn in try txn.count(db.table("dog")!.records) }
        #expect(count == 1)
    }

    @Test func aDeleteLeavesATombstoneThatAnOlderUpdateCannotCross() async throws {
        let storage = try TemporaryStorage()
        let db = try storage.dogTable()
        storage.engine.setCommitObserver(CommitObservation(observes: { _, _ in false }) { _ in })  // clustering on: deletes leave tombstones
        func apply(_ kind: CommittedChange.Kind, at time: Double) throws -> RemoteApplyResult {
            try db.writeSync { ctx in
                try ctx.applyRemote(CommittedChange(table: "dog", kind: kind), timestamp: time, origin: "a", localNode: "b")
            }
        }
        _ = try apply(.put([["id": 1, "__updatedtime__": 100.0]]), at: 100)
        #expect(try apply(.delete([1]), at: 200).applied == 1)
        #expect(try record(db, 1) == nil)
        // Late: an update made before the delete.
        #expect(try apply(.put([["id": 1, "late": true, "__updatedtime__": 150.0]]), at: 150).skipped == 1)
        #expect(try record(db, 1) == nil)
        // A write after the delete brings it back.
        #expect(try apply(.put([["id": 1, "again": true, "__updatedtime__": 250.0]]), at: 250).applied == 1)
        #expect(try record(db, 1)?["again"] == true)
        // A delete older than the record is skipped.
        #expect(try apply(.delete([1]), at: 240).skipped == 1)
        #expect(try record(db, 1) != nil)

        // A local delete leaves a tombstone too.
        _ = try await db.write { ctx in try ctx.delete(ids: [1], from: "dog").deleted.count }
        #expect(try apply(.put([["id": 1, "late": true, "__updatedtime__": 260.0]]), at: 260).skipped == 1)
    }
}
