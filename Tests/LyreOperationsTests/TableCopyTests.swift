import Foundation
import Logging
import LyreCore
import LyreOperations
import LyreStorage
import LyreTestSupport
import Testing

/// A full copy (`TableCopy`) between two storages, the requests answered by the peer's side
/// (`TableCopy.answer`) without NATS: more records than a batch, tombstones, `since`.
@Suite struct TableCopyTests {
    static func copy(from source: StorageEngine, to target: StorageEngine, since: Date? = nil, point: UInt64 = 7) throws -> UInt64? {
        var logger = Logger(label: "table-copy-test")
        logger.logLevel = .critical
        return try TableCopy(peer: "alpha", database: "dev", table: "dog", since: since, localNode: "beta", storage: target,
                             logger: logger) { bytes in
            RecordCodec.encode(TableCopy.answer(try RecordCodec.decode(bytes), storage: source) { _, _ in point })
        }.run()
    }

    static func ids(_ db: Database) throws -> [Int64] {
        var ids: [Int64] = []
        var after: Value?
        repeat {
            let batch = try db.copyBatch(table: "dog", after: after, since: nil, limit: 500, maxBytes: 1 << 24)
            ids += batch.records.compactMap { $0["id"]?.intValue }
            after = batch.next
        } while after != nil
        return ids
    }

    @Test func aCopyOfMoreRecordsThanABatchEndsWithEveryRecordTheTombstonesAndItsPoint() async throws {
        let source = try TemporaryStorage()
        let target = try TemporaryStorage()
        // Observed, as a published table is: its deletes leave tombstones.
        source.engine.setCommitObserver(CommitObservation(observes: { _, _ in true }) { _ in })
        let db = try source.dogTable()
        #expect(try db.tombstoneCount() == 0)
        let count = TableCopy.batchRecords * 2 + 500
        _ = try await db.write { ctx in
            try ctx.write((0..<count).map { ["id": .int(Int64($0)), "name": .string("dog \($0)")] }, mode: .insert, to: "dog").written.count
        }
        _ = try await db.write { ctx in try ctx.delete(ids: [3, 4, 5], from: "dog").deleted.count }
        #expect(try db.tombstoneCount() == 3)

        #expect(try Self.copy(from: source.engine, to: target.engine) == 7)
        let copied = try #require(target.engine.database("dev"))
        #expect(try Self.ids(copied) == (0..<Int64(count)).filter { ![3, 4, 5].contains($0) })
        #expect(try copied.replicationPosition(peer: "alpha", table: "dog") == 7)
        // The tombstones came along: an older write of a deleted record stays out.
        let old = CommittedChange(table: "dog", kind: .put([["id": 4, "__updatedtime__": 1.0]]))
        let applied = try copied.writeSync { ctx in
            try ctx.applyRemote(old, timestamp: 1, origin: "gamma", localNode: "beta").applied
        }
        #expect(applied == 0)
    }

    @Test func anEmptyOrMissingTableCopiesNothingAndEnds() async throws {
        let source = try TemporaryStorage()
        let target = try TemporaryStorage()
        _ = try source.dogTable()
        #expect(try Self.copy(from: source.engine, to: target.engine, point: 0) == 0)
        #expect(try Self.ids(#require(target.engine.database("dev"))) == [])
        // No such table on the peer: the copy ends too.
        let missing = try TemporaryStorage()
        #expect(try Self.copy(from: missing.engine, to: target.engine, point: 3) == 3)
    }

    @Test func sinceLeavesOutRecordsWrittenBeforeIt() async throws {
        let source = try TemporaryStorage()
        let target = try TemporaryStorage()
        let db = try source.dogTable()
        _ = try await db.write { ctx in try ctx.write([["id": 1]], mode: .insert, to: "dog").written.count }
        let since = Date().addingTimeInterval(0.001)
        while Date() <= since { try await Task.sleep(for: .milliseconds(2)) }
        _ = try await db.write { ctx in try ctx.write([["id": 2]], mode: .insert, to: "dog").written.count }
        #expect(try Self.copy(from: source.engine, to: target.engine, since: since) == 7)
        #expect(try Self.ids(#require(target.engine.database("dev"))) == [2])
    }
}
