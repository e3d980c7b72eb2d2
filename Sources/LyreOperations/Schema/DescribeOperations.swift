import LyreCore
import LyreStorage

extension SchemaOperations {
    @Sendable static func describeAll(_ request: Request, _ context: OperationContext) throws -> OutgoingResponse.Body {
        _ = try request.bool("exact_count")
        var result = JSONObject()
        let user = context.user
        for name in context.app.storage.databaseNames where name != StorageEngine.systemDatabase {
            guard let db = context.app.storage.database(name), user.isSuperUser || user.permissions.isDatabaseVisible(name)
            else { continue }
            result.appendUnchecked(name, try describe(db, for: user))
        }
        return .json(.object(result))
    }

    @Sendable static func describeDatabase(_ request: Request, _ context: OperationContext) throws -> OutgoingResponse.Body {
        try Authorization.checkSystemMetadata(request, user: context.user)
        if let (field, value) = request.databaseField, value.stringValue == nil {
            throw LyreError.validation("'\(field)' must be a string")
        }
        _ = try request.bool("exact_count")
        try Authorization.checkDescribe(database: try request.database(), table: nil, user: context.user)
        let db = try TableAccess.database(try request.database(), in: context, status: 404)
        return .json(try describe(db, for: context.user))
    }

    @Sendable static func describeTable(_ request: Request, _ context: OperationContext) throws -> OutgoingResponse.Body {
        try Authorization.checkSystemMetadata(request, user: context.user)
        guard let table = request["table"], !table.isNull else { throw LyreError.validation("'table' is required") }
        guard table.stringValue != nil else { throw LyreError.validation("'table' must be a string") }
        if let (field, value) = request.databaseField, value.stringValue == nil {
            throw LyreError.validation("'\(field)' must be a string")
        }
        _ = try request.bool("exact_count")
        try Authorization.checkDescribe(database: try request.database(), table: try request.table(), user: context.user)
        let (db, definition) = try TableAccess.table(request, in: context, status: 404)
        return .json(try describe(definition, in: db, for: context.user))
    }

    /// `{table name: description}` for every table of a database the user may see (security.md §7.5).
    static func describe(_ db: Database, for user: User? = nil) throws -> Value {
        let catalog = db.catalog
        let sizes = try DatabaseSizes(db)
        var tables = JSONObject()
        for name in catalog.tableNames {
            if let user, !user.isSuperUser, !user.permissions.isTableVisible(database: db.name, table: name) { continue }
            tables.appendUnchecked(name, try describe(catalog.tables[name]!, in: db, lastUpdated: catalog.lastUpdated[name],
                                                      for: user, sizes: sizes))
        }
        return .object(tables)
    }

    /// The sizes every table description of a database repeats: Harper 4.x's `db_size` (the
    /// database file) and `db_audit_size` (its audit store, here every table's audit log).
    /// From LMDB's page counts, never by reading records.
    struct DatabaseSizes {
        var file: Int
        var audit: Int

        init(_ db: Database) throws {
            let tables = Array(db.catalog.tables.values)
            file = db.fileSize
            audit = try db.read(completeIndexes: false) { txn in
                try tables.reduce(0) { sum, table in try sum + (table.auditLog.map { try txn.statistics($0).bytes } ?? 0) }
            }
        }
    }

    /// The table-description object of databases-and-tables.md §3, listing only the attributes
    /// `user` may see, with Harper 4.x's sizes in its order: `db_size` after `attributes`,
    /// `table_size` and `db_audit_size` after `record_count`. `table_size` is the pages of the
    /// table's record and index B-trees times the page size (`mdb_stat`).
    /// - Parameter sizes: the database's sizes when describing several of its tables.
    static func describe(_ table: TableDefinition, in db: Database, lastUpdated: Double?? = nil, for user: User? = nil,
                         sizes: DatabaseSizes? = nil) throws -> Value {
        let sizes = try sizes ?? DatabaseSizes(db)
        let visible = table.attributes.filter { attribute in
            guard let user, !user.isSuperUser else { return true }
            return user.permissions.isAttributeVisible(database: table.database, table: table.name,
                                                       attribute: attribute.name, primaryKey: table.primaryKey)
        }
        let (count, tableSize) = try db.read(completeIndexes: false) { txn in
            (try txn.count(table.records), try txn.statistics(table.records).bytes + txn.statistics(table.index).bytes)
        }
        var o = JSONObject()
        o.appendUnchecked("schema", .string(table.database))
        o.appendUnchecked("name", .string(table.name))
        o.appendUnchecked("hash_attribute", .string(table.primaryKey))
        o.appendUnchecked("audit", .bool(table.audit))
        o.appendUnchecked("schema_defined", .bool(table.schemaDefined))
        o.appendUnchecked("attributes", .array(visible.map { attribute in
            var a = JSONObject()
            a.appendUnchecked("attribute", .string(attribute.name))
            a.appendUnchecked("indexed", .bool(attribute.indexed || attribute.isPrimaryKey))
            if attribute.isPrimaryKey { a.appendUnchecked("is_primary_key", true) }
            if let type = attribute.type { a.appendUnchecked("type", .string(type)) }
            return .object(a)
        }))
        o.appendUnchecked("db_size", .int(Int64(sizes.file)))
        if let expiration = table.expiration { o.appendUnchecked("expiration", .string("\(expiration)s")) }
        o.appendUnchecked("record_count", .int(Int64(count)))
        o.appendUnchecked("table_size", .int(Int64(tableSize)))
        o.appendUnchecked("db_audit_size", .int(Int64(sizes.audit)))
        let updated = lastUpdated ?? db.catalog.lastUpdated[table.name]
        if let updated { o.appendUnchecked("last_updated_record", .double(updated)) }
        return .object(o)
    }
}
