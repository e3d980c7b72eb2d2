import LyreCore
import LyreStorage

/// When record operations append audit entries: `logging.auditLog` on and the table audited.
enum AuditTrail {
    /// The descriptor to pass into the write closure, or nil when nothing is to be logged.
    static func descriptor(for operation: String, table: TableDefinition, context: OperationContext) -> AuditDescriptor? {
        guard context.app.configuration.auditLog, table.audit else { return nil }
        return AuditDescriptor(operation: operation, username: context.user.username)
    }
}

/// `read_audit_log`, `read_transaction_log`, `delete_audit_logs_before`,
/// `delete_transaction_logs_before` (logs-config-system.md §2–3).
enum AuditOperations {
    static func register(into registry: inout OperationRegistry) {
        registry.register(.readAuditLog, .sync(readAuditLog))
        registry.register(.readTransactionLog, .sync(readTransactionLog))
        registry.register(.deleteAuditLogsBefore, .async { try await deleteBefore($0, $1, noun: "audit log") })
        registry.register(.deleteTransactionLogsBefore, .async { try await deleteBefore($0, $1, noun: "transaction log") })
    }

    // MARK: read_audit_log

    @Sendable static func readAuditLog(_ request: Request, _ context: OperationContext) throws -> OutgoingResponse.Body {
        guard context.app.configuration.auditLog else {
            throw LyreError.badRequest("To use this operation audit log must be enabled in harperdb-config.yaml")
        }
        guard request.databaseField != nil else { throw LyreError(.badRequest, status: 400, "database is required") }
        guard let table = request["table"], !table.isNull else { throw LyreError(.badRequest, status: 400, "table is required") }
        let (db, definition) = try TableAccess.table(request, in: context, status: 404)
        let values = request["search_values"]?.arrayValue ?? []
        let limit = request["limit"]?.intValue.map { Int(max(0, $0)) }
        switch request["search_type"]?.stringValue ?? request["search_type"].map(JSON.string) {
        case nil:
            let entries = try db.read { try $0.auditEntries(of: definition, limit: limit) }
            return .json(.array(entries.map { json($0) }))
        case "timestamp"?:
            let from = values.first?.doubleValue
            let to = values.count > 1 ? values[1].doubleValue : nil
            let entries = try db.read { try $0.auditEntries(of: definition, from: from, to: to, limit: limit) }
            return .json(.array(entries.map { json($0) }))
        case "username"?:
            let wanted = Set(values.compactMap(\.stringValue))
            let entries = try db.read { try $0.auditEntries(of: definition) }
            var groups = OrderedGroups()
            for entry in entries where wanted.isEmpty || wanted.contains(entry.username) {
                groups.append(json(entry), to: entry.username)
            }
            return .json(.object(groups.object))
        case "hash_value"?:
            // One pass over the entries, whatever the number of values asked for (a value per
            // entry and value took minutes for 20,000 values: found by the HTTP fuzzer, seed 1201).
            var order: [String] = []
            var asked = Set<String>()
            for value in values {
                let name = keyText(value)
                if asked.insert(name).inserted { order.append(name) }
            }
            let entries = try db.read { try $0.auditEntries(of: definition) }
            var found: [String: [Value]] = [:]
            for entry in entries {
                for (name, value) in split(entry, primaryKey: definition.primaryKey, keeping: asked) {
                    found[name, default: []].append(value)
                }
            }
            var grouped = JSONObject()
            for name in order { if let list = found[name] { grouped.appendUnchecked(name, .array(list)) } }
            return .json(.object(grouped))
        case let other?:
            throw LyreError(.badRequest, status: 400, "Invalid searchType '\(other)'")
        }
    }

    /// Lists under keys in first-seen order, built in linear time (a `JSONObject` looks keys
    /// up by scanning, and copying a list to append to it is quadratic).
    struct OrderedGroups {
        private var order: [String] = []
        private var lists: [String: [Value]] = [:]

        mutating func append(_ value: Value, to key: String) {
            if lists[key] == nil { order.append(key) }
            lists[key, default: []].append(value)
        }

        var object: JSONObject {
            var object = JSONObject()
            for key in order { object.appendUnchecked(key, .array(lists[key] ?? [])) }
            return object
        }
    }

    /// `entry` as `json(_:)` shows it, cut down to each of its keys in `keeping` (that
    /// record's hash value and data), in the order of its hash values, with one pass over its keys and records (an entry of many records
    /// filtered once per key was quadratic).
    static func split(_ entry: AuditEntry, primaryKey: String, keeping: Set<String>) -> [(String, Value)] {
        var order: [String] = []
        var hashes: [String: [Value]] = [:]
        for hash in entry.hashValues {
            let name = keyText(hash)
            guard keeping.contains(name) else { continue }
            if hashes[name] == nil { order.append(name) }
            hashes[name, default: []].append(hash)
        }
        guard !order.isEmpty else { return [] }
        func byKey(_ records: [JSONObject]?) -> [String: [Value]]? {
            guard let records else { return nil }
            var grouped: [String: [Value]] = [:]
            for record in records {
                guard let key = record[primaryKey].map(keyText), hashes[key] != nil else { continue }
                grouped[key, default: []].append(.object(record))
            }
            return grouped
        }
        let records = byKey(entry.records)
        let originals = byKey(entry.originalRecords)
        return order.map { name in
            var o = JSONObject()
            o.appendUnchecked("operation", .string(entry.operation))
            o.appendUnchecked("user_name", .string(entry.username))
            o.appendUnchecked("timestamp", .double(entry.timestamp))
            o.appendUnchecked("hash_values", .array(hashes[name] ?? []))
            if let records { o.appendUnchecked("records", .array(records[name] ?? [])) }
            if let originals { o.appendUnchecked("original_records", .array(originals[name] ?? [])) }
            return (name, .object(o))
        }
    }

    /// A primary key as the text the `hash_value` form groups by.
    static func keyText(_ value: Value) -> String {
        (try? Request.nameText(value, field: "")) ?? JSON.string(value)
    }

    /// An entry as `read_audit_log` shows it.
    static func json(_ entry: AuditEntry) -> Value {
        var o = JSONObject()
        o.appendUnchecked("operation", .string(entry.operation))
        o.appendUnchecked("user_name", .string(entry.username))
        o.appendUnchecked("timestamp", .double(entry.timestamp))
        o.appendUnchecked("hash_values", .array(entry.hashValues))
        if let records = entry.records { o.appendUnchecked("records", .array(records.map(Value.object))) }
        if let originals = entry.originalRecords { o.appendUnchecked("original_records", .array(originals.map(Value.object))) }
        return .object(o)
    }

    // MARK: read_transaction_log

    @Sendable static func readTransactionLog(_ request: Request, _ context: OperationContext) throws -> OutgoingResponse.Body {
        var problems: [String] = []
        if request["table"] == nil || request["table"]!.isNull { problems.append("'table' is required") }
        var bounds: [String: Double] = [:]
        for field in ["from", "to"] {
            guard let v = request[field], !v.isNull else { continue }
            if let n = v.doubleValue ?? v.stringValue.flatMap(Double.init) { bounds[field] = n } else {
                problems.append("'\(field)' must be in timestamp or number of milliseconds format")
            }
        }
        var limit: Int?
        if let v = request["limit"], !v.isNull {
            if let n = v.intValue, n >= 1 { limit = Int(n) } else { problems.append("'limit' must be greater than or equal to 1") }
        }
        guard problems.isEmpty else { throw LyreError.validation(problems) }
        let (db, definition) = try TableAccess.table(request, in: context, status: 404)
        let entries = try db.read { try $0.auditEntries(of: definition, from: bounds["from"], to: bounds["to"], limit: limit) }
        return .json(.array(entries.map { entry in
            var o = JSONObject()
            o.appendUnchecked("operation", .string(entry.operation))
            o.appendUnchecked("user", .string(entry.username))
            o.appendUnchecked("timestamp", .double(entry.timestamp))
            o.appendUnchecked("records", .array((entry.records ?? entry.originalRecords ?? []).map(Value.object)))
            o.appendUnchecked("user_name", .string(entry.username))
            o.appendUnchecked("hash_values", .array(entry.hashValues))
            if let originals = entry.originalRecords, entry.records != nil {
                o.appendUnchecked("original_records", .array(originals.map(Value.object)))
            }
            return .object(o)
        }))
    }

    // MARK: delete_*_before

    /// Starts a job that deletes the table's entries older than `timestamp` in one
    /// transaction (logs-config-system.md: "Runs as a job"). Harper reports success without
    /// saying what went; Lyre's job result carries `deleted_count`. A missing database or
    /// table ends the job `ERROR` with the standard text.
    static func deleteBefore(_ request: Request, _ context: OperationContext, noun: String) async throws -> OutgoingResponse.Body {
        var problems: [String] = []
        if request["table"] == nil || request["table"]!.isNull { problems.append("'table' is required") }
        var timestamp: Double?
        switch request["timestamp"] {
        case nil, .null?: problems.append("'timestamp' is required")
        case let v?:
            timestamp = v.doubleValue ?? v.stringValue.flatMap(Double.init)
            if timestamp == nil {
                problems.append(noun == "audit log" ? "'timestamp' is invalid"
                                : "'timestamp' must be in timestamp or number of milliseconds format")
            }
        }
        guard problems.isEmpty, let timestamp else { throw LyreError.validation(problems) }
        let databaseName = try request.database()
        let tableName = try request.table()
        let storage = context.app.storage
        return try await JobOperations.start(request, context) { _ in
            guard let db = storage.database(databaseName) else { throw LyreError.databaseNotFound(databaseName) }
            guard db.table(tableName) != nil else { throw LyreError.tableNotFound(databaseName, tableName) }
            let removed = try await db.write { ctx in try ctx.deleteAudit(of: tableName, before: timestamp) }
            var o = JSONObject()
            o.appendUnchecked("message", .string("Successfully deleted \(removed) \(noun) \(removed == 1 ? "entry" : "entries")"))
            o.appendUnchecked("deleted_count", .int(Int64(removed)))
            return .result(.object(o))
        }
    }
}
