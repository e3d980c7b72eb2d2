import LyreCore

extension TestApplication {
    /// The 403 permission object of security.md §7.8 as JSON text, for exact comparisons.
    /// - Parameters:
    ///   - access: The `unauthorized_access` array as JSON text.
    ///   - invalid: The `invalid_schema_items` array as JSON text.
    public static func refusal(access: String = "[]", invalid: String = "[]") -> String {
        #"{"error":"This operation is not authorized due to role restrictions and/or invalid database items","unauthorized_access":\#(access),"invalid_schema_items":\#(invalid)}"#
    }

    /// One table object of `unauthorized_access`, as JSON text.
    public static func tableRefusal(_ database: String, _ table: String, table rights: [String],
                                    attributes: String = "[]") -> String {
        let list = rights.map { "\"\($0)\"" }.joined(separator: ",")
        return #"{"schema":"\#(database)","table":"\#(table)","required_table_permissions":[\#(list)],"required_attribute_permissions":\#(attributes)}"#
    }

    /// Creates a role and an active user holding it (as the super user); returns the user's Basic header.
    public func addUser(_ username: String, password: String, role: String, permission: String) async throws -> String {
        let added = await post(#"{"operation": "add_role", "role": "\#(role)", "permission": \#(permission)}"#)
        guard added.status == 200 || added.status == 409 else { throw TestFailure("add_role: \(added)") }
        let user = await post(#"{"operation": "add_user", "role": "\#(role)", "username": "\#(username)", "password": "\#(password)", "active": true}"#)
        guard user.status == 200 else { throw TestFailure("add_user: \(user)") }
        return Self.basic(username, password)
    }
}

/// A setup step that did not answer as expected.
public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
