import LyreCore
import LyreStorage
import LyreTestSupport
import Testing

struct Boom: Error, Sendable {}

@Suite struct WriterTests {
    @Test func concurrentWritesEachGetTheirOwnResult() async throws {
        let storage = try TemporaryStorage()
        let db = try storage.dogTable()
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
        let db = try storage.dogTable()
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
        let db = try storage.dogTable()
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
        let db = try storage.dogTable()
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
        let db = try storage.dogTable()
        _ = try await db.write { ctx in try ctx.write([["id": 41, "a": 1], ["id": "z", "a": 2]], mode: .insert, to: "dog") }
        let r = try await db.write { ctx in try ctx.write([["a": 3], ["id": .null, "a": 4], ["id": "", "a": 5]], mode: .insert, to: "dog") }
        #expect(r.written == [42, 43, 44])
    }

    @Test func longValuesAreIndexedUnderACutKey() async throws {
        let storage = try TemporaryStorage()
        let db = try storage.dogTable()
        let long = String(repeating: "é", count: 2000)
        _ = try await db.write { ctx in try ctx.write([["id": 1, "text": .string(long)]], mode: .insert, to: "dog") }
        let table = db.table("dog")!
        let key = TableIndex.key(table.attribute("text")!.id, .string(long))!
        #expect(key.count == TableIndex.maximumValueKeyLength)
        // The entry is the value key followed by the primary key; its data is the key's length.
        let entry = key + KeyCodec.encode(1)!
        let found = try db.read { txn in try txn.get(table.index, entry).map { Array($0) } }
        #expect(found == [0, UInt8(KeyCodec.encode(1)!.count)])
        // Deleting the record removes the cut entry too.
        _ = try await db.write { ctx in try ctx.delete(ids: [1], from: "dog") }
        let after = try db.read { txn in try txn.get(table.index, entry) != nil }
        #expect(!after)
    }

    @Test func theLongestPrimaryKeyIsIndexedBesideACutValue() async throws {
        let storage = try TemporaryStorage()
        let db = try storage.dogTable()
        let id = String(repeating: "k", count: TableIndex.maximumPrimaryKeyLength - 1)
        let long = String(repeating: "v", count: 1000)
        _ = try await db.write { ctx in try ctx.write([["id": .string(id), "text": .string(long)]], mode: .insert, to: "dog") }
        let table = db.table("dog")!
        let entry = TableIndex.key(table.attribute("text")!.id, .string(long))! + KeyCodec.encode(.string(id))!
        #expect(entry.count == KeyCodec.maximumKeySize)
        #expect(try db.read { txn in try txn.get(table.index, entry) != nil })
    }

    @Test func anIndexInTheOldDuplicateLayoutIsRebuiltWhenTheDatabaseOpens() async throws {
        let storage = try TemporaryStorage()
        let db = try storage.dogTable()
        _ = try await db.write { ctx in
            try ctx.write([["id": 1, "name": "Penny", "age": 5], ["id": 2, "name": "Kato", "age": 5]], mode: .insert, to: "dog")
        }
        // What an earlier Lyre wrote: a DUPSORT index, value key → primary keys.
        _ = try db.writeSync { ctx in
            let name = TableDefinition.indexDBIName("dog")
            try ctx.transaction.drop(ctx.catalog.tables["dog"]!.index, delete: true)
            let old = try #require(try ctx.transaction.openDBI(name, create: true, dupSort: true))
            _ = try ctx.transaction.put(old, [0, 9, 5], KeyCodec.encode(1)!)
            _ = try ctx.transaction.put(old, [0, 9, 5], KeyCodec.encode(2)!)
        }
        let reopened = try storage.reopened()
        defer { reopened.close() }
        let table = try #require(reopened.database("dev")?.table("dog"))
        let age = TableIndex.key(table.attribute("age")!.id, 5)!
        let entries = try #require(reopened.database("dev")).read { txn in
            try txn.withCursor(table.index) { cursor in
                var keys: [[UInt8]] = []
                var entry = try cursor.first()
                while let e = entry { keys.append(Array(e.key)); entry = try cursor.next() }
                return keys
            }
        }
        // name, age, __createdtime__ and __updatedtime__ of both records, in the new layout.
        #expect(entries.count == 8)
        #expect(entries.contains(age + KeyCodec.encode(1)!))
        #expect(entries.contains(age + KeyCodec.encode(2)!))
    }

    @Test func invalidPrimaryKeysAreRefused() async throws {
        let storage = try TemporaryStorage()
        let db = try storage.dogTable()
        await #expect(throws: LyreError.self) {
            _ = try await db.write { ctx in try ctx.write([["id": true]], mode: .insert, to: "dog") }
        }
        await #expect(throws: LyreError.self) {
            _ = try await db.write { ctx in try ctx.write([["id": .string(String(repeating: "k", count: 600))]], mode: .insert, to: "dog") }
        }
        // One byte over the limit (the string tag and the UTF-8 bytes).
        let tooLong = String(repeating: "k", count: TableIndex.maximumPrimaryKeyLength)
        let error = await #expect(throws: LyreError.self) {
            _ = try await db.write { ctx in try ctx.write([["id": .string(tooLong)]], mode: .insert, to: "dog") }
        }
        #expect(error?.message == "Primary key size is too large: \(TableIndex.maximumPrimaryKeyLength + 1)")
        let count = try db.read { txn in try txn.count(db.table("dog")!.records) }
        #expect(count == 0)
    }

    @Test func dropAttributeRemovesItFromRecordsAndIndex() async throws {
        let storage = try TemporaryStorage()
        let db = try storage.dogTable()
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
