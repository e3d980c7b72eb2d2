package import LyreCore

/// One attribute of a table as the catalog records it.
package struct AttributeDefinition: Sendable, Hashable {
    package var name: String
    /// Prefix of this attribute's entries in the table's index DBI.
    package var id: UInt16
    package var indexed: Bool
    package var isPrimaryKey: Bool
    /// Declared type on schema-defined tables (`String`, `Int`, ...).
    package var type: String?

    package init(name: String, id: UInt16, indexed: Bool = true, isPrimaryKey: Bool = false, type: String? = nil) {
        self.name = name
        self.id = id
        self.indexed = indexed
        self.isPrimaryKey = isPrimaryKey
        self.type = type
    }
}

/// A table's definition. The persistent part is stored in the database's `__catalog` DBI;
/// the DBI handles are opened when the database opens.
package struct TableDefinition: Sendable {
    package var database: String
    package var name: String
    package var primaryKey: String
    package var schemaDefined: Bool
    package var audit: Bool
    /// Time-to-live in seconds, if any.
    package var expiration: Int?
    /// In the order they were added. Changed only through `appendAttribute` and
    /// `removeAttribute(named:)`, which keep `positions` in step.
    package private(set) var attributes: [AttributeDefinition]
    /// Each attribute's index in `attributes`, by name: a table with thousands of attributes
    /// looks one up per value it writes or reads (a linear search made a 300-record insert of
    /// 3,000 attributes take 77 s; the HTTP fuzzer, session 11).
    private var positions: [String: Int] = [:]
    package var nextAttributeID: UInt16
    package var createdTime: Double

    /// Records: key = encoded primary key, value = encoded record.
    package var records: DBI
    /// Secondary indexes: one entry per (attribute, value, record), see `TableIndex`.
    package var index: DBI
    /// The audit log (`a/<table>`, see `AuditLog.swift`), once the table has entries.
    package var auditLog: DBI?

    package static let createdTime = "__createdtime__"
    package static let updatedTime = "__updatedtime__"

    package func attribute(_ name: String) -> AttributeDefinition? {
        positions[name].map { attributes[$0] }
    }

    package mutating func appendAttribute(_ attribute: AttributeDefinition) {
        positions[attribute.name] = attributes.count
        attributes.append(attribute)
    }

    package mutating func removeAttribute(named name: String) {
        attributes.removeAll { $0.name == name }
        positions = Self.positions(of: attributes)
    }

    private static func positions(of attributes: [AttributeDefinition]) -> [String: Int] {
        var positions: [String: Int] = [:]
        positions.reserveCapacity(attributes.count)
        // The first of a repeated name wins, as the linear search did.
        for (i, attribute) in attributes.enumerated() where positions[attribute.name] == nil { positions[attribute.name] = i }
        return positions
    }

    package var attributeNames: [String] { attributes.map(\.name) }

    /// Whether the server maintains `__createdtime__` / `__updatedtime__` on this table.
    package var maintainsTimestamps: Bool {
        !schemaDefined || attribute(Self.createdTime) != nil || attribute(Self.updatedTime) != nil
    }

    static func recordsDBIName(_ table: String) -> String { "t/" + table }
    package static func indexDBIName(_ table: String) -> String { "i/" + table }

    /// The definition replication sends with a table's creation or full copy (the
    /// catalog entry: primary key, attributes, `schema_defined`, `audit`, `expiration`).
    package var replicationDefinition: JSONObject { catalogEntry }

    /// The persistent description (without DBI handles).
    var catalogEntry: JSONObject {
        var o = JSONObject()
        o.appendUnchecked("name", .string(name))
        o.appendUnchecked("primary_key", .string(primaryKey))
        o.appendUnchecked("schema_defined", .bool(schemaDefined))
        o.appendUnchecked("audit", .bool(audit))
        if let expiration { o.appendUnchecked("expiration", .int(Int64(expiration))) }
        o.appendUnchecked("next_attribute_id", .int(Int64(nextAttributeID)))
        o.appendUnchecked("created_time", .double(createdTime))
        o.appendUnchecked("attributes", .array(attributes.map { a in
            var e = JSONObject()
            e.appendUnchecked("name", .string(a.name))
            e.appendUnchecked("id", .int(Int64(a.id)))
            e.appendUnchecked("indexed", .bool(a.indexed))
            if a.isPrimaryKey { e.appendUnchecked("is_primary_key", true) }
            if let type = a.type { e.appendUnchecked("type", .string(type)) }
            return .object(e)
        }))
        return o
    }

    init(database: String, catalogEntry o: JSONObject, records: DBI, index: DBI) throws {
        guard let name = o["name"]?.stringValue, let pk = o["primary_key"]?.stringValue,
              let attrs = o["attributes"]?.arrayValue else {
            throw LyreError.internalError(CatalogCorrupt(database: database))
        }
        self.database = database
        self.name = name
        self.primaryKey = pk
        self.schemaDefined = o["schema_defined"]?.boolValue ?? false
        self.audit = o["audit"]?.boolValue ?? true
        self.expiration = o["expiration"]?.intValue.map { Int($0) }
        self.nextAttributeID = UInt16(o["next_attribute_id"]?.intValue ?? Int64(attrs.count))
        self.createdTime = o["created_time"]?.doubleValue ?? 0
        self.attributes = attrs.compactMap { v in
            guard let n = v["name"]?.stringValue, let id = v["id"]?.intValue else { return nil }
            return AttributeDefinition(
                name: n, id: UInt16(id), indexed: v["indexed"]?.boolValue ?? true,
                isPrimaryKey: v["is_primary_key"]?.boolValue ?? false, type: v["type"]?.stringValue)
        }
        positions = Self.positions(of: attributes)
        self.records = records
        self.index = index
    }

    package init(database: String, name: String, primaryKey: String, schemaDefined: Bool, audit: Bool,
                 expiration: Int?, attributes: [AttributeDefinition], createdTime: Double, records: DBI, index: DBI) {
        self.database = database
        self.name = name
        self.primaryKey = primaryKey
        self.schemaDefined = schemaDefined
        self.audit = audit
        self.expiration = expiration
        self.attributes = attributes
        positions = Self.positions(of: attributes)
        self.nextAttributeID = (attributes.map(\.id).max() ?? 0) &+ 1
        self.createdTime = createdTime
        self.records = records
        self.index = index
    }
}

struct CatalogCorrupt: Error, Sendable, CustomStringConvertible {
    let database: String
    var description: String { "catalog of database '\(database)' is unreadable" }
}

/// The tables of one database at one committed point in time. An immutable value:
/// readers take a copy; the writer publishes a new one after each commit.
package struct DatabaseCatalog: Sendable {
    package var name: String
    package var tables: [String: TableDefinition]
    /// Per table: time of the most recent committed write (ms).
    package var lastUpdated: [String: Double]
    /// The index backlog as of this commit.
    package var indexBacklog: IndexBacklogState
    /// When the database was created (ms; `__meta` key `created`): replication decides a
    /// drop against a re-creation by it, as for tables. Nil in a file written before it was
    /// kept (its newest table's creation stands in: `replicationCreatedTime`).
    package var createdTime: Double?
    /// When records expire (`Expiry`).
    let expiryDBI: DBI

    init(name: String, indexBacklog: IndexBacklogState, expiryDBI: DBI) {
        self.name = name
        tables = [:]
        lastUpdated = [:]
        self.indexBacklog = indexBacklog
        self.expiryDBI = expiryDBI
    }

    /// The database's creation time as replication uses it: the kept one, else (a file
    /// written before it was kept) its newest table's creation, else 0 (a drop elsewhere wins).
    package var replicationCreatedTime: Double {
        createdTime ?? tables.values.map(\.createdTime).max() ?? 0
    }

    /// Whether some table of the database has an `expiration`.
    package var hasExpiringTables: Bool { tables.values.contains { $0.expiration != nil } }

    package subscript(table: String) -> TableDefinition? { tables[table] }

    /// Table names in a stable (sorted) order.
    package var tableNames: [String] { tables.keys.sorted() }
}
