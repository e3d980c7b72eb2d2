import LyreCore
import LyreStorage

/// `set_status`, `get_status`, `clear_status` over `system.hdb_status` (logs-config-system.md §7).
enum StatusOperations {
    static func register(into registry: inout OperationRegistry) {
        registry.register(.setStatus, .async(setStatus))
        registry.register(.getStatus, .sync(getStatus))
        registry.register(.clearStatus, .async(clearStatus))
    }

    static let ids = ["primary", "maintenance", "availability"]

    private static func statusTable(_ context: OperationContext) throws -> (Database, TableDefinition) {
        guard let db = context.app.storage.database(StorageEngine.systemDatabase),
              let table = db.table(SystemDatabase.statusTable) else {
            throw LyreError.tableNotFound(StorageEngine.systemDatabase, SystemDatabase.statusTable)
        }
        return (db, table)
    }

    private static func id(_ request: Request) throws -> String {
        guard let value = request["id"], !value.isNull else { return "primary" }
        guard let id = value.stringValue, ids.contains(id) else {
            throw LyreError.validation("'id' must be one of [primary, maintenance, availability]")
        }
        return id
    }

    @Sendable static func setStatus(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        var problems: [String] = []
        var id = "primary"
        do { id = try self.id(request) } catch let error as LyreError { problems.append(error.message) }
        var status = ""
        switch request["status"] {
        case nil, .null?: problems.append("'status' is required")
        case .string(let s)?:
            status = s
            if s.isEmpty { problems.append("'status' is not allowed to be empty") }
            if s.count > 512 { problems.append("'status' length must be less than or equal to 512 characters long") }
        default: problems.append("'status' must be a string")
        }
        guard problems.isEmpty else { throw LyreError.validation(problems) }
        if id == "availability", status != "Available", status != "Unavailable" {
            throw LyreError.validation(#"Status "availability" only accepts these values: Available, Unavailable"#)
        }
        let (db, table) = try statusTable(context)
        let name = table.name
        let record = JSONObject([("id", .string(id)), ("status", .string(status))])
        let result = try await db.write { ctx in try ctx.write([record], mode: .upsert, to: name) }
        return .json(.object(result.stored.first ?? record))
    }

    @Sendable static func getStatus(_ request: Request, _ context: OperationContext) throws -> OutgoingResponse.Body {
        let (db, table) = try statusTable(context)
        if let value = request["id"], !value.isNull {
            let record = try db.read { try $0.record(in: table, id: value) }
            return .json(.object(record ?? JSONObject()))
        }
        let all = try db.read { try $0.allRecords(in: table) }
        let ordered = all.sorted { (ids.firstIndex(of: $0["id"]?.stringValue ?? "") ?? 9) < (ids.firstIndex(of: $1["id"]?.stringValue ?? "") ?? 9) }
        return .json(.array(ordered.map(Value.object)))
    }

    @Sendable static func clearStatus(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        let id = try self.id(request)
        let (db, table) = try statusTable(context)
        let name = table.name
        _ = try await db.write { ctx in try ctx.delete(ids: [.string(id)], from: name).deleted.count }
        return .message("Status successfully cleared")
    }
}
