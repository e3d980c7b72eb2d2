import LyreCore
import LyreStorage
import LyreTestSupport
import Testing

@Suite struct StorageEngineTests {
    @Test func databasesAreFilesThatCanBeDropped() throws {
        let storage = try TemporaryStorage()
        try storage.engine.createDatabase("dev")
        #expect(throws: LyreError.self) { try storage.engine.createDatabase("dev") }
        #expect(storage.engine.databaseNames == ["dev"])
        try storage.engine.dropDatabase("dev")
        #expect(storage.engine.database("dev") == nil)
        #expect(throws: LyreError.self) { try storage.engine.dropDatabase("dev") }
    }

    @Test func largeTransactionsDoNotSurfaceMapFull() async throws {
        // A 1 MiB map: the 40 MB write below must grow it several times, invisibly.
        let storage = try TemporaryStorage(initialMapSize: 1 << 20)
        let db = try storage.engine.createDatabase("big")
        _ = try db.writeSync { ctx in try ctx.createTable("t", primaryKey: "id") }
        let payload = String(repeating: "x", count: 4000)
        let records: [JSONObject] = (0..<10_000).map { i in JSONObject([("id", .int(Int64(i))), ("p", .string(payload))]) }
        let r = try await db.write { ctx in try ctx.write(records, mode: .insert, to: "t") }
        #expect(r.written.count == 10_000)
        // Readers keep working on the grown map, and small writes after it too.
        let count = try db.read { txn in try txn.count(db.table("t")!.records) }
        #expect(count == 10_000)
        let more = try await db.write { ctx in try ctx.write([["id": 10_000]], mode: .insert, to: "t") }
        #expect(more.written == [10_000])
    }
}
