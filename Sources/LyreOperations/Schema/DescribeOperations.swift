import LyreCore
import LyreStorage

extension SchemaOperations {
    @Sendable static func describeAll(_ request: Request, _ context: OperationContext) throws -> OutgoingResponse.Body {
        _ = try request.bool("exact_count")
        var result = JSONObject()
        for name in context.app.storage.databaseNames where name != StorageEngine.systemDatabase {
            guard let db = context.app.storage.database(name) else { continue }
            result.appendUnchecked(name, try describe(db))
        }
        return .json(.object(result))
    }

    @Sendable static func describeDatabase(_ request: Request, _ context: OperationContext) throws -> OutgoingResponse.Body {
        if let (field, value) = request.databaseField, value.stringValue == nil {
            throw LyreError.validation("'\(field)' must be a string")
        }
        _ = try request.bool("exact_count")
        let db = try TableAccess.database(try request.database(), in: context, status: 404)
        return .json(try describe(db))
    }

    @Sendable static func describeTable(_ request: Request, _ context: OperationContext) throws -> OutgoingResponse.Body {
        guard let table = request["table"], !table.isNull else { throw LyreError.validation("'table' is required") }
        guard table.stringValue != nil else { throw LyreError.validation("'table' must be a string") }
        if let (field, value) = request.databaseField, value.stringValue == nil {
            throw LyreError.validation("'\(field)' must be a string")
        }
        _ = try request.bool("exact_count")
        let (db, definition) = try TableAccess.table(request, in: context, status: 404)
        return .json(try describe(definition, in: db))
    }

    /// `{table name: description}` for every table of a database.
    static func describe(_ db: Database) throws -> Value {
        let catalog = db.catalog
        var tables = JSONObject()
        for name in catalog.tableNames {
            tables.appendUnchecked(name, try describe(catalog.tables[name]!, in: db, lastUpdated: catalog.lastUpdated[name]))
        }
        return .object(tables)
    }

    /// The table-description object of databases-and-tables.md §3.
    static func describe(_ table: TableDefinition, in db: Database, lastUpdated: Double?? = nil) throws -> Value {
        let count = try db.read { txn in try txn.count(table.records) }
        var o = JSONObject()
        o.appendUnchecked("schema", .string(table.database))
        o.appendUnchecked("name", .string(table.name))
        o.appendUnchecked("hash_attribute", .string(table.primaryKey))
        o.appendUnchecked("audit", .bool(table.audit))
        o.appendUnchecked("schema_defined", .bool(table.schemaDefined))
        o.appendUnchecked("attributes", .array(table.attributes.map { attribute in
            var a = JSONObject()
            a.appendUnchecked("attribute", .string(attribute.name))
            a.appendUnchecked("indexed", .bool(attribute.indexed || attribute.isPrimaryKey))
            if attribute.isPrimaryKey { a.appendUnchecked("is_primary_key", true) }
            if let type = attribute.type { a.appendUnchecked("type", .string(type)) }
            return .object(a)
        }))
        o.appendUnchecked("record_count", .int(Int64(count)))
        if let expiration = table.expiration { o.appendUnchecked("expiration", .string("\(expiration)s")) }
        let updated = lastUpdated ?? db.catalog.lastUpdated[table.name]
        if let updated { o.appendUnchecked("last_updated_record", .double(updated)) }
        return .object(o)
    }
}
