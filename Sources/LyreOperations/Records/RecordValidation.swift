import LyreCore
import LyreStorage

/// The shared checks of every record write (nosql.md §1.2–1.4), in the spec's order.
enum RecordValidation {
    /// Steps 1–5: `table`, `records` present and well-formed, no invalid property names.
    static func records(_ request: Request) throws -> [JSONObject] {
        guard let table = request["table"], !table.isNull else { throw LyreError.validation("'table' is required") }
        _ = table
        guard let value = request["records"], !value.isNull else { throw LyreError.validation("'records' is required") }
        guard case .array(let elements) = value else { throw LyreError.validation("'records' must be an array") }
        var records: [JSONObject] = []
        records.reserveCapacity(elements.count)
        var problems: [String] = []
        var invalidNames: [String] = []
        for (i, element) in elements.enumerated() {
            guard case .object(let record) = element else {
                problems.append("'records[\(i)]' must be of type object")
                continue
            }
            for entry in record where entry.key.isEmpty || entry.key == "null" || entry.key == "undefined" {
                if !invalidNames.contains(entry.key) { invalidNames.append(entry.key) }
            }
            records.append(record)
        }
        problems += invalidNames.map { "Invalid attribute name: '\($0)'" }
        guard problems.isEmpty else { throw LyreError.validation(problems) }
        return records
    }

    /// Steps 8–11 against the table: primary keys present (update) and valid, new
    /// attribute names valid. Runs before the write so a bad batch never reaches the writer.
    static func check(_ records: [JSONObject], table: TableDefinition, mode: WriteMode) throws {
        let key = table.primaryKey
        for record in records {
            let value = record[key] ?? .null
            let missing = value.isNull || value == .string("")
            if missing {
                if mode == .update {
                    throw LyreError.validation("a valid hash attribute must be provided with update record, check log for more info")
                }
                continue
            }
            if case .string(let s) = value, s == "null" || s == "undefined" {
                throw LyreError.validation("Invalid hash value: '\(s)' is not a valid hash attribute value, check log for more info")
            }
            _ = try WriteContext.encodePrimaryKey(value)
        }
        guard !table.schemaDefined, let names = WriteContext.unknownAttributes(in: records, of: table) else { return }
        for name in names {
            if let problem = NameRules.attributeProblem(name) { throw LyreError.validation(problem) }
        }
    }
}

/// Protection of the `system` database (databases-and-tables.md §8.2).
enum SystemTables {
    static func checkWrite(_ table: TableDefinition, mode: WriteMode, user: User) throws {
        guard table.database == StorageEngine.systemDatabase else { return }
        let writable = user.isSuperUser && SystemDatabase.superUserWritable.contains(table.name)
        if writable { return }
        if mode == .insert {
            throw LyreError.unauthorized(access: [Permissions.tableRefusal(table, required: ["insert"])])
        }
        throw LyreError.systemProtected
    }

    static func checkDelete(_ table: TableDefinition, user: User) throws {
        guard table.database == StorageEngine.systemDatabase else { return }
        if user.isSuperUser && SystemDatabase.superUserWritable.contains(table.name) { return }
        throw LyreError.systemProtected
    }
}

/// Builders of the permission-refusal objects (security.md §7).
enum Permissions {
    static func tableRefusal(_ table: TableDefinition, required: [String], attributes: [Value] = []) -> Value {
        var o = JSONObject()
        o.appendUnchecked("schema", .string(table.database))
        o.appendUnchecked("table", .string(table.name))
        o.appendUnchecked("required_table_permissions", .array(required.map { .string($0) }))
        o.appendUnchecked("required_attribute_permissions", .array(attributes))
        return .object(o)
    }
}
