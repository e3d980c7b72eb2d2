public import LyreCore

/// A table-level right of the permission JSON (security.md §4.2).
public enum TableRight: String, Sendable, CaseIterable {
    case read, insert, update, delete
}

/// What a role may do with one attribute: `read`, `insert`, `update` (deletion is table-level only).
public struct AttributeRights: Sendable, Hashable {
    public var read: Bool
    public var insert: Bool
    public var update: Bool

    public static let none = AttributeRights(read: false, insert: false, update: false)

    public init(read: Bool, insert: Bool, update: Bool) {
        self.read = read
        self.insert = insert
        self.update = update
    }

    /// Whether the right is granted; `delete` is never an attribute right.
    public func allows(_ right: TableRight) -> Bool {
        switch right {
        case .read: read
        case .insert: insert
        case .update: update
        case .delete: false
        }
    }

    /// Visible to `describe_*`: any flag set.
    public var isVisible: Bool { read || insert || update }
}

/// A role's rights on one table: the four CRUD flags and, optionally, per-attribute rights.
public struct TableRights: Sendable, Hashable {
    public var read: Bool
    public var insert: Bool
    public var update: Bool
    public var delete: Bool
    /// The `attribute_permissions` entries in the order given. Empty: attributes follow the table flags.
    public var attributes: [(name: String, rights: AttributeRights)] {
        get { attributeNames.map { ($0, attributeRights[$0]!) } }
        set {
            attributeNames = []
            attributeRights = [:]
            for (name, rights) in newValue where attributeRights.updateValue(rights, forKey: name) == nil {
                attributeNames.append(name)
            }
        }
    }
    private var attributeNames: [String] = []
    private var attributeRights: [String: AttributeRights] = [:]

    /// Full CRUD, no attribute restrictions (structure users).
    public static let full = TableRights(read: true, insert: true, update: true, delete: true)

    public init(read: Bool, insert: Bool, update: Bool, delete: Bool,
                attributes: [(name: String, rights: AttributeRights)] = []) {
        self.read = read
        self.insert = insert
        self.update = update
        self.delete = delete
        self.attributes = attributes
    }

    public static func == (a: TableRights, b: TableRights) -> Bool {
        a.read == b.read && a.insert == b.insert && a.update == b.update && a.delete == b.delete
            && a.attributeNames == b.attributeNames && a.attributeRights == b.attributeRights
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(read); hasher.combine(insert); hasher.combine(update); hasher.combine(delete)
        hasher.combine(attributeNames)
    }

    public func allows(_ right: TableRight) -> Bool {
        switch right {
        case .read: read
        case .insert: insert
        case .update: update
        case .delete: delete
        }
    }

    /// A table is visible when any of its CRUD flags is set.
    public var isVisible: Bool { read || insert || update || delete }

    /// Whether `attribute_permissions` restricts this table's attributes.
    public var restrictsAttributes: Bool { !attributeNames.isEmpty }

    /// The rights on `attribute` (security.md §4.2 rules 2–5).
    /// - Parameter primaryKey: The table's primary key, which inherits every right any listed attribute has.
    public func rights(for attribute: String, primaryKey: String?) -> AttributeRights {
        guard restrictsAttributes else {
            return AttributeRights(read: read, insert: insert, update: update)
        }
        if let listed = attributeRights[attribute] {
            if PermissionSet.timestampAttributes.contains(attribute) {
                return AttributeRights(read: listed.read, insert: false, update: false)
            }
            return listed
        }
        if attribute == primaryKey {
            var union = AttributeRights.none
            for (name, rights) in attributeRights {
                let timestamp = PermissionSet.timestampAttributes.contains(name)  // only `read` is honoured
                union.read = union.read || rights.read
                union.insert = union.insert || (rights.insert && !timestamp)
                union.update = union.update || (rights.update && !timestamp)
            }
            return union
        }
        return .none
    }
}

/// Which databases a structure user may reshape.
public enum StructureAccess: Sendable, Hashable {
    case none
    case all
    case databases([String])

    public func includes(_ database: String) -> Bool {
        switch self {
        case .none: false
        case .all: true
        case .databases(let names): names.contains(database)
        }
    }
}

/// A permission that refuses a table request, as security.md §7.2–7.3 reports it.
public struct TableRefusal: Sendable, Hashable {
    public var database: String
    public var table: String
    /// Table rights the role lacks (`["insert"]`).
    public var requiredTablePermissions: [TableRight]
    /// Attributes with the rights the role lacks on each, in first-seen order.
    public var requiredAttributePermissions: [AttributeRefusal]

    public init(database: String, table: String, requiredTablePermissions: [TableRight],
                requiredAttributePermissions: [AttributeRefusal] = []) {
        self.database = database
        self.table = table
        self.requiredTablePermissions = requiredTablePermissions
        self.requiredAttributePermissions = requiredAttributePermissions
    }

    /// `{"schema", "table", "required_table_permissions", "required_attribute_permissions"}`.
    public var json: Value {
        var o = JSONObject()
        o.appendUnchecked("schema", .string(database))
        o.appendUnchecked("table", .string(table))
        o.appendUnchecked("required_table_permissions", .array(requiredTablePermissions.map { .string($0.rawValue) }))
        o.appendUnchecked("required_attribute_permissions", .array(requiredAttributePermissions.map(\.json)))
        return .object(o)
    }
}

/// One attribute of a ``TableRefusal``.
public struct AttributeRefusal: Sendable, Hashable {
    public var attribute: String
    public var requiredPermissions: [TableRight]

    public init(attribute: String, requiredPermissions: [TableRight]) {
        self.attribute = attribute
        self.requiredPermissions = requiredPermissions
    }

    public var json: Value {
        var o = JSONObject()
        o.appendUnchecked("attribute_name", .string(attribute))
        o.appendUnchecked("required_permissions", .array(requiredPermissions.map { .string($0.rawValue) }))
        return .object(o)
    }
}

/// Why a table request was refused.
public enum PermissionDenial: Error, Sendable, Hashable {
    /// The permission object: table refusals and names the role may not see.
    case refused(unauthorizedAccess: [TableRefusal], invalidSchemaItems: [String])
    /// A write naming `__createdtime__`/`__updatedtime__` under attribute permissions.
    case timestampWrite
}

/// A role's permission JSON, parsed once (security.md §4.2) and checked without I/O.
///
/// ```swift
/// let permissions = PermissionSet(role.permission)
/// if let denial = permissions.denial(database: "dev", table: "dog", primaryKey: "id",
///                                    required: [.insert], attributes: ["id", "name"]) { throw ... }
/// ```
public struct PermissionSet: Sendable, Hashable {
    /// Attributes the engine maintains: only their `read` flag is honoured.
    public static let timestampAttributes: Set<String> = ["__createdtime__", "__updatedtime__"]

    public var isSuperUser: Bool
    public var isClusterUser: Bool
    public var structure: StructureAccess
    /// database → table → rights, as listed in the permission JSON.
    public var tables: [String: [String: TableRights]]
    /// Databases whose entry carries `"describe": true`.
    public var describableDatabases: Set<String>
    /// The permission object had no keys at all (or the user has no role).
    public var isEmpty: Bool

    /// Parses a stored permission object leniently: anything malformed grants nothing
    /// (validation of new roles is ``RolePermissionValidator``'s job).
    public init(_ permission: JSONObject) {
        isEmpty = permission.isEmpty
        isSuperUser = permission["super_user"] == .bool(true)
        isClusterUser = permission["cluster_user"] == .bool(true)
        switch permission["structure_user"] {
        case .bool(true)?: structure = .all
        case .array(let names)?: structure = .databases(names.compactMap(\.stringValue))
        default: structure = .none
        }
        tables = [:]
        describableDatabases = []
        for entry in permission where !RolePermissionValidator.reservedKeys.contains(entry.key) {
            guard case .object(let database) = entry.value else { continue }
            if database["describe"] == .bool(true) { describableDatabases.insert(entry.key) }
            guard case .object(let tableObjects)? = database["tables"] else { continue }
            var rights: [String: TableRights] = [:]
            for table in tableObjects {
                guard case .object(let t) = table.value else { continue }
                var attributes: [(name: String, rights: AttributeRights)] = []
                if case .array(let entries)? = t["attribute_permissions"] {
                    for case .object(let a) in entries {
                        guard case .string(let name)? = a["attribute_name"] else { continue }
                        attributes.append((name, AttributeRights(read: a["read"] == .bool(true),
                                                                 insert: a["insert"] == .bool(true),
                                                                 update: a["update"] == .bool(true))))
                    }
                }
                rights[table.key] = TableRights(read: t["read"] == .bool(true), insert: t["insert"] == .bool(true),
                                                update: t["update"] == .bool(true), delete: t["delete"] == .bool(true),
                                                attributes: attributes)
            }
            tables[entry.key] = rights
        }
    }

    /// The rights on `database.table`, or nil when the role grants nothing there.
    /// Structure users get full CRUD on every table they may reshape.
    public func rights(database: String, table: String) -> TableRights? {
        if isSuperUser || structure.includes(database) { return .full }
        return tables[database]?[table]
    }

    /// Whether `describe_*` and error texts may reveal the database.
    public func isDatabaseVisible(_ database: String) -> Bool {
        if isSuperUser || structure.includes(database) || describableDatabases.contains(database) { return true }
        return tables[database]?.values.contains(where: \.isVisible) ?? false
    }

    /// Whether `describe_*` may reveal the table.
    public func isTableVisible(database: String, table: String) -> Bool {
        rights(database: database, table: table)?.isVisible ?? false
    }

    /// Whether the attribute appears in `describe_*` output.
    public func isAttributeVisible(database: String, table: String, attribute: String, primaryKey: String?) -> Bool {
        guard let rights = rights(database: database, table: table), rights.isVisible else { return false }
        return rights.rights(for: attribute, primaryKey: primaryKey).isVisible
    }

    /// May create/drop tables and attributes in `database` (and, for `structure_user: true`, databases).
    public func mayChangeStructure(in database: String) -> Bool {
        isSuperUser || structure.includes(database)
    }

    /// The attributes `get_attributes: ["*"]` stands for (security.md §7.4): all of `attributes`
    /// when the role does not restrict the table, else the readable ones, in table order.
    public func readableAttributes(database: String, table: String, of attributes: [String], primaryKey: String?) -> [String] {
        guard let rights = rights(database: database, table: table), rights.read else { return [] }
        guard rights.restrictsAttributes else { return attributes }
        return attributes.filter { rights.rights(for: $0, primaryKey: primaryKey).read }
    }

    /// The table-level and attribute-level checks of security.md §7.2–7.3, or nil when allowed.
    /// - Parameters:
    ///   - required: The table rights the operation needs (`[.insert, .update]` for upsert).
    ///   - attributes: Attributes the request touches (written, searched or returned); `*` is skipped.
    public func denial(database: String, table: String, primaryKey: String?,
                       required: [TableRight], attributes: [String] = []) -> PermissionDenial? {
        if isSuperUser { return nil }
        guard let rights = rights(database: database, table: table), rights.isVisible else {
            let item = isDatabaseVisible(database)
                ? "Table '\(database).\(table)' does not exist" : "database '\(database)' does not exist"
            return .refused(unauthorizedAccess: [], invalidSchemaItems: [item])
        }
        let missing = required.filter { !rights.allows($0) }
        if !missing.isEmpty {
            return .refused(unauthorizedAccess: [TableRefusal(database: database, table: table, requiredTablePermissions: missing)],
                            invalidSchemaItems: [])
        }
        guard rights.restrictsAttributes else { return nil }
        let needed = required.filter { $0 != .delete }
        let writes = needed.contains(.insert) || needed.contains(.update)
        var seen: Set<String> = []
        var refusals: [AttributeRefusal] = []
        var invalid: [String] = []
        for attribute in attributes where attribute != "*" && seen.insert(attribute).inserted {
            if writes && Self.timestampAttributes.contains(attribute) { return .timestampWrite }
            let granted = rights.rights(for: attribute, primaryKey: primaryKey)
            guard granted.isVisible else {
                invalid.append("Attribute '\(attribute)' does not exist on '\(database).\(table)'")
                continue
            }
            let lacking = needed.filter { !granted.allows($0) }
            if !lacking.isEmpty { refusals.append(AttributeRefusal(attribute: attribute, requiredPermissions: lacking)) }
        }
        if refusals.isEmpty && invalid.isEmpty { return nil }
        let access = refusals.isEmpty ? [] : [TableRefusal(database: database, table: table, requiredTablePermissions: [],
                                                            requiredAttributePermissions: refusals)]
        return .refused(unauthorizedAccess: access, invalidSchemaItems: invalid)
    }
}
