package import LyreCore

/// A role as stored in `system.hdb_role`: its id, name and permission object.
package struct Role: Sendable {
    package var id: String
    package var name: String
    package var permission: JSONObject

    package var isSuperUser: Bool { permission["super_user"] == .bool(true) }
    package var isClusterUser: Bool { permission["cluster_user"] == .bool(true) }

    package init(id: String, name: String, permission: JSONObject) {
        self.id = id
        self.name = name
        self.permission = permission
    }
}

/// An authenticated caller.
package struct User: Sendable {
    package var username: String
    package var active: Bool
    package var role: Role

    package var isSuperUser: Bool { role.isSuperUser }

    package init(username: String, active: Bool, role: Role) {
        self.username = username
        self.active = active
        self.role = role
    }
}
