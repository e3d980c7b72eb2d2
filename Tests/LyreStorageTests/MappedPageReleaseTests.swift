import Foundation
import LyreCore
import LyreStorage
import LyreTestSupport
import Testing

/// `madvise(MADV_DONTNEED)` over LMDB's map (the writer's RSS bound) must never lose or
/// change data: the map is read-only and shared, so released pages fault back in from the
/// page cache. These tests would fail if the release hit the wrong range or a private mapping.
@Suite struct MappedPageReleaseTests {
    private static let payload = String(repeating: "lyre ", count: 40)

    private static func record(_ i: Int) -> JSONObject {
        JSONObject([("id", .int(Int64(i))), ("name", .string("name \(i)")), ("n", .int(Int64(i * 3))),
                    ("payload", .string("\(i) \(payload)"))])
    }

    private static func checkEveryRecord(_ db: Database, count: Int) throws {
        let table = try #require(db.table("t"))
        try db.read { txn in
            for i in 0..<count {
                let stored = try #require(try txn.record(in: table, id: .int(Int64(i))))
                #expect(stored["name"] == .string("name \(i)"))
                #expect(stored["n"] == .int(Int64(i * 3)))
                #expect(stored["payload"] == .string("\(i) \(payload)"))
            }
            #expect(try txn.count(table.records) == count)
        }
    }

    /// Two 10,000-record transactions (~70,000 B-tree operations each, so the writer also
    /// releases in the middle of them), an explicit release, then every record read back.
    @Test func releasedPagesReadBackUnchanged() async throws {
        let storage = try TemporaryStorage()
        let db = try storage.engine.createDatabase("dev")
        _ = try db.writeSync { ctx in try ctx.createTable("t", primaryKey: "id") }
        for start in stride(from: 0, to: 20_000, by: 10_000) {
            let records = (start..<start + 10_000).map(Self.record)
            let r = try await db.write { ctx in try ctx.write(records, mode: .insert, to: "t") }
            #expect(r.written.count == 10_000)
        }
        try Self.checkEveryRecord(db, count: 20_000)
        let residentBefore = db.residentMappedBytes
        #expect(db.releaseMappedPages() > 0, "the map of the database file was not found")
        if let residentBefore, let residentAfter = db.residentMappedBytes {
            #expect(residentBefore > 0)
            // Measuring reads LMDB's meta page (mdb_env_info) through the map, which faults in
            // one fault-around window (64 KiB by default) again.
            #expect(residentAfter <= 64 * 1024)
            #expect(residentAfter < residentBefore)
        }
        try Self.checkEveryRecord(db, count: 20_000)
        // Writes after a release (pages faulted back in, then copied by LMDB) stay exact too.
        let more = try await db.write { ctx in try ctx.write([Self.record(20_000)], mode: .insert, to: "t") }
        #expect(more.written == [.int(20_000)])
        #expect(db.releaseMappedPages() > 0)
        try Self.checkEveryRecord(db, count: 20_001)
        // And after a restart, from the file.
        let reopened = try storage.reopened()
        defer { reopened.close() }
        try Self.checkEveryRecord(try #require(reopened.database("dev")), count: 20_001)
    }

    /// A reader holding pointers into the map across a release still reads the same bytes,
    /// also while the writer commits (and releases) concurrently.
    @Test func releasingWhileAReadTransactionIsOpen() async throws {
        let storage = try TemporaryStorage()
        let db = try storage.engine.createDatabase("dev")
        _ = try db.writeSync { ctx in try ctx.createTable("t", primaryKey: "id") }
        let records = (0..<5_000).map(Self.record)
        _ = try await db.write { ctx in try ctx.write(records, mode: .insert, to: "t") }
        let table = try #require(db.table("t"))

        let writer = Task {
            for start in stride(from: 5_000, to: 15_000, by: 1_000) {
                let batch = (start..<start + 1_000).map(Self.record)
                _ = try await db.write { ctx in try ctx.write(batch, mode: .insert, to: "t") }
            }
        }
        try db.read { txn in
            // Borrowed views into the map, taken before the releases.
            var held: [(view: UnsafeRawBufferPointer, copy: [UInt8])] = []
            for i in stride(from: 0, to: 5_000, by: 7) {
                let key = try #require(KeyCodec.encode(.int(Int64(i))))
                let view = try #require(try txn.get(table.records, key))
                held.append((view, Array(view)))
            }
            for _ in 0..<20 {
                #expect(db.releaseMappedPages() > 0)
                for (view, copy) in held { #expect(Array(view) == copy) }
            }
            // The snapshot is unchanged: exactly the first 5,000 records, whatever committed since.
            #expect(try txn.count(table.records) == 5_000)
            for i in 0..<5_000 {
                let stored = try #require(try txn.record(in: table, id: .int(Int64(i))))
                #expect(stored["payload"] == .string("\(i) \(Self.payload)"))
            }
        }
        try await writer.value
        db.releaseMappedPages()
        try Self.checkEveryRecord(db, count: 15_000)
    }
}
