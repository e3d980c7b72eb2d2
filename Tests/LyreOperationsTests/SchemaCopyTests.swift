import Foundation
import Logging
import LyreCore
import LyreOperations
import LyreStorage
import LyreTestSupport
import Synchronization
import Testing

/// A schema copy (`SchemaCopy`) between two storages, the requests answered by the peer's
/// side (`SchemaCopy.answer`) without NATS: a catalog larger than one NATS message in
/// batches, the batches' positions, and the drop and `delete_records_before` markers that
/// travel with it.
@Suite struct SchemaCopyTests {
    final class Replies: Sendable {
        let sizes = Mutex<[Int]>([])
    }

    /// A storage with its `system` database (where positions and database drops are kept), as a node has.
    static func storage() throws -> TemporaryStorage {
        let storage = try TemporaryStorage()
        _ = try storage.engine.createDatabase(StorageEngine.systemDatabase)
        return storage
    }

    static func now() -> Double { Date().timeIntervalSince1970 * 1000 }

    /// Copies `source`'s schema to `target`; every reply's encoded size is noted in `replies`.
    @discardableResult
    static func copy(from source: StorageEngine, to target: StorageEngine, limit: Int = SchemaCopy.batchChanges,
                     maxBytes: Int = SchemaCopy.batchBytes, replies: Replies = Replies(),
                     takes: @escaping @Sendable (String, String) -> Bool = { _, _ in true }) throws -> UInt64? {
        var logger = Logger(label: "schema-copy-test")
        logger.logLevel = .critical
        return try SchemaCopy(peer: "alpha", localNode: "beta", storage: target, logger: logger, takes: takes) { bytes in
            let reply = RecordCodec.encode(SchemaCopy.answer(try RecordCodec.decode(bytes), storage: source, limit: limit,
                                                             maxBytes: maxBytes) { 7 })
            replies.sizes.withLock { $0.append(reply.count) }
            return reply
        }.run()
    }

    /// Every change the peer's side sends, paging with `limit`.
    static func changes(of storage: StorageEngine, limit: Int) throws -> [Value] {
        var out: [Value] = []
        var after: Value = .null
        for _ in 0..<10_000 {
            let reply = SchemaCopy.answer(JSONObject([("part", "schema"), ("after", after)]), storage: storage, limit: limit,
                                          maxBytes: .max) { 1 }
            #expect(reply["status"] == "success", "\(reply)")
            let batch = reply["changes"]?.arrayValue ?? []
            #expect(batch.count <= limit)
            out += batch
            guard let next = reply["next"], !next.isNull else { return out }
            #expect(next != after, "each batch moves on")
            after = next
        }
        Issue.record("the copy never ended")
        return out
    }

    static func observe(_ storage: TemporaryStorage) {
        storage.engine.setCommitObserver(CommitObservation(observes: { _, _ in true }) { _ in })
    }

    static func attributeNames(_ db: Database, _ table: String) -> Set<String> {
        Set(db.table(table)?.attributes.map(\.name) ?? [])
    }

    static func ids(_ db: Database, _ table: String) throws -> [Int64] {
        try db.copyBatch(table: table, after: nil, since: nil, limit: 10_000, maxBytes: 1 << 30).records.compactMap { $0["id"]?.intValue }
    }

    static func insert(_ db: Database, _ table: String, _ ids: [Int64]) async throws {
        _ = try await db.write { ctx in try ctx.write(ids.map { ["id": .int($0)] }, mode: .insert, to: table).written.count }
    }

    /// Lets the clock move past the last write, so the next one is strictly later.
    static func tick() async throws { try await Task.sleep(for: .milliseconds(5)) }

    @Test func aCatalogLargerThanOneNATSMessageIsCopiedInBatchesUnderTheLimit() async throws {
        let source = try Self.storage()
        let target = try Self.storage()
        // 160 tables of 150 attributes each: well over 1 MB as one reply.
        let big = try source.engine.createDatabase("big")
        let attributes = (0..<150).map { "a_rather_long_attribute_name_\($0)" }
        for start in stride(from: 0, to: 160, by: 20) {
            _ = try big.writeSync { ctx in
                for n in start..<(start + 20) {
                    _ = try ctx.createTable("table_\(n)", primaryKey: "id")
                    try ctx.addAttributes(attributes, to: "table_\(n)")
                }
            }
        }
        let other = try source.engine.createDatabase("other")
        _ = try other.writeSync { ctx in try ctx.createTable("bird", primaryKey: "id") }
        let whole = SchemaCopy.answer(JSONObject([("part", "schema")]), storage: source.engine, limit: .max, maxBytes: .max) { 1 }
        #expect(RecordCodec.encode(whole).count > 1 << 20, "one reply would exceed NATS's 1 MB")

        let replies = Replies()
        #expect(try Self.copy(from: source.engine, to: target.engine, replies: replies) { database, _ in database == "big" } == 7)
        let sizes = replies.sizes.withLock { $0 }
        #expect(sizes.count > 4)
        #expect(sizes.allSatisfy { $0 < 1 << 19 }, "\(sizes)")
        let copied = try #require(target.engine.database("big"))
        #expect(copied.catalog.tableNames.count == 160)
        for n in [0, 57, 159] { #expect(Self.attributeNames(copied, "table_\(n)") == Self.attributeNames(big, "table_\(n)")) }
        #expect(target.engine.database("other") == nil, "a database this node takes nothing of")
        #expect(try target.engine.database(StorageEngine.systemDatabase)?.replicationPosition(peer: "alpha", table: SchemaCopy.positionTable) == 7)
    }

    @Test func batchesOfAnySizeSendTheSameChangesInTheSameOrder() async throws {
        let source = try Self.storage()
        Self.observe(source)
        for database in ["a", "b", "c"] {
            let db = try source.engine.createDatabase(database)
            _ = try db.writeSync { ctx in
                for table in ["t1", "t2", "t3", "t4"] { _ = try ctx.createTable(table, primaryKey: "id") }
                try ctx.addAttributes(["x", "y"], to: "t2")
            }
            _ = try await db.write { ctx in
                try ctx.dropTable("t3")
                try ctx.dropAttribute("x", from: "t2", removeFromRecords: true)
                try ctx.noteDeleteRecordsBefore(1_000, in: "t1")
                try ctx.noteDeleteRecordsBefore(2_000, in: "t1")
            }
        }
        try source.engine.createDatabase("gone")
        try source.engine.dropDatabase("gone")
        try source.engine.createDatabase("gone too")
        try source.engine.dropDatabase("gone too")

        let all = try Self.changes(of: source.engine, limit: .max)
        // Database drops first, then per database: its creation, its markers, its tables.
        let ops = all.compactMap { $0["schema"]?["op"]?.stringValue }
        #expect(ops.prefix(3) == ["drop_database", "drop_database", "create_database"])
        #expect(ops.filter { $0 == "delete_records_before" }.count == 6)
        #expect(ops.filter { $0 == "drop_table" }.count == 3)
        #expect(ops.filter { $0 == "drop_attribute" }.count == 3)
        #expect(ops.filter { $0 == "create_table" }.count == 9)
        for limit in [1, 2, 3, 5] {
            #expect(try Self.changes(of: source.engine, limit: limit) == all, "limit \(limit)")
        }
        // A position that is not one is refused, not taken as the start.
        let bad = SchemaCopy.answer(JSONObject([("part", "schema"), ("after", "nonsense")]), storage: source.engine) { 1 }
        #expect(bad["status"] == "error")
    }

    @Test func dropAndDeleteBeforeMarkersTravelWithTheCopyAndApplyAsReceivedChangesWould() async throws {
        let source = try Self.storage()
        let target = try Self.storage()
        let third = try Self.storage()
        for storage in [source, target, third] { Self.observe(storage) }
        // Before the peer's operations: the target holds tables the peer will drop, and records
        // the peer's delete_records_before will cover; a third node holds such records too.
        let held = try target.engine.createDatabase("dev")
        _ = try held.writeSync { ctx in
            for table in ["dog", "cat", "bird"] { _ = try ctx.createTable(table, primaryKey: "id") }
            try ctx.addAttributes(["colour"], to: "dog")
        }
        try await Self.insert(held, "dog", [100, 101])
        try await Self.insert(held, "cat", [1, 2])
        let gone = try target.engine.createDatabase("gone")
        _ = try gone.writeSync { ctx in try ctx.createTable("t", primaryKey: "id") }
        try await Self.insert(gone, "t", [1])
        let elsewhere = try third.dogTable()
        try await Self.insert(elsewhere, "dog", [200])
        try await Self.tick()
        let cutoff = Self.now()
        try await Self.tick()

        // On the peer: records after the cutoff, then delete_records_before(cutoff) on dev.dog,
        // drops of dev.cat, dev.bird, dev.dog.colour and of the database `gone`.
        let peer = try source.engine.createDatabase("dev")
        _ = try peer.writeSync { ctx in
            for table in ["dog", "cat", "bird"] { _ = try ctx.createTable(table, primaryKey: "id") }
            try ctx.addAttributes(["colour"], to: "dog")
        }
        try await Self.insert(peer, "dog", [1, 2, 3])
        _ = try await peer.write { ctx in
            try ctx.noteDeleteRecordsBefore(cutoff, in: "dog")
            try ctx.dropTable("cat")
            try ctx.dropTable("bird")
            try ctx.dropAttribute("colour", from: "dog", removeFromRecords: true)
        }
        try source.engine.createDatabase("gone")
        try source.engine.dropDatabase("gone")
        try await Self.tick()
        // Written here after the drops (before the copy): kept, as for a drop received from the stream.
        try await Self.insert(held, "bird", [7])

        #expect(try Self.copy(from: source.engine, to: target.engine, limit: 2) == 7)
        #expect(held.table("cat") == nil, "dropped on the peer before this node's copy")
        #expect(try Self.ids(held, "dog") == [], "created before the cutoff: deleted by the peer's operation")
        #expect(!Self.attributeNames(held, "dog").contains("colour"))
        #expect(try Self.ids(held, "bird") == [7], "a record written here after the drop stays")
        #expect(target.engine.database("gone") == nil)
        // The markers came with their times: they expire here when they do on the peer.
        let sent = try peer.markerBatch(after: nil, limit: 100).entries.compactMap { $0.marker }
        let kept = try held.markerBatch(after: nil, limit: 100).entries.compactMap { $0.marker }
        #expect(sent.count == 4 && Set(sent.map(\.table)) == ["dog", "cat", "bird"])
        for marker in sent { #expect(kept.contains(marker), "\(marker)") }
        #expect(target.engine.databaseDroppedAt("gone") == source.engine.databaseDroppedAt("gone"))

        // A third node's copy of dev.dog, made before it learnt of the operation, brings nothing it covers.
        var logger = Logger(label: "schema-copy-test")
        logger.logLevel = .critical
        _ = try TableCopy(peer: "gamma", database: "dev", table: "dog", since: nil, localNode: "beta", storage: target.engine,
                          logger: logger) { bytes in
            RecordCodec.encode(TableCopy.answer(try RecordCodec.decode(bytes), storage: third.engine) { _, _ in 3 })
        }.run()
        #expect(try Self.ids(held, "dog") == [])
        // The peer's own table copy then brings the records the operation spared.
        _ = try TableCopy(peer: "alpha", database: "dev", table: "dog", since: nil, localNode: "beta", storage: target.engine,
                          logger: logger) { bytes in
            RecordCodec.encode(TableCopy.answer(try RecordCodec.decode(bytes), storage: source.engine) { _, _ in 3 })
        }.run()
        #expect(try Self.ids(held, "dog") == [1, 2, 3])

        // Copying again changes nothing more: a drop applied here already is not applied
        // again, so an (empty) table created here since the first copy stays.
        _ = try held.writeSync { ctx in try ctx.createTable("cat", primaryKey: "id") }
        #expect(try Self.copy(from: source.engine, to: target.engine) == 7)
        #expect(try Self.ids(held, "dog") == [1, 2, 3])
        #expect(try Self.ids(held, "bird") == [7])
        #expect(held.table("cat") != nil)
        #expect(target.engine.database("gone") == nil)
    }
}
