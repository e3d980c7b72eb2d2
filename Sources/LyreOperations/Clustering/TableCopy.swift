package import Foundation
package import Logging
package import LyreCore
package import LyreStorage

/// A full copy of one table from a peer, for a node that lacks part of the table's history
/// (a new subscription, or a stream purged or aged out past its position).
///
/// The peer fixes the copy's point first (`ClusterNode.answerCopy`): it makes sure the
/// table's changes are kept and published from then on, then notes its stream's last
/// sequence `S`; every message up to `S` was committed before. It then sends the table in
/// batches (records in primary-key order, then tombstones), each read in its own short read
/// transaction: writes go on everywhere meanwhile, and a batch is at least as new as `S`.
/// Applied here by last-writer-wins, and followed by the stream's messages after `S`
/// (which hold every change committed after the point), the copy converges to the peer's
/// table exactly as a snapshot at `S` would; a record that changed during the copy is met
/// again in the stream, and applying it twice changes nothing. With a subscription's
/// `start_time`, only records written and deleted since then are copied.
///
/// The position `S` is written with the last batch, so a copy cut short (either node
/// stopped) starts again from the beginning.
///
/// Requests and replies are `RecordCodec` objects; `request` sends one to the peer (over
/// NATS, `<peer>.__copy__`) and `answer(_:storage:point:)` is the peer's side, so both ends
/// can be tested together without NATS.
package struct TableCopy {
    let peer: String
    let table: TableKey
    let since: Date?
    let request: @Sendable ([UInt8]) throws -> [UInt8]
    let localNode: String
    let storage: StorageEngine
    let logger: Logger
    let isStopped: @Sendable () -> Bool

    package init(peer: String, database: String, table: String, since: Date?, localNode: String, storage: StorageEngine,
                 logger: Logger, isStopped: @escaping @Sendable () -> Bool = { false },
                 request: @escaping @Sendable ([UInt8]) throws -> [UInt8]) {
        self.peer = peer
        self.table = TableKey(database: database, table: table)
        self.since = since
        self.request = request
        self.localNode = localNode
        self.storage = storage
        self.logger = logger
        self.isStopped = isStopped
    }

    /// A copy request's or reply's key: nil when missing or JSON null. (Not
    /// `flatMap { $0.isNull ? nil : $0 }`: `Value` is `ExpressibleByNilLiteral`, so that `nil`
    /// is `Value.null` again, and a finished part read as "go on after null", from the start.)
    static func key(_ value: Value?) -> Value? {
        guard let value, !value.isNull else { return nil }
        return value
    }

    /// Records (and about as many bytes) a batch holds at most: the reply stays well under
    /// NATS's default 1 MB message limit.
    package static let batchRecords = 1000
    static let batchBytes = 256 * 1024
    static let requestTimeout: Duration = .seconds(10)

    /// Copies the table. - Returns: the copy's point `S` (the stream sequence to consume
    /// after), or nil when stopped first.
    /// - Throws: the peer unreachable or failing, storage failures.
    package func run() throws -> UInt64? {
        let started = Date()
        var point: UInt64 = 0
        var copyTime = 0.0
        var definition: JSONObject?
        var part = "records"
        var after: Value?
        var copied = 0
        var deleted = 0
        var first = true
        while true {
            if isStopped() { return nil }
            var request = JSONObject()
            request["node_name"] = .string(localNode)
            request["database"] = .string(table.database)
            request["table"] = .string(table.table)
            request["part"] = .string(part)
            request["after"] = after ?? .null
            request["since"] = since.map { .double($0.timeIntervalSince1970 * 1000) } ?? .null
            let reply = try RecordCodec.decode(self.request(RecordCodec.encode(request)))
            guard reply["status"]?.stringValue == "success" else {
                throw LyreError(.internalError, status: 500, "copy of \(table.database).\(table.table) from \(peer): \(reply["message"]?.stringValue ?? "failed")")
            }
            if first {
                point = UInt64(max(0, reply["sequence"]?.intValue ?? 0))
                copyTime = reply["time"]?.doubleValue ?? 0
                definition = reply["definition"]?.objectValue
                first = false
            }
            let records = (reply["records"]?.arrayValue ?? []).compactMap(\.objectValue)
            let tombstones = (reply["tombstones"]?.arrayValue ?? []).compactMap { value -> (Value, Double)? in
                guard let pair = value.arrayValue, pair.count == 2, let time = pair[1].doubleValue else { return nil }
                return (pair[0], time)
            }
            let next = Self.key(reply["next"])
            // Each batch must move on: a peer answering the same place again would loop forever.
            if let next, next == after {
                throw LyreError(.internalError, status: 500, "copy of \(table.database).\(table.table) from \(peer): no progress after \(next)")
            }
            let done = next == nil && part == "tombstones"
            try apply(records: records, tombstones: tombstones, definition: definition, copyTime: copyTime,
                      position: done ? point : nil)
            copied += records.count
            deleted += tombstones.count
            if let next {
                after = next
            } else if part == "records" {
                part = "tombstones"
                after = nil
            } else {
                break
            }
        }
        let seconds = (Date().timeIntervalSince(started) * 10).rounded() / 10
        logger.notice("clustering: copied \(table.database).\(table.table) from \(peer): \(copied) records, \(deleted) tombstones in \(seconds) s, then its changes after sequence \(point)")
        return point
    }

    /// Applies one batch (creating the table from the peer's definition when missing) in one
    /// transaction, with the copy's position on the last.
    private func apply(records: [JSONObject], tombstones: [(Value, Double)], definition: JSONObject?, copyTime: Double,
                       position: UInt64?) throws {
        let newest = max(records.compactMap { $0[TableDefinition.updatedTime]?.doubleValue }.max() ?? copyTime,
                         tombstones.map(\.1).max() ?? copyTime)
        let found: (Database, droppedAt: Double?)?
        if definition == nil && records.isEmpty && tombstones.isEmpty {
            // The peer has no such table: nothing to create; the position goes where the database is.
            found = storage.database(table.database).map { ($0, storage.databaseDroppedAt(table.database)) }
        } else {
            found = try storage.databaseForReplication(table.database, changedAt: newest)
        }
        guard let found else { return }
        let (db, droppedAt) = found
        let (peer, localNode, tableName) = (self.peer, self.localNode, self.table.table)
        let primaryKey = definition?["primary_key"]?.stringValue ?? "id"
        try db.writeSync { ctx in
            if ctx.catalog.tables[tableName] == nil, let definition {
                _ = try ctx.applyRemote(CommittedChange(table: tableName, kind: .schema(.createTable(definition))), timestamp: copyTime,
                                        origin: peer, localNode: localNode, databaseDroppedAt: droppedAt)
            }
            if !records.isEmpty {
                _ = try ctx.applyRemote(CommittedChange(table: tableName, kind: .put(records)), timestamp: copyTime, origin: peer,
                                        localNode: localNode, primaryKey: primaryKey, databaseDroppedAt: droppedAt)
            }
            for (id, time) in tombstones {
                _ = try ctx.applyRemote(CommittedChange(table: tableName, kind: .delete([id])), timestamp: time, origin: peer,
                                        localNode: localNode, databaseDroppedAt: droppedAt)
            }
            if let position { try ctx.setReplicationPosition(position, peer: peer, table: tableName, reset: true) }
        }
    }

    /// The peer's side: answers one copy request from `storage`. The first request of a copy
    /// (records, from the start) gets the copy's point from `point` (which makes sure the
    /// table's later changes are kept and published, then returns its stream's last
    /// sequence), the time, and the table's definition; each request gets one batch of
    /// records or tombstones and the key to ask after next (null: that part is done).
    package static func answer(_ request: JSONObject, storage: StorageEngine,
                               point: (_ database: String, _ table: String) throws -> UInt64) -> JSONObject {
        var reply = JSONObject()
        do {
            guard let database = request["database"]?.stringValue, let table = request["table"]?.stringValue else {
                throw LyreError.badRequest("bad copy request")
            }
            let part = request["part"]?.stringValue ?? "records"
            let after = key(request["after"])
            let since = request["since"]?.doubleValue
            let db = storage.database(database)
            if part == "records", after == nil {
                reply["sequence"] = .int(Int64(clamping: try point(database, table)))
                reply["time"] = .double(Date().timeIntervalSince1970 * 1000)
                reply["definition"] = db?.table(table).map { .object($0.replicationDefinition) } ?? .null
            }
            var batch = CopyBatch()
            if let db, db.table(table) != nil {
                batch = part == "records"
                    ? try db.copyBatch(table: table, after: after, since: since, limit: batchRecords, maxBytes: batchBytes)
                    : try db.tombstoneBatch(table: table, after: after, since: since, limit: batchRecords)
            }
            reply["records"] = .array(batch.records.map(Value.object))
            reply["tombstones"] = .array(batch.tombstones.map { .array([$0.id, .double($0.time)]) })
            reply["next"] = batch.next ?? .null
            reply["status"] = .string("success")
        } catch {
            reply["status"] = .string("error")
            reply["message"] = .string((error as? LyreError)?.message ?? "\(error)")
        }
        return reply
    }
}
