import Foundation
import Logging
import LyreCore
import LyreOperations
import LyreStorage
import LyreTestSupport
import Synchronization
import Testing

/// A schema copy's corners (`SchemaCopy`, both ends without NATS): one database's part for a
/// database this node begins to take after its copy of the whole schema, a database's own
/// creation time against a drop, and a peer answering in an older Lyre's one-reply form.
@Suite struct SchemaCopyCornerTests {
    typealias T = SchemaCopyTests

    static var logger: Logger {
        var logger = Logger(label: "schema-copy-test")
        logger.logLevel = .critical
        return logger
    }

    /// Copies `source`'s schema (or `database`'s part of it) to `target`, the peer's point being `point`.
    @discardableResult
    static func copy(from source: StorageEngine, to target: StorageEngine, database: String? = nil, point: UInt64 = 7,
                     maxBytes: Int = SchemaCopy.batchBytes, replies: T.Replies = T.Replies(),
                     takes: @escaping @Sendable (String, String) -> Bool = { _, _ in true }) throws -> UInt64? {
        try SchemaCopy(peer: "alpha", localNode: "beta", storage: target, logger: logger, database: database, takes: takes) { bytes in
            let reply = RecordCodec.encode(SchemaCopy.answer(try RecordCodec.decode(bytes), storage: source, limit: 2,
                                                             maxBytes: maxBytes) { point })
            replies.sizes.withLock { $0.append(reply.count) }
            return reply
        }.run()
    }

    static func position(_ storage: StorageEngine) throws -> UInt64? {
        try storage.database(StorageEngine.systemDatabase)?.replicationPosition(peer: "alpha", table: SchemaCopy.positionTable)
    }

    @Test func aDatabaseTheWholeCopySkippedComesLaterWithItsTablesAndMarkersInACopyOfItsPart() async throws {
        let source = try T.storage()
        let target = try T.storage()
        for storage in [source, target] { T.observe(storage) }
        _ = try source.dogTable()
        // zoo: dropped once, re-created with tables, a dropped table and a delete_records_before marker.
        try source.engine.createDatabase("zoo")
        try source.engine.dropDatabase("zoo")
        try await T.tick()
        let zoo = try source.engine.createDatabase("zoo")
        _ = try zoo.writeSync { ctx in
            for table in ["cat", "bird", "fish"] { _ = try ctx.createTable(table, primaryKey: "id") }
        }
        _ = try await zoo.write { ctx in
            try ctx.noteDeleteRecordsBefore(1_000, in: "cat")
            try ctx.dropTable("fish")
        }
        try source.engine.createDatabase("gone")
        try source.engine.dropDatabase("gone")

        // This node takes dev only: zoo is skipped by the copy of the whole schema.
        #expect(try Self.copy(from: source.engine, to: target.engine) { database, _ in database == "dev" } == 7)
        #expect(target.engine.database("zoo") == nil)
        #expect(try target.engine.database("dev")?.isSchemaCopied(from: "alpha") == true, "noted as copied")

        // The peer's side sends zoo's part only: its drop, creation, markers and tables.
        let part = SchemaCopy.answer(JSONObject([("part", "schema"), ("after", .null), ("database", "zoo")]),
                                     storage: source.engine, limit: .max) { 9 }
        let sent = (part["changes"]?.arrayValue ?? []).map { "\($0["schema"]?["op"]?.stringValue ?? "?") \($0["table"]?.stringValue ?? "")" }
        #expect(sent == ["drop_database ", "create_database ", "delete_records_before cat", "drop_table fish",
                         "create_table bird", "create_table cat"])

        // Then this node subscribes to a zoo table: a copy of zoo's part, the position left alone.
        #expect(try Self.copy(from: source.engine, to: target.engine, database: "zoo", point: 9) == 9)
        #expect(try Self.position(target.engine) == 7, "the schema stream's position is the whole copy's")
        let copied = try #require(target.engine.database("zoo"), "created after the drop that came first")
        #expect(copied.catalog.tableNames == ["bird", "cat"])
        let markers = try copied.markerBatch(after: nil, limit: 100).entries.compactMap(\.marker)
        #expect(markers.map(\.change) == [.deleteRecordsBefore(1_000), .dropTable])
        #expect(target.engine.databaseDroppedAt("zoo") == source.engine.databaseDroppedAt("zoo"))
        #expect(target.engine.database("gone") == nil && target.engine.databaseDroppedAt("gone") == nil, "another database's drop is not sent")
        #expect(try copied.isSchemaCopied(from: "alpha"))
    }

    @Test func anEmptyDatabaseReCreatedAfterADropIsKeptOnBothSidesAndOneDroppedAfterItsCreationOnNeither() async throws {
        // Drop on one side, then (later) an empty re-creation on the other: both keep it.
        do {
            let alpha = try T.storage()
            let beta = try T.storage()
            for storage in [alpha, beta] { T.observe(storage) }
            try alpha.engine.createDatabase("zoo")
            try alpha.engine.dropDatabase("zoo")
            try await T.tick()
            try beta.engine.createDatabase("zoo")
            try Self.copy(from: beta.engine, to: alpha.engine)
            try Self.copy(from: alpha.engine, to: beta.engine)
            #expect(alpha.engine.database("zoo") != nil, "created after the drop it saw")
            #expect(beta.engine.database("zoo") != nil, "the older drop leaves it")
        }
        // The reverse order: created first, dropped later elsewhere: neither keeps it.
        do {
            let alpha = try T.storage()
            let beta = try T.storage()
            for storage in [alpha, beta] { T.observe(storage) }
            try beta.engine.createDatabase("zoo")
            try await T.tick()
            try alpha.engine.createDatabase("zoo")
            try alpha.engine.dropDatabase("zoo")
            try Self.copy(from: beta.engine, to: alpha.engine)
            try Self.copy(from: alpha.engine, to: beta.engine)
            #expect(alpha.engine.database("zoo") == nil)
            #expect(beta.engine.database("zoo") == nil)
        }
    }

    @Test func aPeerAnsweringInTheOldOneReplyFormIsAppliedAsOneBatchNotReadAsAnEmptySchema() async throws {
        let source = try T.storage()
        let target = try T.storage()
        let dev = try source.dogTable()
        _ = try dev.writeSync { ctx in
            _ = try ctx.createTable("cat", primaryKey: "name")
            try ctx.addAttributes(["colour"], to: "cat")
        }
        // A node running session 10's Lyre asks without `after` and gets the one-reply form
        // that version reads (`git show 1ec1916:Sources/LyreOperations/Clustering/SchemaCopy.swift`);
        // a peer running it answers so too.
        let old = SchemaCopy.answer(JSONObject([("node_name", "beta"), ("part", "schema")]), storage: source.engine) { 5 }
        #expect(old["changes"] == nil && old["next"] == nil && old["sequence"] == 5)
        let sent = (old["databases"]?.arrayValue ?? []).map { ($0["name"]?.stringValue ?? "", ($0["tables"]?.arrayValue ?? []).count) }
        #expect(sent.map(\.0) == ["dev"] && sent.map(\.1) == [2])
        let requests = T.Replies()
        let point = try SchemaCopy(peer: "alpha", localNode: "beta", storage: target.engine, logger: Self.logger, takes: { _, _ in true }) { _ in
            requests.sizes.withLock { $0.append(0) }
            return RecordCodec.encode(old)
        }.run()
        #expect(point == 5)
        #expect(requests.sizes.withLock { $0.count } == 1, "one request: the old form has no 'next'")
        let copied = try #require(target.engine.database("dev"))
        #expect(copied.catalog.tableNames == ["cat", "dog"])
        #expect(copied.table("cat")?.primaryKey == "name")
        #expect(T.attributeNames(copied, "cat").contains("colour"))
        #expect(try Self.position(target.engine) == 5)

        // A reply in neither form is an error, never an empty schema: the position stays unset.
        let other = try T.storage()
        #expect(throws: LyreError.self) {
            try SchemaCopy(peer: "alpha", localNode: "beta", storage: other.engine, logger: Self.logger, takes: { _, _ in true }) { _ in
                RecordCodec.encode(JSONObject([("sequence", .int(5)), ("status", "success")]))
            }.run()
        }
        #expect(try Self.position(other.engine) == nil)
    }

    @Test func aTableDefinitionLargerThanABatchIsSplitAcrossBatchesAndContinued() async throws {
        let source = try T.storage()
        let wide = try source.engine.createDatabase("wide")
        let names = (0..<3_000).map { "an_attribute_with_a_long_name_\($0)" }
        _ = try wide.writeSync { ctx in
            _ = try ctx.createTable("dynamic", primaryKey: "id")
            try ctx.addAttributes(names, to: "dynamic")
            _ = try ctx.createTable("declared", primaryKey: "id", schemaDefined: true,
                                    declaredAttributes: [AttributeDefinition(name: "id", id: 0, type: "ID")]
                                        + names.prefix(1_000).enumerated().map { AttributeDefinition(name: $1, id: UInt16($0 + 1), type: "Int") })
            _ = try ctx.createTable("small", primaryKey: "id")
        }
        let bound = 16 * 1024
        #expect(RecordCodec.encode(try #require(wide.table("dynamic")).replicationDefinition).count > 8 * bound)

        // The peer's side: pieces of about the bound, those after the first continued.
        var pieces = 0
        var continued = 0
        var after: Value = .null
        for _ in 0..<1_000 {
            let reply = SchemaCopy.answer(JSONObject([("part", "schema"), ("after", after)]), storage: source.engine, maxBytes: bound) { 1 }
            #expect(reply["status"] == "success", "\(reply)")
            #expect(RecordCodec.encode(reply).count < 3 * bound)
            for change in reply["changes"]?.arrayValue ?? [] where change["schema"]?["op"] == "create_table" {
                pieces += 1
                if change["schema"]?["definition"]?["continued"] == true { continued += 1 }
            }
            guard let next = reply["next"], !next.isNull else { break }
            #expect(next != after)
            after = next
        }
        #expect(continued > 8 && pieces == continued + 3, "\(pieces) pieces, \(continued) continued")

        // Copied in such batches, the tables end as the peer's, the declared types kept.
        let target = try T.storage()
        let replies = T.Replies()
        try Self.copy(from: source.engine, to: target.engine, maxBytes: bound, replies: replies)
        #expect(replies.sizes.withLock { $0 }.allSatisfy { $0 < 3 * bound })
        let copied = try #require(target.engine.database("wide"))
        #expect(copied.catalog.tableNames == ["declared", "dynamic", "small"])
        for table in ["dynamic", "declared"] { #expect(T.attributeNames(copied, table) == T.attributeNames(wide, table), "\(table)") }
        let types = { (db: Database) in Dictionary(uniqueKeysWithValues: (db.table("declared")?.attributes ?? []).map { ($0.name, $0.type) }) }
        #expect(types(copied) == types(wide))
        #expect(copied.table("declared")?.primaryKey == "id")
        // A continued piece of a declared table that arrives alone adds nothing twice.
        try Self.copy(from: source.engine, to: target.engine, maxBytes: bound)
        #expect(copied.table("declared")?.attributes.count == 1_001)
    }

    @Test func aSplitDefinitionGoesOnAfterTheAttributeSentLastWhenEarlierOnesAreDroppedBetweenBatches() async throws {
        let source = try T.storage()
        let wide = try source.engine.createDatabase("wide")
        let names = (0..<400).map { "attribute_\($0)" }
        _ = try wide.writeSync { ctx in
            _ = try ctx.createTable("t", primaryKey: "id")
            try ctx.addAttributes(names, to: "t")
        }
        var received: [String] = []
        var after: Value = .null
        var pieces = 0
        for _ in 0..<1_000 {
            // One change a batch: the database's creation, then one piece each.
            let reply = SchemaCopy.answer(JSONObject([("part", "schema"), ("after", after)]), storage: source.engine, limit: 1,
                                          maxBytes: 2048) { 1 }
            for change in reply["changes"]?.arrayValue ?? [] {
                let attributes = change["schema"]?["definition"]?["attributes"]?.arrayValue ?? []
                received += attributes.compactMap { $0["name"]?.stringValue }
                if !attributes.isEmpty { pieces += 1 }
            }
            if pieces == 1 {
                // Attributes sent already are dropped on the peer before the next batch.
                _ = try wide.writeSync { ctx in
                    for name in names.prefix(20) { try ctx.dropAttribute(name, from: "t", removeFromRecords: true) }
                }
            }
            guard let next = reply["next"], !next.isNull else { break }
            after = next
        }
        #expect(pieces > 3)
        let remaining = try #require(wide.table("t")).attributes.map(\.name)
        #expect(Set(remaining).subtracting(received).isEmpty, "none skipped")
        #expect(received.count == Set(received).count, "none twice")
    }
}
