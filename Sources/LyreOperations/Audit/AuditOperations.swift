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
            var grouped = JSONObject()
            for entry in entries where wanted.isEmpty || wanted.contains(entry.username) {
                var list = grouped[entry.username]?.arrayValue ?? []
                list.append(json(entry))
                grouped[entry.username] = .array(list)
            }
            return .json(.object(grouped))
        case "hash_value"?:
            let entries = try db.read { try $0.auditEntries(of: definition) }
            var grouped = JSONObject()
            for wanted in values {
                let name = keyText(wanted)
                var list: [Value] = []
                for entry in entries where entry.hashValues.contains(where: { keyText($0) == name }) {
                    list.append(json(entry, onlyKey: name, primaryKey: definition.primaryKey))
                }
                if !list.isEmpty { grouped[name] = .array(list) }
            }
            return .json(.object(grouped))
        case let other?:
            throw LyreError(.badRequest, status: 400, "Invalid searchType '\(other)'")
        }
    }

    /// A primary key as the text the `hash_value` form groups by.
    static func keyText(_ value: Value) -> String {
        (try? Request.nameText(value, field: "")) ?? JSON.string(value)
    }

    /// An entry as `read_audit_log` shows it; with `onlyKey`, only that record's data.
    static func json(_ entry: AuditEntry, onlyKey: String? = nil, primaryKey: String = "") -> Value {
        func filter(_ records: [JSONObject]) -> [JSONObject] {
            guard let onlyKey else { return records }
            return records.filter { $0[primaryKey].map(keyText) == onlyKey }
        }
        var o = JSONObject()
        o.appendUnchecked("operation", .string(entry.operation))
        o.appendUnchecked("user_name", .string(entry.username))
        o.appendUnchecked("timestamp", .double(entry.timestamp))
        let hashes = onlyKey == nil ? entry.hashValues : entry.hashValues.filter { keyText($0) == onlyKey }
        o.appendUnchecked("hash_values", .array(hashes))
        if let records = entry.records { o.appendUnchecked("records", .array(filter(records).map(Value.object))) }
        if let originals = entry.originalRecords {
            o.appendUnchecked("original_records", .array(filter(originals).map(Value.object)))
        }
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
