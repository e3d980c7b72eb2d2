import LyreAuth
import LyreCore
import LyreStorage

/// The CRUD rights of security.md §7 (the model lives in LyreAuth).
typealias TablePermission = TableRight

/// The one place permission checks are made (security.md §7). Every operation passes
/// through `checkOperation` before it runs; table operations then call `checkTable`
/// (records, searches, SQL), which also hides whether a database or table exists, and
/// searches rewrite `get_attributes` with `readableAttributes`.
enum Authorization {
    /// Operations that need authentication only, not a role.
    static let roleFree: Set<OperationName> = [.createAuthenticationTokens, .refreshOperationToken, .login, .logout]
    /// Operations a structure user may call (security.md §6.1).
    static let structureOperations: Set<OperationName> = [.createDatabase, .dropDatabase, .createTable, .dropTable,
                                                          .createAttribute, .dropAttribute]

    /// Operation-level checks of security.md §7.1 steps 1–5: role present, system database
    /// protected, super user, structure-user scope, super-user-only operations.
    /// - Throws: the 403 permission object (or the plain system-protection 403).
    static func checkOperation(_ name: OperationName, body: JSONObject, user: User) throws {
        if user.method == .none {
            guard name == .createAuthenticationTokens else { throw LyreError.mustLogin }
            return
        }
        if roleFree.contains(name) { return }
        if user.permissions.isEmpty { throw noRole(user.username) }
        let canonical = name.canonical
        let request = Request(operation: name, body: body)
        let database = try? request.database()
        if database == StorageEngine.systemDatabase, [.dropDatabase, .dropTable, .dropAttribute].contains(canonical) {
            throw LyreError.systemProtected
        }
        if user.isSuperUser { return }
        if structureOperations.contains(canonical) {
            let permissions = user.permissions
            let target = database ?? StorageEngine.defaultDatabase
            switch canonical {
            case .createDatabase, .dropDatabase:
                if permissions.structure == .all { return }
            default:
                if target != StorageEngine.systemDatabase, permissions.mayChangeStructure(in: target) { return }
                if canonical == .createAttribute {
                    // Without structure rights, adding an attribute is an insert into the table (§6.2).
                    try checkTable(database: target, table: (try? request.table()) ?? "", user: user, required: [.insert])
                    return
                }
                if case .databases = permissions.structure {
                    throw LyreError.unauthorized(access: [
                        .string("User does not have access to perform '\(name.rawValue)' against schema '\(target)'"),
                    ])
                }
            }
        }
        if canonical == .exportLocal || canonical == .exportToS3, Self.searchesWithSQL(body) {
            // bulk-and-jobs.md §9 (quirk): with an `sql` search the export needs only the
            // statement's rights, which the export checks (`SQLOperation.authorizeEmbedded`).
            return
        }
        if name.isSuperUserOnly {
            throw LyreError.restrictedToSuperUser(name.internalName)
        }
    }

    /// True when `body.search_operation.operation` is `sql`.
    static func searchesWithSQL(_ body: JSONObject) -> Bool {
        guard case .object(let search)? = body["search_operation"] else { return false }
        return search["operation"] == .string("sql")
    }

    /// Checks that `user` may perform `required` on `database.table`, touching `attributes`
    /// (read: attributes returned or searched; write: every property of every record).
    /// Call before the existence check so a role learns nothing about objects it can't see,
    /// and before writing, so a refused write writes nothing.
    /// - Throws: the 403 permission object of security.md §7 (or the system-protection 403).
    static func checkTable(database: String, table: String, user: User,
                           required: [TablePermission], attributes: [String] = []) throws {
        if user.isSuperUser { return }
        if user.permissions.isEmpty { throw noRole(user.username) }
        if database == StorageEngine.systemDatabase {
            // databases-and-tables.md §8.2: reads and inserts are refused as permissions,
            // changes as the system-protection message.
            if required.contains(.update) || required.contains(.delete) { throw LyreError.systemProtected }
            throw LyreError.unauthorized(access: [
                TableRefusal(database: database, table: table, requiredTablePermissions: required).json,
            ])
        }
        let primaryKey = user.schema?.database(database)?.table(table)?.primaryKey
        if let denial = user.permissions.denial(database: database, table: table, primaryKey: primaryKey,
                                                required: required, attributes: attributes) {
            throw error(for: denial)
        }
    }

    /// One table of a request that touches several (a SQL statement, sql.md §10.2).
    struct TableRequest: Sendable, Hashable {
        var database: String
        var table: String
        var required: [TablePermission]
        /// Attributes touched there, in first-seen order.
        var attributes: [String]
    }

    /// The checks of sql.md §10.1–§10.2 over every table a request touches, findings batched
    /// into one permission object: table-level checks first (§7.2); when every table is in
    /// one database, any table-level finding is reported alone, otherwise attribute-level
    /// checks (§7.3) continue for the tables that passed and everything is reported together.
    /// Changes to the `system` database are refused for everybody, super users included.
    /// - Throws: the 403 permission object, the timestamp-write 403, or the system-protection 403.
    static func checkTables(_ requests: [TableRequest], user: User) throws {
        if requests.contains(where: { $0.database == StorageEngine.systemDatabase
                                      && ($0.required.contains(.update) || $0.required.contains(.delete)) }) {
            throw LyreError.systemProtected
        }
        if user.isSuperUser || requests.isEmpty { return }
        if user.permissions.isEmpty { throw noRole(user.username) }
        var access: [Value] = []
        var invalid: [String] = []
        func record(_ denial: PermissionDenial) throws {
            switch denial {
            case .refused(let refusals, let items):
                access += refusals.map(\.json)
                for item in items where !invalid.contains(item) { invalid.append(item) }
            case .timestampWrite:
                throw error(for: denial)
            }
        }
        var passed: [TableRequest] = []
        for request in requests {
            if request.database == StorageEngine.systemDatabase {
                // databases-and-tables.md §8.2: reads and inserts are refused as permissions.
                access.append(TableRefusal(database: request.database, table: request.table,
                                           requiredTablePermissions: request.required).json)
            } else if let denial = user.permissions.denial(database: request.database, table: request.table, primaryKey: nil,
                                                           required: request.required) {
                try record(denial)
            } else {
                passed.append(request)
            }
        }
        let refuse = { LyreError.unauthorized(access: access, invalidSchemaItems: invalid.map { .string($0) }) }
        if !(access.isEmpty && invalid.isEmpty), Set(requests.map(\.database)).count == 1 { throw refuse() }
        for request in passed where !request.attributes.isEmpty {
            let primaryKey = user.schema?.database(request.database)?.table(request.table)?.primaryKey
            if let denial = user.permissions.denial(database: request.database, table: request.table, primaryKey: primaryKey,
                                                    required: request.required, attributes: request.attributes) {
                try record(denial)
            }
        }
        if !(access.isEmpty && invalid.isEmpty) { throw refuse() }
    }

    /// The attributes a search returns (security.md §7.4): `*` (or no list) becomes every attribute
    /// the role may read; named attributes are returned as given (``checkTable`` refuses forbidden ones).
    /// - Parameter requested: `get_attributes` as decoded (nil or `["*"]` for all).
    /// - Returns: The list to project, or `requested` unchanged for super users and unrestricted tables.
    static func readableAttributes(_ requested: [String]?, table: TableDefinition, user: User) -> [String]? {
        guard !user.isSuperUser,
              let rights = user.permissions.rights(database: table.database, table: table.name),
              rights.restrictsAttributes else { return requested }
        let readable = user.permissions.readableAttributes(database: table.database, table: table.name,
                                                           of: table.attributeNames, primaryKey: table.primaryKey)
        guard let requested else { return readable }
        var result: [String] = []
        var seen = Set<String>()  // not result.contains: 10,000 names were 10^8 comparisons
        for name in requested {
            if name == "*" {
                for r in readable where seen.insert(r).inserted { result.append(r) }
            } else if seen.insert(name).inserted {
                result.append(name)
            }
        }
        return result
    }

    /// `describe_database` / `describe_table` on the `system` database by a user who is not a
    /// super user: refused before the request's parameters are validated, so a missing
    /// `table` does not answer first (databases-and-tables.md §4.2–4.3).
    /// - Throws: the 403 permission object of ``systemMetadataRefusal``.
    static func checkSystemMetadata(_ request: Request, user: User) throws {
        guard !user.isSuperUser, (try? request.database()) == StorageEngine.systemDatabase else { return }
        throw systemMetadataRefusal
    }

    static let systemMetadataRefusal = LyreError.unauthorized(access: [
        .string("Your role does not have permission to view database metadata for 'system'"),
    ])

    /// `describe_database` / `describe_table` visibility (security.md §7.5).
    /// - Parameter table: nil for `describe_database`.
    static func checkDescribe(database: String, table: String?, user: User) throws {
        if user.isSuperUser { return }
        if user.permissions.isEmpty { throw noRole(user.username) }
        if database == StorageEngine.systemDatabase { throw systemMetadataRefusal }
        if let table {
            if !user.permissions.isTableVisible(database: database, table: table) {
                throw LyreError.unauthorized(invalidSchemaItems: [.string("Table '\(database).\(table)' does not exist")])
            }
        } else if !user.permissions.isDatabaseVisible(database) {
            throw LyreError.unauthorized(invalidSchemaItems: [.string("database '\(database)' does not exist")])
        }
    }

    /// `User <name> has no role or permissions.  Please assign the user a valid role.` (two spaces).
    static func noRole(_ username: String) -> LyreError {
        LyreError.unauthorized(access: [
            .string("User \(username) has no role or permissions.  Please assign the user a valid role."),
        ])
    }

    static func error(for denial: PermissionDenial) -> LyreError {
        switch denial {
        case .refused(let access, let invalid):
            LyreError.unauthorized(access: access.map(\.json), invalidSchemaItems: invalid.map { .string($0) })
        case .timestampWrite:
            LyreError(.forbidden, status: 403,
                      "Internal timestamp attributes - '__createdtime_' and '__updatedtime__' - cannot be inserted to or updated by HDB users.")
        }
    }
}
