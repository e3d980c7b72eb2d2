import LyreCore
import LyreStorage

/// The CRUD rights of security.md §7.
enum TablePermission: String, Sendable {
    case read, insert, update, delete
}

/// The one place permission checks are made (security.md §7). Every operation passes
/// through `checkOperation` before it runs; table operations then call `checkTable`
/// (records, searches, SQL), which also hides whether a database or table exists.
enum Authorization {
    /// Refuses super-user-only operations to other roles, with Harper's internal name.
    static func checkOperation(_ name: OperationName, user: User) throws {
        guard !user.isSuperUser else { return }
        if name.isSuperUserOnly {
            throw LyreError.restrictedToSuperUser(name.internalName)
        }
    }

    /// Checks that `user` may perform `required` on `database.table`, touching `attributes`
    /// (read: attributes returned or searched; write: attributes written).
    /// Call before the existence check so a role learns nothing about objects it can't see.
    /// - Throws: the 403 permission object of security.md §7.
    static func checkTable(database: String, table: String, user: User,
                           required: [TablePermission], attributes: [String] = []) throws {
        guard !user.isSuperUser else { return }
        // Roles other than super_user arrive with the security issue (roles/users operations);
        // until then the only users are super users, and anyone else is refused.
        throw LyreError.unauthorized(invalidSchemaItems: [])
    }
}
