import LyreAuth
import LyreCore
import LyreStorage

/// add_role / alter_role / drop_role / list_roles (security.md §4). Super users only
/// (`Authorization.checkOperation`); every change drops cached credentials.
enum RoleOperations {
    static func register(into registry: inout OperationRegistry) {
        registry.register(.addRole, .async(addRole))
        registry.register(.alterRole, .async(alterRole))
        registry.register(.dropRole, .async(dropRole))
        registry.register(.listRoles, .sync(listRoles))
    }

    @Sendable static func listRoles(_ request: Request, _ context: OperationContext) throws -> OutgoingResponse.Body {
        let store = try SecurityStore(context)
        return .json(.array(try store.allRoles().map { .object(SecurityStore.sorted($0)) }))
    }

    @Sendable static func addRole(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        try validate(request, context, adding: true)
        let store = try SecurityStore(context)
        let name = request["role"]!.stringValue!
        let id = request["id"]?.stringValue ?? name
        if try !store.roles(named: name).isEmpty {
            throw LyreError(.conflict, status: 409, "A role with name '\(name)' already exists")
        }
        var record = JSONObject()
        record.appendUnchecked("id", .string(id))
        record.appendUnchecked("role", .string(name))
        record.appendUnchecked("permission", request["permission"]!)
        let result = try await store.write([record], mode: .insert, to: SystemDatabase.roleTable)
        guard let stored = result.stored.first else {
            throw LyreError(.conflict, status: 409, "A role with id '\(id)' already exists")
        }
        var out = JSONObject()
        for key in ["role", "permission", "id", TableDefinition.updatedTime, TableDefinition.createdTime] {
            if let value = stored[key] { out.appendUnchecked(key, value) }
        }
        return .json(.object(out))
    }

    @Sendable static func alterRole(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        try validate(request, context, adding: false)
        let store = try SecurityStore(context)
        let id = request["id"]!.stringValue!
        guard try store.role(id: id) != nil else { throw LyreError.badRequest("Invalid role id") }
        var record = JSONObject()
        record.appendUnchecked("id", .string(id))
        if let name = request["role"], !name.isNull { record.appendUnchecked("role", name) }
        record.appendUnchecked("permission", request["permission"]!)
        let result = try await store.write([record], mode: .update, to: SystemDatabase.roleTable)
        guard let stored = result.stored.first else { throw LyreError.badRequest("Invalid role id") }
        if let updated = stored[TableDefinition.updatedTime] { record.appendUnchecked(TableDefinition.updatedTime, updated) }
        return .json(.object(record))
    }

    @Sendable static func dropRole(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        let id: String
        switch request["id"] {
        case nil, .null?, .string("")?: throw LyreError.validation("Id can't be blank")
        case .string(let s)?: id = s
        default: throw LyreError.validation("Id is invalid")
        }
        let store = try SecurityStore(context)
        guard let role = try store.role(id: id) else {
            throw LyreError(.notFound, status: 404, "Role not found")
        }
        let name = role["role"]?.stringValue ?? id
        let holders = try store.allUsers().filter { user in
            user["active"] == .bool(true) && (user["role"] == .string(id) || user["role"] == .string(name))
        }
        if !holders.isEmpty {
            throw LyreError(.conflict, status: 409, "Cannot drop role \(name) as it has active user(s) tied to this role")
        }
        guard try await store.delete(id, from: SystemDatabase.roleTable) else {
            throw LyreError(.notFound, status: 404, "Role not found")
        }
        return .message("\(name) successfully deleted")
    }

    /// The 400 validation object of security.md §4.3, thrown when anything is wrong.
    private static func validate(_ request: Request, _ context: OperationContext, adding: Bool) throws {
        let storage = context.app.storage
        let result = RolePermissionValidator.validate(request.body, requireRole: adding, requireID: !adding) { database in
            SecurityStore.tables(of: database, in: storage)
        }
        guard result.isValid else {
            throw LyreError(.validation, status: 400, "Errors in the role permissions JSON provided", body: result.json)
        }
    }
}
