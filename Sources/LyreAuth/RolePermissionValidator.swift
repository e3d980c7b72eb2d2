public import LyreCore

/// Validates `add_role` / `alter_role` bodies (security.md §4.3): collects every problem,
/// request-level and existence problems in `main`, per-table problems under `"<db>_<table>"`.
///
/// ```swift
/// let result = RolePermissionValidator.validate(body, requireRole: true, requireID: false) { database in
///     catalog[database]  // [table name: attribute names], nil when the database does not exist
/// }
/// if !result.isValid { throw ... result.main, result.schema ... }
/// ```
public enum RolePermissionValidator {
    /// Top-level permission keys that are not database names.
    public static let reservedKeys: Set<String> = ["super_user", "cluster_user", "structure_user"]
    static let bodyKeys: Set<String> = ["operation", "role", "id", "permission", "access"]
    static let tableKeys: Set<String> = ["read", "insert", "update", "delete", "attribute_permissions"]
    static let attributeKeys: Set<String> = ["attribute_name", "read", "insert", "update", "delete"]

    public struct Result: Sendable, Equatable {
        public var main: [String] = []
        /// `("<db>_<table>", problems)` in the order the tables appear.
        public var schema: [(key: String, problems: [String])] = []
        public var isValid: Bool { main.isEmpty && schema.isEmpty }

        public static func == (a: Result, b: Result) -> Bool {
            a.main == b.main && a.schema.map(\.key) == b.schema.map(\.key) && a.schema.map(\.problems) == b.schema.map(\.problems)
        }

        /// The 400 body: `{"error", "main_permissions", "schema_permissions"}`.
        public var json: Value {
            var schemaObject = JSONObject()
            for (key, problems) in schema { schemaObject.appendUnchecked(key, .array(problems.map { .string($0) })) }
            var o = JSONObject()
            o.appendUnchecked("error", "Errors in the role permissions JSON provided")
            o.appendUnchecked("main_permissions", .array(main.map { .string($0) }))
            o.appendUnchecked("schema_permissions", .object(schemaObject))
            return .object(o)
        }
    }

    /// Whether a role name or id uses only `[A-Za-z0-9_-]`.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F || c == 0x2D
        }
    }

    /// - Parameters:
    ///   - body: The whole request body.
    ///   - requireRole: `add_role` needs `role`; `alter_role` takes it optionally.
    ///   - requireID: `alter_role` needs `id`.
    ///   - tablesOf: The tables of a database with their attributes, nil when it does not exist.
    public static func validate(_ body: JSONObject, requireRole: Bool, requireID: Bool,
                                tablesOf: (String) -> [String: [String]]?) -> Result {
        var result = Result()
        let unknown = body.keys.filter { !bodyKeys.contains($0) }
        if unknown.count == 1 {
            result.main.append("Invalid key in JSON body - '\(unknown[0])'")
        } else if unknown.count > 1 {
            result.main.append("Invalid keys in JSON body - " + unknown.map { "'\($0)'" }.joined(separator: ", "))
        }
        check(body["role"], required: requireRole, label: "Role", into: &result.main)
        check(body["id"], required: requireID, label: "Id", into: &result.main)
        guard case .object(let permission)? = body["permission"] else {
            result.main.append("Permission can't be blank")
            return result
        }
        if permission["super_user"] == .bool(true), permission.count > 1 {
            result.main.append("Roles with 'super_user' set to true cannot have other permissions set.")
        }
        for key in ["super_user", "cluster_user"] {
            if let value = permission[key], value.boolValue == nil {
                result.main.append("Value for '\(key)' permission must be a boolean")
            }
        }
        switch permission["structure_user"] {
        case nil, .bool?: break
        case .array(let names)?:
            for name in names {
                let database = name.stringValue ?? JSON.string(name)
                if tablesOf(database) == nil { result.main.append("database '\(database)' does not exist") }
            }
        default: result.main.append("Value for 'structure_user' permission must be a boolean or Array")
        }
        for entry in permission where !reservedKeys.contains(entry.key) {
            let database = entry.key
            guard let existing = tablesOf(database) else {
                result.main.append("database '\(database)' does not exist")
                continue
            }
            let tableObjects: JSONObject
            switch entry.value {
            case .object(let databasePermission):
                switch databasePermission["tables"] {
                case nil, .null?: continue  // grants nothing
                case .object(let tables)?: tableObjects = tables
                default:
                    result.main.append("Value for 'tables' in the '\(database)' permission must be an object")
                    continue
                }
            default:
                // Harper skips such a value silently; a role that grants nothing it seems to is refused.
                result.main.append("Value for database '\(database)' permission must be an object")
                continue
            }
            for table in tableObjects {
                guard let attributes = existing[table.key] else {
                    result.main.append("Table '\(database).\(table.key)' does not exist")
                    continue
                }
                let problems = tableProblems(table.value, database: database, table: table.key, attributes: attributes)
                if !problems.isEmpty { result.schema.append(("\(database)_\(table.key)", problems)) }
            }
        }
        return result
    }

    private static func check(_ value: Value?, required: Bool, label: String, into main: inout [String]) {
        switch value {
        case nil, .null?: if required { main.append("\(label) can't be blank") }
        case .string(let s)? where isValidName(s): break
        default: main.append("\(label) is invalid")
        }
    }

    private static func tableProblems(_ value: Value, database: String, table: String, attributes: [String]) -> [String] {
        guard case .object(let t) = value else { return ["Missing table READ permission"] }
        var problems: [String] = []
        for key in t.keys where !tableKeys.contains(key) { problems.append("Invalid table permission key value '\(key)'") }
        var tableFlags: [TableRight: Bool] = [:]
        for right in TableRight.allCases {
            switch t[right.rawValue] {
            case nil: problems.append("Missing table \(right.rawValue.uppercased()) permission")
            case .bool(let b)?: tableFlags[right] = b
            default: problems.append("Table \(right.rawValue.uppercased()) permission must be a boolean")
            }
        }
        var conflict = false
        switch t["attribute_permissions"] {
        case nil, .null?: break  // no attribute restrictions (Lyre accepts the guide's role without it)
        case .array(let entries)?:
            for entry in entries {
                guard case .object(let a) = entry else {
                    problems.append("Permission object in 'attribute_permission' missing an 'attribute_name'")
                    continue
                }
                for key in a.keys where !attributeKeys.contains(key) {
                    problems.append("Invalid attribute permission key value '\(key)'")
                }
                guard case .string(let name)? = a["attribute_name"] else {
                    problems.append("Permission object in 'attribute_permission' missing an 'attribute_name'")
                    continue
                }
                guard attributes.contains(name) else {
                    // Reported alone: its flags grant nothing, so they cannot conflict either.
                    problems.append("Invalid attribute '\(name)' in 'attribute_permissions'")
                    continue
                }
                for right in [TableRight.read, .insert, .update] {
                    switch a[right.rawValue] {
                    case nil: problems.append("\(right.rawValue.uppercased()) attribute permission missing for '\(name)'")
                    case .bool(let b)?: if b && tableFlags[right] == false { conflict = true }
                    default: problems.append("\(right.rawValue.uppercased()) attribute permission for '\(name)' must be a boolean")
                    }
                }
            }
        default: problems.append("Value for 'attribute_permissions' must be an array")
        }
        if conflict {
            problems.append("You have a conflict with TABLE permissions for '\(database).\(table)' being false and ATTRIBUTE permissions being true")
        }
        return problems
    }
}
