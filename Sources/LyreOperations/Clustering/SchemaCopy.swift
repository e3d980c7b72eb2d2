import Foundation
package import Logging
package import LyreCore
package import LyreStorage

/// A copy of a peer's schema, for a node that lacks part of the history of the peer's schema
/// stream: it never consumed it, or the stream no longer holds what follows its position
/// (age or message limits, a recreated stream). Without it a node joining later would learn
/// a database's other tables only from the schema changes the stream still holds.
///
/// Like `TableCopy`: the peer first notes its schema stream's last sequence `S` (every
/// message up to `S` was committed before), then reads its catalog; the catalog is at least
/// as new as `S`, and the stream's messages after `S` hold every schema change made since, so
/// applying the catalog and then the stream after `S` converges. Applied by the schema's
/// last-writer-wins: each table is created at its own creation time, so a drop made here
/// after it (a newer drop marker) keeps it out, and a table that exists here gains the
/// attributes it lacks. Only what this node takes is applied (`takes`: it has the database or
/// subscribes to the table). One request, one reply (`RecordCodec`, over `<peer>.__copy__`
/// with `part: "schema"`).
package struct SchemaCopy {
    /// The position key of the schema stream among a peer's replication positions (kept in
    /// the `system` database; no table has an empty name).
    package static let positionTable = ""

    let peer: String
    let localNode: String
    let storage: StorageEngine
    let logger: Logger
    let takes: @Sendable (_ database: String, _ table: String) -> Bool
    let request: @Sendable ([UInt8]) throws -> [UInt8]

    package init(peer: String, localNode: String, storage: StorageEngine, logger: Logger,
                 takes: @escaping @Sendable (_ database: String, _ table: String) -> Bool,
                 request: @escaping @Sendable ([UInt8]) throws -> [UInt8]) {
        self.peer = peer
        self.localNode = localNode
        self.storage = storage
        self.logger = logger
        self.takes = takes
        self.request = request
    }

    /// Copies the schema and keeps the point as the schema stream's position.
    /// - Returns: the copy's point `S` (the stream sequence to consume after).
    /// - Throws: the peer unreachable or failing, storage failures.
    package func run() throws -> UInt64 {
        var request = JSONObject()
        request["node_name"] = .string(localNode)
        request["part"] = .string("schema")
        let reply = try RecordCodec.decode(self.request(RecordCodec.encode(request)))
        guard reply["status"]?.stringValue == "success" else {
            throw LyreError(.internalError, status: 500, "schema copy from \(peer): \(reply["message"]?.stringValue ?? "failed")")
        }
        let point = UInt64(max(0, reply["sequence"]?.intValue ?? 0))
        var tables = 0
        for entry in reply["databases"]?.arrayValue ?? [] {
            guard let database = entry["name"]?.stringValue, database != StorageEngine.systemDatabase else { continue }
            // A database this node takes (it has it, or subscribes to one of its tables) comes
            // with all of its tables: the node has the database then.
            guard takes(database, "") else { continue }
            let definitions = (entry["tables"]?.arrayValue ?? []).compactMap(\.objectValue)
            // The database at its newest table's creation (0 without tables: a drop here wins).
            let created = definitions.compactMap { $0["created_time"]?.doubleValue }.max() ?? 0
            guard let found = try storage.databaseForReplication(database, changedAt: created) else { continue }
            let (db, droppedAt) = found
            let (peer, localNode) = (self.peer, self.localNode)
            tables += try db.writeSync { ctx in
                var applied = 0
                for definition in definitions {
                    guard let name = definition["name"]?.stringValue else { continue }
                    applied += try ctx.applyRemote(CommittedChange(table: name, kind: .schema(.createTable(definition))),
                                                   timestamp: definition["created_time"]?.doubleValue ?? 0, origin: peer,
                                                   localNode: localNode, databaseDroppedAt: droppedAt).applied
                }
                return applied
            }
        }
        try storage.database(StorageEngine.systemDatabase)?.writeSync { ctx in
            try ctx.setReplicationPosition(point, peer: peer, table: Self.positionTable, reset: true)
        }
        logger.notice("clustering: copied the schema of \(peer) (\(tables) tables created or completed), then its changes after sequence \(point)")
        return point
    }

    /// The peer's side: `point` makes sure earlier schema changes are committed and returns
    /// the schema stream's last sequence; then every database with its tables' definitions.
    package static func answer(storage: StorageEngine, point: () throws -> UInt64) -> JSONObject {
        var reply = JSONObject()
        do {
            reply["sequence"] = .int(Int64(clamping: try point()))
            reply["databases"] = .array(storage.databaseNames.compactMap { name -> Value? in
                guard name != StorageEngine.systemDatabase, let db = storage.database(name) else { return nil }
                let catalog = db.catalog
                return .object(JSONObject([
                    ("name", .string(name)),
                    ("tables", .array(catalog.tableNames.compactMap { table in
                        catalog.tables[table].map { definition in Value.object(definition.replicationDefinition) }
                    })),
                ]))
            })
            reply["status"] = .string("success")
        } catch {
            reply["status"] = .string("error")
            reply["message"] = .string((error as? LyreError)?.message ?? "\(error)")
        }
        return reply
    }
}
