import LyreCore
import LyreStorage

/// Databases, tables and attributes (databases-and-tables.md §4–6).
enum SchemaOperations {
    static func register(into registry: inout OperationRegistry) {
        registry.register(.createDatabase, .async(createDatabase))
        registry.register(.dropDatabase, .async(dropDatabase))
        registry.register(.createTable, .async(createTable))
        registry.register(.dropTable, .async(dropTable))
        registry.register(.createAttribute, .async(createAttribute))
        registry.register(.dropAttribute, .async(dropAttribute))
        registry.register(.describeAll, .sync(describeAll))
        registry.register(.describeDatabase, .sync(describeDatabase))
        registry.register(.describeTable, .sync(describeTable))
    }

    // MARK: Databases

    @Sendable static func createDatabase(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        let name: String
        if let (field, value) = request.databaseField {
            let problems = NameRules.problems(value, field: field)
            guard problems.isEmpty else { throw LyreError.validation(problems) }
            name = value.stringValue!
        } else {
            name = StorageEngine.defaultDatabase
        }
        try context.app.storage.createDatabase(name)
        return .message("database '\(name)' successfully created")
    }

    @Sendable static func dropDatabase(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        guard let (field, value) = request.databaseField else { throw LyreError.validation("'database' is required") }
        guard case .string(let name) = value else { throw LyreError.validation("'\(field)' must be a string") }
        if name == StorageEngine.systemDatabase { throw LyreError.systemProtected }
        try context.app.storage.dropDatabase(name)
        return .message("successfully deleted '\(name)'")
    }

    // MARK: Tables

    @Sendable static func createTable(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        var problems: [String] = []
        if let (field, value) = request.databaseField {
            if field == "database", !NameRules.problems(value, field: "database").isEmpty {
                problems += NameRules.problems(value, field: "database")
                problems += NameRules.problems(value, field: "schema")
            } else {
                problems += NameRules.problems(value, field: field)
            }
        }
        problems += NameRules.problems(request["table"], field: "table")
        // `primary_key` (preferred) or its alias `hash_attribute`; null counts as absent.
        let given = ["primary_key", "hash_attribute"].first { request[$0].map { !$0.isNull } ?? false }
        let keyField = given ?? "primary_key"
        let keyValue = given.flatMap { request[$0] }
        problems += NameRules.problems(keyValue, field: keyField)
        guard problems.isEmpty else { throw LyreError.validation(problems) }
        let database = request.databaseField?.value.stringValue ?? StorageEngine.defaultDatabase
        let table = request["table"]!.stringValue!
        let primaryKey = keyValue!.stringValue!
        if request["residence"] != nil {
            throw LyreError.badRequest("Clustering does not appear to be enabled. Cannot insert table with property 'residence'.")
        }
        if database == StorageEngine.systemDatabase { throw LyreError.systemProtected }
        let audit = try request.bool("audit") ?? true
        let expiration: Int?
        switch request["expiration"] {
        case nil, .null?: expiration = nil
        case let v?:
            guard let seconds = v.intValue, seconds > 0 else { throw LyreError.validation("'expiration' must be a positive integer") }
            expiration = Int(seconds)
        }
        let declared = try declaredAttributes(request, primaryKey: primaryKey)
        let db = try context.app.storage.databaseCreatingIfNeeded(database)
        if db.table(table) != nil { throw LyreError.tableExists(database, table) }
        _ = try await db.write { ctx in
            try ctx.createTable(table, primaryKey: primaryKey, schemaDefined: declared != nil, audit: audit,
                                expiration: expiration, declaredAttributes: declared ?? [])
        }
        return .message("table '\(database).\(table)' successfully created.")
    }

    /// The `attributes` of a schema-defined table, or nil for a dynamic table.
    private static func declaredAttributes(_ request: Request, primaryKey: String) throws -> [AttributeDefinition]? {
        guard let value = request["attributes"], !value.isNull else { return nil }
        guard case .array(let elements) = value else { throw LyreError.validation("'attributes' must be an array") }
        // Attribute ids are 16 bits: 70,000 attributes trapped in UInt16(_:).
        guard elements.count < Int(UInt16.max) else {
            throw LyreError.validation("'attributes' must contain less than or equal to 65534 items")
        }
        var result: [AttributeDefinition] = []
        for (i, element) in elements.enumerated() {
            guard case .string(let name)? = element["name"] else {
                throw LyreError.validation("'attributes[\(i)].name' is required")
            }
            if let problem = NameRules.attributeProblem(name) { throw LyreError.validation(problem) }
            let isKey = name == primaryKey || element["is_primary_key"] == .bool(true)
            let indexed = element["indexed"]?.boolValue ?? isKey
            result.append(AttributeDefinition(name: name, id: UInt16(i), indexed: indexed, isPrimaryKey: isKey,
                                              type: element["type"]?.stringValue))
        }
        return result
    }

    @Sendable static func dropTable(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        var problems = request.databaseField.map { NameRules.problems($0.value, field: $0.field) } ?? []
        problems += NameRules.problems(request["table"], field: "table")
        guard problems.isEmpty else { throw LyreError.validation(problems) }
        let database = try request.database()
        let table = try request.table()
        if database == StorageEngine.systemDatabase { throw LyreError.systemProtected }
        let db = try TableAccess.database(database, in: context, status: 404)
        guard db.table(table) != nil else { throw LyreError.tableNotFound(database, table) }
        try await db.write { ctx in try ctx.dropTable(table) }
        return .message("successfully deleted table '\(database).\(table)'")
    }

    // MARK: Attributes

    @Sendable static func createAttribute(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        let (database, table, attribute) = try attributeTarget(request)
        if let problem = NameRules.attributeProblem(attribute) { throw LyreError.validation(problem) }
        if database == StorageEngine.systemDatabase { throw LyreError.systemProtected }
        let indexed = try request.bool("indexed") ?? true
        let db = try TableAccess.database(database, in: context, status: 404)
        guard let definition = db.table(table) else { throw LyreError.tableNotFound(database, table) }
        if definition.attribute(attribute) != nil { throw LyreError.attributeExists(database, table, attribute) }
        let added = try await db.write { ctx in try ctx.createAttribute(attribute, in: table, indexed: indexed) }
        guard added else { throw LyreError.attributeExists(database, table, attribute) }
        return .message("attribute '\(database).\(table).\(attribute)' successfully created.")
    }

    @Sendable static func dropAttribute(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        let (database, table, attribute) = try attributeTarget(request)
        if database == StorageEngine.systemDatabase { throw LyreError.systemProtected }
        let db = try TableAccess.database(database, in: context, status: 404)
        guard let definition = db.table(table) else { throw LyreError.tableNotFound(database, table) }
        if attribute == definition.primaryKey { throw LyreError.validation("You cannot drop a hash attribute") }
        if attribute == TableDefinition.createdTime || attribute == TableDefinition.updatedTime {
            throw LyreError.validation("cannot drop internal timestamp attribute: \(attribute)")
        }
        let removeFromRecords = !definition.schemaDefined
        try await db.write { ctx in try ctx.dropAttribute(attribute, from: table, removeFromRecords: removeFromRecords) }
        return .message("successfully deleted attribute '\(attribute)'")
    }

    private static func attributeTarget(_ request: Request) throws -> (String, String, String) {
        var problems: [String] = []
        if request["table"] == nil || request["table"]!.isNull { problems.append("'table' is required") }
        switch request["attribute"] {
        case nil, .null?: problems.append("'attribute' is required")
        case .string?: break
        default: problems.append("'attribute' must be a string")
        }
        guard problems.isEmpty else { throw LyreError.validation(problems) }
        return (try request.database(), try request.table(), request["attribute"]!.stringValue!)
    }
}
