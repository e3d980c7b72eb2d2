import Dispatch
import LyreCore
import LyreStorage
import LyreTestSupport
import Testing

/// The index backlog (`IndexBacklog`): small writes defer their index changes; every read
/// that may use an index sees them applied; the order of changes and their durability hold.
@Suite struct IndexBacklogTests {
    /// A storage with `dev.dog`, whose writers by default never apply the backlog on their
    /// own within a test.
    private func makeStorage(idleDelay: DispatchTimeInterval = .seconds(3600)) throws -> (TemporaryStorage, Database) {
        let storage = try TemporaryStorage(backlogIdleDelay: idleDelay)
        let db = try storage.engine.createDatabase("dev")
        _ = try db.writeSync { ctx in try ctx.createTable("dog", primaryKey: "id") }
        return (storage, db)
    }

    /// Primary keys of the index entries of `attribute` = `value`, read from the index DBI
    /// itself; `completeIndexes` false reads the snapshot as it is.
    private func indexed(_ db: Database, _ attribute: String, _ value: Value, completeIndexes: Bool) throws -> [Value] {
        let table = try #require(db.table("dog"))
        let id = try #require(table.attribute(attribute)).id
        let valueKey = try #require(TableIndex.key(id, value))
        return try db.read(completeIndexes: completeIndexes) { txn in
            try txn.withCursor(table.index) { cursor in
                var keys: [Value] = []
                var entry = try cursor.seek(atOrAfter: valueKey)
                while let e = entry, e.key.starts(with: valueKey) {
                    let (_, primaryKey) = TableIndex.split(key: e.key, data: e.value)
                    keys.append(try KeyCodec.decode(primaryKey))
                    entry = try cursor.next()
                }
                return keys
            }
        }
    }

    @Test func smallWritesLeaveTheirIndexChangesInTheBacklog() async throws {
        let (storage, db) = try makeStorage()
        _ = storage
        for i in 1...3 {
            _ = try await db.write { ctx in try ctx.write([["id": .int(Int64(i)), "age": 5]], mode: .insert, to: "dog") }
        }
        #expect(db.indexBacklogCount > 0)
        // As stored: the records are there, their index entries are not yet.
        #expect(try indexed(db, "age", 5, completeIndexes: false) == [])
        #expect(try db.read(completeIndexes: false) { try $0.count(db.table("dog")!.records) } == 3)
    }

    @Test func aReadSeesEveryChangeOfTheBacklogApplied() async throws {
        let (storage, db) = try makeStorage()
        _ = storage
        for i in 1...3 {
            _ = try await db.write { ctx in try ctx.write([["id": .int(Int64(i)), "age": 5]], mode: .insert, to: "dog") }
        }
        #expect(try indexed(db, "age", 5, completeIndexes: true) == [1, 2, 3])
        #expect(db.indexBacklogCount == 0)
        // Read back without the check: the entries are in the index DBI itself now.
        #expect(try indexed(db, "age", 5, completeIndexes: false) == [1, 2, 3])
    }

    @Test func writesRightAfterAnIndexReadGoStraightToTheIndex() async throws {
        let (storage, db) = try makeStorage()
        _ = storage
        _ = try await db.write { ctx in try ctx.write([["id": 1, "age": 5]], mode: .insert, to: "dog") }
        _ = try indexed(db, "age", 5, completeIndexes: true)
        _ = try await db.write { ctx in try ctx.write([["id": 2, "age": 5]], mode: .insert, to: "dog") }
        #expect(db.indexBacklogCount == 0)
        #expect(try indexed(db, "age", 5, completeIndexes: false) == [1, 2])
    }

    @Test func changesOfOneRecordApplyInTheOrderTheyWereMade() async throws {
        let (storage, db) = try makeStorage()
        _ = storage
        // Each in its own group: insert (age 5), update to 6, back to 5, delete record 2.
        _ = try await db.write { ctx in try ctx.write([["id": 1, "age": 5], ["id": 2, "age": 5]], mode: .insert, to: "dog") }
        _ = try await db.write { ctx in try ctx.write([["id": 1, "age": 6]], mode: .update, to: "dog") }
        _ = try await db.write { ctx in try ctx.write([["id": 1, "age": 5]], mode: .update, to: "dog") }
        _ = try await db.write { ctx in try ctx.write([["id": 1, "age": 7]], mode: .update, to: "dog") }
        _ = try await db.write { ctx in try ctx.delete(ids: [2], from: "dog") }
        #expect(db.indexBacklogCount > 0)
        #expect(try indexed(db, "age", 5, completeIndexes: true) == [])
        #expect(try indexed(db, "age", 6, completeIndexes: true) == [])
        #expect(try indexed(db, "age", 7, completeIndexes: true) == [1])
    }

    @Test func theBacklogIsAppliedOnceItHoldsTheLimit() async throws {
        let (storage, db) = try makeStorage()
        _ = storage
        // Each record adds three changes (age, __createdtime__, __updatedtime__).
        let records = IndexBacklog.limit / 3 + 1
        var i = 0
        while i < records {
            let batch = (i..<min(records, i + 16)).map { n -> JSONObject in ["id": .int(Int64(n)), "age": .int(Int64(n % 7))] }
            _ = try await db.write { ctx in try ctx.write(batch, mode: .insert, to: "dog") }
            #expect(db.indexBacklogCount < IndexBacklog.limit)
            i += 16
        }
        #expect(db.indexBacklogCount < 3 * 16)
        #expect(try indexed(db, "age", 3, completeIndexes: false).count >= (records - 3 * 16) / 7 - 1)
    }

    @Test func aLargeGroupWritesItsIndexChangesDirectly() async throws {
        let (storage, db) = try makeStorage()
        _ = storage
        _ = try await db.write { ctx in try ctx.write([["id": 0, "age": 1]], mode: .insert, to: "dog") }
        #expect(db.indexBacklogCount > 0)
        let batch = (1...IndexBacklog.largeGroup).map { n -> JSONObject in ["id": .int(Int64(n)), "age": .int(Int64(n % 2))] }
        _ = try await db.write { ctx in try ctx.write(batch, mode: .insert, to: "dog") }
        #expect(db.indexBacklogCount == 0)
        #expect(try indexed(db, "age", 1, completeIndexes: false).count == IndexBacklog.largeGroup / 2 + 1)
    }

    @Test func dropAttributeAndDropTableApplyTheBacklogFirst() async throws {
        let (storage, db) = try makeStorage()
        _ = storage
        _ = try await db.write { ctx in try ctx.write([["id": 1, "age": 5, "name": "Penny"]], mode: .insert, to: "dog") }
        #expect(db.indexBacklogCount > 0)
        let ageID = try #require(db.table("dog")?.attribute("age")).id
        _ = try await db.write { ctx in try ctx.dropAttribute("age", from: "dog", removeFromRecords: true) }
        #expect(db.indexBacklogCount == 0)
        // No entry of the dropped attribute came back from the backlog.
        let table = try #require(db.table("dog"))
        let left = try db.read(completeIndexes: false) { txn in
            try txn.withCursor(table.index) { cursor in
                try cursor.seek(atOrAfter: TableIndex.prefix(ageID)).map { $0.key.starts(with: TableIndex.prefix(ageID)) } ?? false
            }
        }
        #expect(!left)
        #expect(try indexed(db, "name", "Penny", completeIndexes: false) == [1])

        _ = try await db.write { ctx in try ctx.write([["id": 2, "name": "Rex"]], mode: .insert, to: "dog") }
        #expect(db.indexBacklogCount > 0)
        _ = try await db.write { ctx in
            try ctx.dropTable("dog")
            _ = try ctx.createTable("dog", primaryKey: "id")
        }
        #expect(db.indexBacklogCount == 0)
        #expect(try db.read(completeIndexes: false) { try $0.count(db.table("dog")!.index) } == 0)
    }

    @Test func theBacklogSurvivesReopeningAndIsAppliedWhenRead() async throws {
        let (storage, db) = try makeStorage()
        for i in 1...3 {
            _ = try await db.write { ctx in try ctx.write([["id": .int(Int64(i)), "age": 5]], mode: .insert, to: "dog") }
        }
        let waiting = db.indexBacklogCount
        #expect(waiting > 0)
        let engine = try storage.reopened()
        defer { engine.close() }
        let reopened = try #require(engine.database("dev"))
        #expect(reopened.indexBacklogCount == waiting)
        #expect(try indexed(reopened, "age", 5, completeIndexes: true) == [1, 2, 3])
    }

    @Test func aQuietWriterAppliesTheBacklogByItself() async throws {
        let (storage, db) = try makeStorage(idleDelay: .milliseconds(20))
        _ = storage
        _ = try await db.write { ctx in try ctx.write([["id": 1, "age": 5]], mode: .insert, to: "dog") }
        var waited = 0
        while db.indexBacklogCount > 0, waited < 1000 {
            try await Task.sleep(for: .milliseconds(10))
            waited += 1
        }
        #expect(db.indexBacklogCount == 0)
    }
}
