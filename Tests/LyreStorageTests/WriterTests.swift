import LyreCore
import LyreStorage
import LyreTestSupport
import Testing

struct Boom: Error, Sendable {}

@Suite struct WriterTests {
    private func makeTable(_ storage: TemporaryStorage) throws -> Database {
        let db = try storage.engine.createDatabase("dev")
        _ = try db.writeSync { ctx in try ctx.createTable("dog", primaryKey: "id") }
        return db
    }

    @Test func concurrentWritesEachGetTheirOwnResult() async throws {
        let storage = try TemporaryStorage()
        let db = try makeTable(storage)
        let results = try await withThrowingTaskGroup(of: (Int, [Value]).self) { group in
            for i in 0..<200 {
                group.addTask {
                    let r = try await db.write { ctx in
                        try ctx.write([["id": .int(Int64(i)), "n": .int(Int64(i * 2))]], mode: .insert, to: "dog")
                    }
                    return (i, r.written)
                }
            }
            var all: [Int: [Value]] = [:]
            for try await (i, written) in group { all[i] = written }
            return all
        }
        #expect(results.count == 200)
        for (i, written) in results { #expect(written == [.int(Int64(i))]) }
        let count = try db.read { txn in try txn.count(db.table("dog")!.records) }
        #expect(count == 200)
    }

    @Test func aFailingWriteLeavesNoTraceAndSparesItsGroup() async throws {
        let storage = try TemporaryStorage()
        let db = try makeTable(storage)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<50 {
                group.addTask {
                    do {
                        _ = try await db.write { ctx in
                            _ = try ctx.write([["id": .int(Int64(i)), "odd": .bool(i % 2 == 1)]], mode: .insert, to: "dog")
                            if i % 2 == 1 { throw Boom() }
                        }
                        #expect(i % 2 == 0)
                    } catch is Boom {
                        #expect(i % 2 == 1)
                    }
                }
            }
            try await group.waitForAll()
        }
        let table = db.table("dog")!
        let records = try db.read { txn in try txn.allRecords(in: table) }
        #expect(records.count == 25)
        #expect(records.allSatisfy { $0["odd"] == .bool(false) })
        // The index holds nothing of the failed writes either.
        let oddAttribute = table.attribute("odd")!
        let trueKey = TableIndex.key(oddAttribute.id, .bool(true))!
        let indexed = try db.read { txn in try txn.get(table.index, trueKey) != nil }
        #expect(!indexed)
    }

    @Test func recordsAndCatalogSurviveReopening() async throws {
        let storage = try TemporaryStorage()
        let db = try makeTable(storage)
        _ = try await db.write { ctx in
            try ctx.write([["id": 1, "name": "Penny"], ["id": 2, "name": "Rex", "age": 3]], mode: .insert, to: "dog")
        }
        let engine = try storage.reopened()
        defer { engine.close() }
        let reopened = try #require(engine.database("dev"))
        let table = try #require(reopened.table("dog"))
        #expect(table.attributeNames == ["id", "__createdtime__", "__updatedtime__", "name", "age"])
        let rex = try reopened.read { txn in try txn.record(in: table, id: 2) }
        #expect(rex?["name"] == "Rex")
        #expect(reopened.catalog.lastUpdated["dog"] != nil)
    }

    @Test func updateMergesAndKeepsCreatedTime() async throws {
        let storage = try TemporaryStorage()
        let db = try makeTable(storage)
        _ = try await db.write { ctx in try ctx.write([["id": 1, "name": "Penny", "age": 7]], mode: .insert, to: "dog") }
        let created = try db.read { txn in try txn.record(in: db.table("dog")!, id: 1)?["__createdtime__"] }
        let r = try await db.write { ctx in
            try ctx.write([["id": 1, "name": "Penny B", "__createdtime__": 5], ["id": 9, "name": "x"]], mode: .update, to: "dog")
        }
        #expect(r.written == [1])
        #expect(r.skipped == [9])
        let record = try db.read { txn in try txn.record(in: db.table("dog")!, id: 1) }
        #expect(record?["name"] == "Penny B")
        #expect(record?["age"] == 7)
        #expect(record?["__createdtime__"] == created)
    }

    @Test func generatedKeysIncreasePastTheLargestInteger() async throws {
        let storage = try TemporaryStorage()
        let db = try makeTable(storage)
        _ = try await db.write { ctx in try ctx.write([["id": 41, "a": 1], ["id": "z", "a": 2]], mode: .insert, to: "dog") }
        let r = try await db.write { ctx in try ctx.write([["a": 3], ["id": .null, "a": 4], ["id": "", "a": 5]], mode: .insert, to: "dog") }
        #expect(r.written == [42, 43, 44])
    }

    @Test func longValuesAreIndexedUnderACutKey() async throws {
        let storage = try TemporaryStorage()
        let db = try makeTable(storage)
        let long = String(repeating: "é", count: 2000)
        _ = try await db.write { ctx in try ctx.write([["id": 1, "text": .string(long)]], mode: .insert, to: "dog") }
        let table = db.table("dog")!
        let key = TableIndex.key(table.attribute("text")!.id, .string(long))!
        #expect(key.count == KeyCodec.maximumKeySize)
        let found = try db.read { txn in try txn.get(table.index, key).map { Array($0) } }
        #expect(found == KeyCodec.encode(1))
        // Deleting the record removes the cut entry too.
        _ = try await db.write { ctx in try ctx.delete(ids: [1], from: "dog") }
        let after = try db.read { txn in try txn.get(table.index, key) != nil }
        #expect(!after)
    }

    @Test func invalidPrimaryKeysAreRefused() async throws {
        let storage = try TemporaryStorage()
        let db = try makeTable(storage)
        await #expect(throws: LyreError.self) {
            _ = try await db.write { ctx in try ctx.write([["id": true]], mode: .insert, to: "dog") }
        }
        await #expect(throws: LyreError.self) {
            _ = try await db.write { ctx in try ctx.write([["id": .string(String(repeating: "k", count: 600))]], mode: .insert, to: "dog") }
        }
        let count = try db.read { txn in try txn.count(db.table("dog")!.records) }
        #expect(count == 0)
    }

    @Test func dropAttributeRemovesItFromRecordsAndIndex() async throws {
        let storage = try TemporaryStorage()
        let db = try makeTable(storage)
        _ = try await db.write { ctx in try ctx.write([["id": 1, "a": 1, "b": 2], ["id": 2, "a": 3]], mode: .insert, to: "dog") }
        let aID = db.table("dog")!.attribute("a")!.id
        try await db.write { ctx in try ctx.dropAttribute("a", from: "dog", removeFromRecords: true) }
        let table = db.table("dog")!
        #expect(table.attribute("a") == nil)
        let records = try db.read { txn in try txn.allRecords(in: table) }
        #expect(records.allSatisfy { $0["a"] == nil })
        #expect(records.first?["b"] == 2)
        let stale = try db.read { txn in try txn.get(table.index, TableIndex.key(aID, 1)!) != nil }
        #expect(!stale)
    }
}
