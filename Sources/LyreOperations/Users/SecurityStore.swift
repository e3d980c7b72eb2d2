import LyreCore
import LyreStorage

/// Reads and writes `system.hdb_user` and `system.hdb_role` for the user, role and token
/// operations, and shapes their records for clients (never a password or token hash).
struct SecurityStore {
    let db: Database
    let users: TableDefinition
    let roles: TableDefinition
    let app: Application

    init(_ context: OperationContext) throws {
        guard let db = context.app.storage.database(StorageEngine.systemDatabase),
              let users = db.table(SystemDatabase.userTable), let roles = db.table(SystemDatabase.roleTable)
        else { throw LyreError.internalError() }
        self.db = db
        self.users = users
        self.roles = roles
        app = context.app
    }

    /// Fields of a user record no client ever sees (security.md §3.5–3.6).
    static let hiddenUserFields: Set<String> = ["password", "hash", "refresh_token", "hash_function"]

    func allRoles() throws -> [JSONObject] { try db.read { try $0.allRecords(in: roles) } }
    func allUsers() throws -> [JSONObject] { try db.read { try $0.allRecords(in: users) } }
    func role(id: String) throws -> JSONObject? { try db.read { try $0.record(in: roles, id: .string(id)) } }
    func user(_ username: String) throws -> JSONObject? { try db.read { try $0.record(in: users, id: .string(username)) } }

    func roles(named name: String) throws -> [JSONObject] {
        try allRoles().filter { $0["role"] == .string(name) }
    }

    /// The id of the one role called `name`.
    /// - Throws: `notFound` when there is none, the 409 duplicate-name text when several share it.
    func roleID(named name: String, notFound: LyreError) throws -> Value {
        let matches = try roles(named: name)
        guard let first = matches.first else { throw notFound }
        guard matches.count == 1 else {
            throw LyreError(.conflict, status: 409,
                            "Multiple \(name) roles found.  Roles must have unique 'role' value. Please update and try again.")
        }
        return first["id"] ?? .string(name)
    }

    /// Writes records to a system table in one transaction and drops cached credentials.
    func write(_ records: [JSONObject], mode: WriteMode, to table: String) async throws -> RecordWriteResult {
        let result = try await db.write { ctx in try ctx.write(records, mode: mode, to: table) }
        app.authenticator.invalidate()
        return result
    }

    /// Deletes one record by primary key; false when it was absent.
    func delete(_ id: String, from table: String) async throws -> Bool {
        let result = try await db.write { ctx in try ctx.delete(ids: [.string(id)], from: table) }
        app.authenticator.invalidate()
        return !result.deleted.isEmpty
    }

    /// A record with its keys in alphabetical order (Harper's output order).
    static func sorted(_ record: JSONObject) -> JSONObject {
        JSONObject(record.entries.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    /// A user record for clients: hidden fields dropped, `role` expanded to the role record.
    /// - Parameter systemGrant: Add list_users' synthetic `system` entry to the role's permission.
    func publicUser(_ record: JSONObject, systemGrant: Bool) throws -> Value {
        var out = JSONObject()
        for entry in Self.sorted(record) where !Self.hiddenUserFields.contains(entry.key) {
            guard entry.key == "role" else {
                out.appendUnchecked(entry.key, entry.value)
                continue
            }
            guard let role = try app.authenticator.roleRecord(entry.value) else {
                out.appendUnchecked("role", entry.value)
                continue
            }
            var shaped = Self.sorted(role)
            if systemGrant, case .object(var permission)? = role["permission"] {
                permission["system"] = Self.systemGrant(read: permission["super_user"] == .bool(true))
                shaped["permission"] = .object(permission)
            }
            out.appendUnchecked("role", .object(shaped))
        }
        return .object(out)
    }

    /// list_users' `system` entry: read (= super user) and nothing else on the system tables.
    static func systemGrant(read: Bool) -> Value {
        var tables = JSONObject()
        for name in ["hdb_table", "hdb_attribute", "hdb_schema", "hdb_user", "hdb_role", "hdb_job", "hdb_license",
                     "hdb_info", "hdb_nodes", "hdb_temp"] {
            tables.appendUnchecked(name, [
                "read": .bool(read), "insert": false, "update": false, "delete": false, "attribute_permissions": [],
            ])
        }
        return .object(JSONObject([("tables", .object(tables))]))
    }

    /// `[table: attribute names]` of a database, nil when it does not exist (role validation).
    static func tables(of database: String, in storage: StorageEngine) -> [String: [String]]? {
        guard let db = storage.database(database) else { return nil }
        return db.catalog.tables.mapValues(\.attributeNames)
    }
}
