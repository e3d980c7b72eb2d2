import Foundation
package import Logging
package import LyreCore
package import LyreStorage

/// A copy of a peer's schema, for a node that lacks part of the history of the peer's schema
/// stream: it never consumed it, or the stream no longer holds what follows its position
/// (age or message limits, a recreated stream). Without it a node joining later would learn
/// a database's other tables only from the schema changes the stream still holds, and never
/// the drops and `delete_records_before` operations the stream no longer holds.
///
/// Like `TableCopy`: the peer first notes its schema stream's last sequence `S` (every
/// message up to `S` was committed before), then sends its schema as schema changes, in
/// batches (`answer`), each read on its own: first its database drop markers, then for each
/// database (by name) its creation, its markers (table and attribute drops,
/// `delete_records_before`: `ReplicatedMarker`) and its tables' definitions, each as the
/// change that made it at its own time. The copy is at least as new as `S`, and the
/// stream's messages after `S` hold every schema change made since, so applying the copy
/// and then the stream after `S` converges. Each change is applied as the same change
/// received from the stream would be (`SchemaChanges.apply`): a creation older than a drop
/// here is ignored, a drop removes what is older than it (a record written here after it
/// stays), a `delete_records_before` deletes what it covers here and keeps out what arrives
/// under it later. Markers keep their time, so they expire here when they do on the peer.
/// Only what this node takes is applied (`takes`: it has the database or subscribes to one
/// of its tables; a database it takes comes with all of its tables).
///
/// A table's definition larger than a batch is split: its attributes in pieces, continued
/// in the next batch. A database this node begins to take after the copy (a new
/// subscription to one of its tables) gets a copy of its part alone (`database`).
///
/// Requests and replies are `RecordCodec` objects over `<peer>.__copy__` with
/// `part: "schema"`; each reply's `next` is where to go on (JSON null: done), and a batch
/// that does not move past the previous one is an error rather than a loop. Session 10's
/// one-reply form (`databases`, no `next`) is read from a peer running it, and answered to a
/// node running it (its requests have no `after`).
package struct SchemaCopy {
    /// The position key of the schema stream among a peer's replication positions (kept in
    /// the `system` database; no table has an empty name).
    package static let positionTable = ""

    /// Changes (and about as many bytes) a reply holds at most: well under NATS's default
    /// 1 MB message limit (a single definition larger than that still goes, alone).
    package static let batchChanges = 500
    package static let batchBytes = 256 * 1024

    let peer: String
    let localNode: String
    let storage: StorageEngine
    let logger: Logger
    let takes: @Sendable (_ database: String, _ table: String) -> Bool
    let isStopped: @Sendable () -> Bool
    let request: @Sendable ([UInt8]) throws -> [UInt8]
    /// Only this database's part (its drop marker, creation, markers and tables), for a
    /// database this node begins to take after its copy of the whole schema; nil: everything.
    let database: String?

    /// - Parameter database: copy that database's part only (the schema stream's position is
    ///   left alone then); nil: the whole schema, then the position.
    package init(peer: String, localNode: String, storage: StorageEngine, logger: Logger, database: String? = nil,
                 takes: @escaping @Sendable (_ database: String, _ table: String) -> Bool,
                 isStopped: @escaping @Sendable () -> Bool = { false },
                 request: @escaping @Sendable ([UInt8]) throws -> [UInt8]) {
        self.peer = peer
        self.localNode = localNode
        self.storage = storage
        self.logger = logger
        self.database = database
        self.takes = takes
        self.isStopped = isStopped
        self.request = request
    }

    /// Copies the schema (or one database's part) and, for the whole schema, keeps the point
    /// as the schema stream's position. Every database taken is noted as copied from this
    /// peer (`Database.noteSchemaCopied`), so one this node begins to take later is known to
    /// lack its part.
    /// - Returns: the copy's point `S` (the stream sequence to consume after), nil when
    ///   stopped first.
    /// - Throws: the peer unreachable or failing, a batch that does not move on, a reply in
    ///   no known form, storage failures.
    package func run() throws -> UInt64? {
        var point: UInt64 = 0
        var after: Value?
        var first = true
        var (received, applied, batches) = (0, 0, 0)
        let (takes, scope) = (self.takes, self.database)
        var taken: Set<String> = []
        // A database this node takes comes with all of its tables (the node has it then).
        let takesDatabase: (String, String) -> Bool = { database, _ in
            guard scope == nil || database == scope, takes(database, "") else { return false }
            taken.insert(database)
            return true
        }
        while true {
            if isStopped() { return nil }
            var request = JSONObject()
            request["node_name"] = .string(localNode)
            request["part"] = .string("schema")
            request["after"] = after ?? .null
            if let scope { request["database"] = .string(scope) }
            let reply = try RecordCodec.decode(self.request(RecordCodec.encode(request)))
            guard reply["status"]?.stringValue == "success" else {
                throw LyreError(.internalError, status: 500, "schema copy from \(peer): \(reply["message"]?.stringValue ?? "failed")")
            }
            if first {
                point = UInt64(max(0, reply["sequence"]?.intValue ?? 0))
            }
            let changes: [SchemaChanges.Entry]
            var next: Value?
            if let paged = reply["changes"]?.arrayValue {
                next = TableCopy.key(reply["next"])
                if let next, next == after {
                    throw LyreError(.internalError, status: 500, "schema copy from \(peer): no progress after \(next)")
                }
                changes = paged.compactMap { SchemaChanges.Entry($0, origin: peer) }
            } else if first, let databases = reply["databases"]?.arrayValue {
                // A peer running an older Lyre: the whole catalog in one reply, without markers.
                logger.warning("clustering: \(peer) answers schema copies in the one-reply form of an older Lyre: its tables are copied, its drop and delete_records_before markers cannot be")
                changes = Self.changes(ofOneReply: databases, origin: peer)
            } else {
                throw LyreError(.internalError, status: 500, "schema copy from \(peer): a reply in no known form (neither 'changes' nor 'databases')")
            }
            first = false
            received += changes.count
            batches += 1
            applied += try SchemaChanges.apply(changes, grouped: true, storage: storage, localNode: localNode, takes: takesDatabase)
            guard let next else { break }
            after = next
        }
        for name in taken.sorted() { try storage.database(name)?.noteSchemaCopied(from: peer) }
        let what = scope.map { "the schema of database \($0) of \(peer)" } ?? "the schema of \(peer)"
        if scope == nil {
            let (position, origin) = (point, self.peer)
            try storage.database(StorageEngine.systemDatabase)?.writeSync { ctx in
                try ctx.setReplicationPosition(position, peer: origin, table: Self.positionTable, reset: true)
            }
        }
        logger.notice("clustering: copied \(what) (\(received) changes in \(batches) batches, \(applied) applied here)\(scope == nil ? ", then its changes after sequence \(point)" : "")")
        return point
    }

    /// The changes of an older Lyre's one-reply schema copy (`databases`: each a `name` and
    /// its `tables`' definitions with `created_time`): each database created at its newest
    /// table's creation, then its tables at theirs, as that version applied them.
    static func changes(ofOneReply databases: [Value], origin: String) -> [SchemaChanges.Entry] {
        var out: [SchemaChanges.Entry] = []
        for entry in databases {
            guard let database = entry["name"]?.stringValue else { continue }
            let definitions = (entry["tables"]?.arrayValue ?? []).compactMap(\.objectValue)
            let created = definitions.compactMap { $0["created_time"]?.doubleValue }.max() ?? 0
            out.append(SchemaChanges.Entry(database: database, table: "", change: .createDatabase(database), time: created, origin: origin))
            for definition in definitions {
                guard let name = definition["name"]?.stringValue else { continue }
                out.append(SchemaChanges.Entry(database: database, table: name, change: .createTable(definition),
                                               time: definition["created_time"]?.doubleValue ?? 0, origin: origin))
            }
        }
        return out
    }

    /// Where a schema copy is: the database (empty: the `system` database's database drop
    /// markers, first), the part of it (0: its creation, 1: its markers, 2: its tables), and
    /// the last marker key (hex) or table name sent.
    /// `attribute`: within a table whose definition is split (`answer`), the index of the first
    /// attribute not sent yet, and `lastAttribute` the name of the one sent before it (0 and
    /// empty: the table is done; then the array has three elements, else five).
    struct Position: Equatable {
        var database: String
        var part: Int
        var name: String
        var attribute = 0
        var lastAttribute = ""

        var value: Value {
            var array: [Value] = [.string(database), .int(Int64(part)), .string(name)]
            if attribute > 0 { array += [.int(Int64(attribute)), .string(lastAttribute)] }
            return .array(array)
        }

        init(database: String, part: Int, name: String, attribute: Int = 0, lastAttribute: String = "") {
            self.database = database
            self.part = part
            self.name = name
            self.attribute = attribute
            self.lastAttribute = lastAttribute
        }

        init?(_ value: Value?) {
            guard let array = TableCopy.key(value)?.arrayValue, array.count == 3 || array.count == 5,
                  let database = array[0].stringValue, let part = array[1].intValue, let name = array[2].stringValue else { return nil }
            self.database = database
            self.part = Int(part)
            self.name = name
            if array.count == 5 {
                guard let attribute = array[3].intValue, attribute > 0, attribute < Int64(Int32.max),
                      let last = array[4].stringValue else { return nil }
                self.attribute = Int(attribute)
                lastAttribute = last
            }
        }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out += [digits[Int(b >> 4)], digits[Int(b & 15)]] }
        return String(decoding: out, as: UTF8.self)
    }

    static func unhex(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count.isMultiple(of: 2) else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            default: nil
            }
        }
        var out: [UInt8] = []
        for i in stride(from: 0, to: chars.count, by: 2) {
            guard let high = nibble(chars[i]), let low = nibble(chars[i + 1]) else { return nil }
            out.append(high << 4 | low)
        }
        return out
    }

    /// The peer's side: answers one request of a schema copy. The first (no `after`) gets the
    /// copy's point from `point` (which makes sure earlier schema changes are committed and
    /// returns the schema stream's last sequence); each gets the next batch of at most `limit`
    /// changes (and about `maxBytes` encoded) and where to go on (`next`, null when done).
    /// - Parameters: `limit`, `maxBytes`: the batch bounds (smaller ones for tests).
    package static func answer(_ request: JSONObject, storage: StorageEngine, limit: Int = batchChanges,
                               maxBytes: Int = batchBytes, point: () throws -> UInt64) -> JSONObject {
        // A node running session 10's Lyre asks without `after` and reads the one-reply form.
        if request["after"] == nil { return answerInOneReply(storage: storage, point: point) }
        var reply = JSONObject()
        do {
            let after: Position?
            if let value = TableCopy.key(request["after"]) {
                guard let position = Position(value) else { throw LyreError.badRequest("bad schema copy request") }
                after = position
            } else {
                after = nil
                reply["sequence"] = .int(Int64(clamping: try point()))
            }
            var changes: [Value] = []
            var bytes = 0
            var last: Position?
            var full: Bool { changes.count >= max(1, limit) || bytes >= maxBytes }
            func add(_ position: Position, _ table: String, _ change: SchemaChange, at time: Double) {
                let entry = JSONObject([
                    ("database", .string(position.database)), ("table", .string(table)), ("time", .double(time)),
                    ("schema", .object(change.value)),
                ])
                bytes += RecordCodec.encode(entry).count
                changes.append(.object(entry))
                last = position
            }
            /// A table's definition from attribute `from` on: whole when it fits `maxBytes`, else
            /// in pieces of about `maxBytes` (at least one attribute each), each a `create_table`
            /// of some of the attributes, those after the first marked `continued` (so a
            /// schema-defined table takes them too); pieces go on while the batch has room,
            /// and the next batch resumes after the attribute sent last, found by name
            /// (attributes dropped on the peer meanwhile move the index), else at its index.
            /// Why: a table of tens of thousands of attributes is more than one NATS message.
            func addTable(_ table: TableDefinition, database: String, from: Position?) {
                let definition = table.replicationDefinition
                let attributes = definition["attributes"]?.arrayValue ?? []
                guard let from else {
                    if RecordCodec.encode(definition).count <= maxBytes {
                        add(Position(database: database, part: 2, name: table.name), table.name, .createTable(definition),
                            at: table.createdTime)
                        return
                    }
                    return addPieces(of: table, definition, attributes, database: database, from: 0)
                }
                let sent = attributes.firstIndex { $0["name"]?.stringValue == from.lastAttribute }
                addPieces(of: table, definition, attributes, database: database, from: sent.map { $0 + 1 } ?? from.attribute)
            }
            func addPieces(of table: TableDefinition, _ definition: JSONObject, _ attributes: [Value], database: String, from: Int) {
                var start = min(from, attributes.count)
                repeat {
                    var end = start
                    var size = 0
                    while end < attributes.count {
                        let next = RecordCodec.encode(JSONObject([("a", attributes[end])])).count
                        if end > start, size + next > maxBytes { break }
                        size += next
                        end += 1
                    }
                    var piece = definition
                    piece["attributes"] = .array(Array(attributes[start..<end]))
                    if start > 0 { piece["continued"] = .bool(true) }
                    let done = end >= attributes.count
                    let position = done ? Position(database: database, part: 2, name: table.name)
                        : Position(database: database, part: 2, name: table.name, attribute: end,
                                   lastAttribute: attributes[end - 1]["name"]?.stringValue ?? "")
                    add(position, table.name, .createTable(piece), at: table.createdTime)
                    start = end
                    if done { return }
                } while !full
            }
            /// Whether `position` comes after where the previous batch ended.
            func isAhead(_ database: String, _ part: Int, _ name: String? = nil) -> Bool {
                guard let after else { return true }
                if database != after.database { return database > after.database }
                if part != after.part { return part > after.part }
                guard let name else { return false }
                return name > after.name
            }
            // Only that database's part (a database the requesting node begins to take).
            let scope = request["database"]?.stringValue
            func markers(of db: Database, database: String) throws {
                var start = after.flatMap { $0.database == database && $0.part == 1 ? unhex($0.name) : nil }
                while !full {
                    let batch = try db.markerBatch(after: start, limit: max(1, limit) - changes.count)
                    for (key, marker) in batch.entries {
                        let position = Position(database: database, part: 1, name: hex(key))
                        if let marker, scope == nil || marker.change.databaseName.map({ $0 == scope }) ?? true {
                            add(position, marker.table, marker.change, at: marker.time)
                        } else {
                            last = position
                        }
                    }
                    if batch.done { return }
                    start = batch.entries.last?.key
                }
            }
            var databases = [""] + storage.databaseNames.filter { $0 != StorageEngine.systemDatabase && (scope == nil || $0 == scope) }
            if let after { databases.removeAll { $0 < after.database } }
            scan: for database in databases {
                if database.isEmpty {
                    // The database drop markers (in the `system` database).
                    if let system = storage.database(StorageEngine.systemDatabase) { try markers(of: system, database: "") }
                    if full { break scan }
                    continue
                }
                guard let db = storage.database(database) else { continue }
                let catalog = db.catalog
                let tables = catalog.tableNames.compactMap { catalog.tables[$0] }
                if isAhead(database, 0, "") {
                    // At its creation (a file without it: its newest table's; 0 without tables).
                    add(Position(database: database, part: 0, name: ""), "", .createDatabase(database),
                        at: catalog.replicationCreatedTime)
                }
                if full { break scan }
                if isAhead(database, 1) || (after?.database == database && after?.part == 1) {
                    try markers(of: db, database: database)
                }
                if full { break scan }
                for table in tables {
                    var from: Position?
                    if let after, after.database == database, after.part == 2, after.name == table.name, after.attribute > 0 {
                        from = after  // a split definition, continued
                    } else if !isAhead(database, 2, table.name) {
                        continue
                    }
                    addTable(table, database: database, from: from)
                    if full { break scan }
                }
            }
            reply["changes"] = .array(changes)
            reply["next"] = full ? (last?.value ?? .null) : .null
            reply["status"] = .string("success")
        } catch {
            reply["status"] = .string("error")
            reply["message"] = .string((error as? LyreError)?.message ?? "\(error)")
        }
        return reply
    }
}

extension SchemaCopy {
    /// The one-reply form session 10's Lyre asks for (its request has no `after`) and reads:
    /// the stream's last sequence and every database with its tables' definitions, no
    /// markers (that version cannot apply them), bounded by NATS's message limit as it was.
    static func answerInOneReply(storage: StorageEngine, point: () throws -> UInt64) -> JSONObject {
        var reply = JSONObject()
        do {
            reply["sequence"] = .int(Int64(clamping: try point()))
            reply["databases"] = .array(storage.databaseNames.compactMap { name -> Value? in
                guard name != StorageEngine.systemDatabase, let db = storage.database(name) else { return nil }
                let catalog = db.catalog
                return .object(JSONObject([
                    ("name", .string(name)),
                    ("tables", .array(catalog.tableNames.compactMap { catalog.tables[$0].map { .object($0.replicationDefinition) } })),
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

/// Applying schema changes received from a peer (its schema stream, or a schema copy), one
/// rule for both.
package enum SchemaChanges {
    /// One schema change of a peer: of a database (`table` empty) or of one of its tables.
    package struct Entry: Sendable {
        package var database: String
        package var table: String
        package var change: SchemaChange
        package var time: Double
        package var origin: String

        package init(database: String, table: String, change: SchemaChange, time: Double, origin: String) {
            self.database = database
            self.table = table
            self.change = change
            self.time = time
            self.origin = origin
        }

        /// From a schema copy's reply.
        init?(_ value: Value, origin: String) {
            guard let database = value["database"]?.stringValue, let table = value["table"]?.stringValue,
                  let time = value["time"]?.doubleValue, let schema = value["schema"]?.objectValue,
                  let change = SchemaChange(schema) else { return nil }
            self.init(database: database, table: table, change: change, time: time, origin: origin)
        }
    }

    /// Applies `entries` in order, those `takes` accepts (asked when each is reached, so a
    /// database created by an earlier entry counts): a database's change through the engine
    /// (`StorageEngine.applyRemoteDatabaseChange`), a table's by last-writer-wins
    /// (`WriteContext.applyRemote`). `grouped`: consecutive changes of one database's tables
    /// of one kind (creations, or drops and markers) in one transaction (a copy's thousands
    /// of tables are not thousands of commits); else one transaction each.
    /// - Returns: how many changed something here.
    @discardableResult
    package static func apply(_ entries: [Entry], grouped: Bool, storage: StorageEngine, localNode: String,
                              takes: (_ database: String, _ table: String) -> Bool) throws -> Int {
        var applied = 0
        var index = 0
        func isCreation(_ entry: Entry) -> Bool {
            if case .createTable = entry.change { return true }
            return false
        }
        while index < entries.count {
            let entry = entries[index]
            if let name = entry.change.databaseName {
                index += 1
                guard name != StorageEngine.systemDatabase, takes(name, "") else { continue }
                try storage.applyRemoteDatabaseChange(entry.change, at: entry.time)
                applied += 1
                continue
            }
            var end = index + 1
            if grouped {
                while end < entries.count, entries[end].database == entry.database, entries[end].change.databaseName == nil,
                      isCreation(entries[end]) == isCreation(entry) { end += 1 }
            }
            let group = entries[index..<end]
            index = end
            guard entry.database != StorageEngine.systemDatabase, takes(entry.database, entry.table) else { continue }
            guard let found = try storage.databaseForReplication(entry.database, changedAt: group.map(\.time).max() ?? 0) else { continue }
            let (db, droppedAt) = found
            applied += try db.writeSync { ctx in
                var count = 0
                for change in group {
                    count += try ctx.applyRemote(CommittedChange(table: change.table, kind: .schema(change.change)), timestamp: change.time,
                                                 origin: change.origin, localNode: localNode, databaseDroppedAt: droppedAt).applied
                }
                return count
            }
        }
        return applied
    }
}
