import LyreCore
import LyreOperations
import LyreStorage
import LyreTestSupport
import Testing

/// When a bulk load is followed by a compaction (`LoadCompaction.warranted`,
/// `storage.compactAfterLoadRows`): at least the configured rows, and at least half of the
/// database's records (every table's), so the rewrite costs at most about twice the load.
@Suite struct LoadCompactionDecisionTests {
    static func database(records: [String: Int]) throws -> (TemporaryStorage, Database) {
        let storage = try TemporaryStorage()
        let db = try storage.engine.createDatabase("dev")
        for (table, count) in records {
            _ = try db.writeSync { ctx in try ctx.createTable(table, primaryKey: "id") }
            let rows: [JSONObject] = (0..<count).map { ["id": .int(Int64($0)), "v": .int(Int64($0 % 7))] }
            _ = try db.writeSync { ctx in try ctx.write(rows, mode: .insert, to: table) }
        }
        return (storage, db)
    }

    @Test func aLoadOfHalfTheDatabaseOrMoreAboveTheMinimumIsCompacted() throws {
        let (storage, db) = try Self.database(records: ["a": 600, "b": 400])
        _ = storage
        // The load wrote 500 of the 1,000 records: the other 500 were there before.
        #expect(LoadCompaction.warranted(rows: 500, minimumRows: 100, db: db))
        #expect(LoadCompaction.warranted(rows: 1_000, minimumRows: 1_000, db: db))
        // 499 of 1,000: less than half, whatever the minimum.
        #expect(!LoadCompaction.warranted(rows: 499, minimumRows: 100, db: db))
        // Below the minimum.
        #expect(!LoadCompaction.warranted(rows: 600, minimumRows: 601, db: db))
        // 0 turns it off.
        #expect(!LoadCompaction.warranted(rows: 1_000, minimumRows: 0, db: db))
    }
}
