import Foundation
import LyreCore
import LyreStorage

/// One table's direction with one node: `publish` sends this node's changes of the table
/// to that node, `subscribe` receives that node's changes.
struct NodeSubscription: Sendable, Hashable {
    var database: String
    var table: String
    var publish: Bool
    var subscribe: Bool
    /// `start_time`: where a new subscription begins in the peer's history (ISO 8601 UTC).
    var startTime: String?

    var key: TableKey { TableKey(database: database, table: table) }

    /// The same subscription seen from the other node.
    var reversed: NodeSubscription {
        NodeSubscription(database: database, table: table, publish: subscribe, subscribe: publish, startTime: startTime)
    }

    var startDate: Date? {
        guard let startTime else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: startTime) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: startTime)
    }

    /// Harper's stored and reported shape: `{schema, table, publish, subscribe}`.
    var value: Value {
        var object = JSONObject()
        object["schema"] = .string(database)
        object["table"] = .string(table)
        object["publish"] = .bool(publish)
        object["subscribe"] = .bool(subscribe)
        if let startTime { object["start_time"] = .string(startTime) }
        return .object(object)
    }

    init(database: String, table: String, publish: Bool, subscribe: Bool, startTime: String? = nil) {
        self.database = database
        self.table = table
        self.publish = publish
        self.subscribe = subscribe
        self.startTime = startTime
    }

    /// From a request or a stored record (`schema` or `database`, default `data`).
    init?(_ value: Value) {
        guard let object = value.objectValue, let table = object["table"]?.stringValue else { return nil }
        database = (object["database"] ?? object["schema"])?.stringValue ?? "data"
        self.table = table
        publish = object["publish"]?.boolValue ?? false
        subscribe = object["subscribe"]?.boolValue ?? false
        startTime = object["start_time"]?.stringValue
    }
}

/// A node of `system.hdb_nodes`: its name and subscriptions.
struct NodeRecord: Sendable, Equatable {
    var name: String
    var subscriptions: [NodeSubscription]

    var record: JSONObject {
        var object = JSONObject()
        object["name"] = .string(name)
        object["subscriptions"] = .array(subscriptions.map(\.value))
        return object
    }

    init(name: String, subscriptions: [NodeSubscription]) {
        self.name = name
        self.subscriptions = subscriptions
    }

    init?(_ record: JSONObject) {
        guard let name = record["name"]?.stringValue else { return nil }
        self.name = name
        subscriptions = (record["subscriptions"]?.arrayValue ?? []).compactMap(NodeSubscription.init)
    }

    /// `update_node`'s patch: each given subscription replaces the one of its table, others stay.
    mutating func merge(_ changes: [NodeSubscription]) {
        for change in changes {
            if let i = subscriptions.firstIndex(where: { $0.key == change.key }) {
                subscriptions[i] = change
            } else {
                subscriptions.append(change)
            }
        }
    }

    static func all(in storage: StorageEngine) throws -> [NodeRecord] {
        guard let db = storage.database(StorageEngine.systemDatabase), let table = db.table(SystemDatabase.nodesTable) else { return [] }
        return try db.read(completeIndexes: false) { try $0.allRecords(in: table) }.compactMap(NodeRecord.init)
    }

    static func find(_ name: String, in storage: StorageEngine) throws -> NodeRecord? {
        guard let db = storage.database(StorageEngine.systemDatabase), let table = db.table(SystemDatabase.nodesTable) else { return nil }
        return try db.read(completeIndexes: false) { try $0.record(in: table, id: .string(name)) }.flatMap(NodeRecord.init)
    }

    /// Writes (inserts or replaces) the record.
    static func save(_ node: NodeRecord, in storage: StorageEngine) async throws {
        guard let db = storage.database(StorageEngine.systemDatabase) else { throw LyreError.internalError() }
        let record = node.record
        _ = try await db.write { ctx in try replace(record, &ctx) }
    }

    /// `save` for threads that may block (the request service).
    static func saveBlocking(_ node: NodeRecord, in storage: StorageEngine) throws {
        guard let db = storage.database(StorageEngine.systemDatabase) else { throw LyreError.internalError() }
        let record = node.record
        _ = try db.writeSync { ctx in try replace(record, &ctx) }
    }

    private static func replace(_ record: JSONObject, _ ctx: inout WriteContext) throws -> Int {
        _ = try ctx.write([record], mode: .upsert, to: SystemDatabase.nodesTable)
        // upsert merges: the subscriptions array is replaced whole, as wanted.
        return 1
    }

    /// Deletes the record; false when there was none.
    static func remove(_ name: String, in storage: StorageEngine) async throws -> Bool {
        guard let db = storage.database(StorageEngine.systemDatabase) else { throw LyreError.internalError() }
        return try await db.write { ctx in !(try ctx.delete(ids: [.string(name)], from: SystemDatabase.nodesTable).deleted.isEmpty) }
    }

    static func removeBlocking(_ name: String, in storage: StorageEngine) throws -> Bool {
        guard let db = storage.database(StorageEngine.systemDatabase) else { throw LyreError.internalError() }
        return try db.writeSync { ctx in !(try ctx.delete(ids: [.string(name)], from: SystemDatabase.nodesTable).deleted.isEmpty) }
    }
}
