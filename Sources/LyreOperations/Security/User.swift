package import LyreAuth
package import LyreCore
package import LyreStorage

/// A role as stored in `system.hdb_role`: its id, name and permission object, with the
/// permission parsed once into a ``PermissionSet`` for the checks.
///
/// A class: a role never changes once loaded (`alter_role` stores a new one), and every
/// request carries its user, and so its role, through several copies; as a struct of two
/// strings, a JSON object and a permission set of dictionaries each copy cost a dozen
/// reference-count operations (perf: ~1 % of an event loop's samples serving `search_by_id`,
/// too little to show in this machine's requests/s).
package final class Role: Sendable {
    package let id: String
    package let name: String
    package let permission: JSONObject
    package let permissions: PermissionSet

    package var isSuperUser: Bool { permissions.isSuperUser }
    package var isClusterUser: Bool { permissions.isClusterUser }

    package init(id: String, name: String, permission: JSONObject) {
        self.id = id
        self.name = name
        self.permission = permission
        permissions = PermissionSet(permission)
    }

    /// A user whose role was dropped (or never existed): no permissions at all.
    package static let missing = Role(id: "", name: "", permission: JSONObject())
}

/// How a request was authenticated.
package enum AuthenticationMethod: Sendable, Equatable {
    case basic
    case operationToken
    /// A refresh token as the bearer: accepted only for `refresh_operation_token`.
    case refreshToken
    case local
    case bodyCredentials
    /// Nobody yet: `create_authentication_tokens` with credentials in the body checks them itself.
    case none
}

/// An authenticated caller.
package struct User: Sendable {
    package var username: String
    package var active: Bool
    package var role: Role
    package var method: AuthenticationMethod
    /// The schema the permissions are checked against (primary keys: security.md §4.2 rule 4).
    package var schema: StorageEngine?

    package var isSuperUser: Bool { role.isSuperUser }
    package var permissions: PermissionSet { role.permissions }

    package init(username: String, active: Bool, role: Role, method: AuthenticationMethod = .basic) {
        self.username = username
        self.active = active
        self.role = role
        self.method = method
    }

    /// The placeholder for operations that authenticate inside their handler.
    package static let anonymous = User(username: "", active: false, role: .missing, method: .none)
}
