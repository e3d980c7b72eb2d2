import LyreCore
import LyreSQL
import LyreStorage

/// Permissions of the `sql` operation (sql.md §10). The engine lists what a statement touches
/// (``Statement/tableAccess``); ``Authorization`` decides. This type only translates between
/// the two and rewrites wildcards for roles with attribute permissions (§10.3).
enum SQLPermissions {
    /// `SELECT *` / `q.*` for a non-super user whose role restricts the attributes of some
    /// table of the statement: the wildcard becomes that role's readable attributes, in `*`
    /// order (sql.md §10.3). Other statements, super users and unrestricted roles keep `*`.
    static func expandWildcards(_ statement: Statement, user: User, catalog: any SQLCatalog) -> Statement {
        guard !user.isSuperUser, case .select(let select) = statement else { return statement }
        let restricted = select.tableRefs.contains { ref in
            guard let database = ref.name.database else { return false }
            return user.permissions.rights(database: database, table: ref.name.table)?.restrictsAttributes ?? false
        }
        guard restricted else { return statement }
        return .select(select.expandingWildcards { ref in
            guard let databaseName = ref.name.database, databaseName != StorageEngine.systemDatabase,
                  let database = catalog.database(databaseName),
                  let definition = database.table(ref.name.table) else { return nil }
            // A table the role may not read expands to nothing: the table-level check refuses it.
            guard user.permissions.rights(database: databaseName, table: ref.name.table)?.read ?? false else { return [] }
            let order = BoundTable(position: 0, ref: ref, database: database, definition: definition).attributeOrder
            guard let readable = Authorization.readableAttributes(nil, table: definition, user: user) else { return order }
            return order.filter(readable.contains)
        })
    }

    /// Checks every table and attribute `statement` touches (sql.md §10.1–§10.2).
    /// - Throws: the 403s of ``Authorization/checkTables(_:user:)``.
    static func check(_ statement: Statement, user: User) throws {
        let requests = statement.tableAccess.compactMap { access -> Authorization.TableRequest? in
            // A SELECT table without database fails later with `schema not defined for table …`.
            guard let database = access.database else { return nil }
            return Authorization.TableRequest(database: database, table: access.table,
                                              required: [TablePermission(access.right)], attributes: access.attributes)
        }
        try Authorization.checkTables(requests, user: user)
    }

    /// A wildcard rewritten to no readable attribute at all: the answer is `[]` (sql.md §10.3).
    static func selectsNothing(_ original: Statement, _ rewritten: Statement) -> Bool {
        guard case .select(let before) = original, case .select(let after) = rewritten else { return false }
        return after.items.isEmpty && !before.items.isEmpty
    }
}

extension TablePermission {
    init(_ right: StatementAccess.Right) {
        switch right {
        case .read: self = .read
        case .insert: self = .insert
        case .update: self = .update
        case .delete: self = .delete
        }
    }
}
