import LyreCore
import LyreStorage

/// One decoded operation request: the body object plus shared, spec-worded accessors.
/// Every operation decodes its parameters through these, so field aliases, number-to-string
/// conversion and validation texts live in one place.
struct Request: Sendable {
    let operation: OperationName
    let body: JSONObject

    subscript(key: String) -> Value? { body[key] }

    /// `database` (preferred) or its alias `schema`, with the field name that supplied it.
    var databaseField: (field: String, value: Value)? {
        if let v = body["database"], !v.isNull { return ("database", v) }
        if let v = body["schema"], !v.isNull { return ("schema", v) }
        return nil
    }

    /// The addressed database for record and describe operations: `database`/`schema`,
    /// numbers converted to their decimal text, default `data`.
    func database(default fallback: String? = StorageEngine.defaultDatabase) throws -> String {
        guard let (field, value) = databaseField else {
            guard let fallback else { throw LyreError.validation("'database' is required") }
            return fallback
        }
        return try Self.nameText(value, field: field)
    }

    /// The required `table`, numbers converted to text.
    func table() throws -> String {
        guard let value = body["table"], !value.isNull else { throw LyreError.validation("'table' is required") }
        return try Self.nameText(value, field: "table")
    }

    /// Names may come as JSON numbers (`"table": 4` is table "4").
    static func nameText(_ value: Value, field: String) throws -> String {
        switch value {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        default: throw LyreError.validation("'\(field)' must be a string")
        }
    }

    /// An optional boolean parameter. - Throws: `'<key>' must be a boolean`.
    func bool(_ key: String) throws -> Bool? {
        guard let value = body[key], !value.isNull else { return nil }
        guard case .bool(let b) = value else { throw LyreError.validation("'\(key)' must be a boolean") }
        return b
    }

    /// An optional string parameter. - Throws: `'<key>' must be a string`.
    func string(_ key: String) throws -> String? {
        guard let value = body[key], !value.isNull else { return nil }
        guard case .string(let s) = value else { throw LyreError.validation("'\(key)' must be a string") }
        return s
    }

    /// The first present key among `keys` (preferred first): `ids` / `hash_values`.
    func first(_ keys: String...) -> Value? {
        for key in keys { if let v = body[key] { return v } }
        return nil
    }
}

/// The naming rules of databases-and-tables.md §2, with their message templates.
enum NameRules {
    /// Messages for a database/table name that breaks a rule (empty when valid).
    static func problems(_ value: Value?, field: String, required: Bool = true) -> [String] {
        guard let value, !value.isNull else { return required ? ["'\(field)' is required"] : [] }
        guard case .string(let name) = value else { return ["'\(field)' must be a string"] }
        if name.isEmpty { return ["'\(field)' is not allowed to be empty"] }
        var problems: [String] = []
        if name.count > 250 { problems.append("'\(field)' length must be less than or equal to 250 characters long") }
        if !name.utf8.allSatisfy({ (0x20...0x7E).contains($0) && $0 != 0x2F && $0 != 0x60 }) {
            problems.append("'\(field)' names cannot include backticks or forward slashes")
        }
        return problems
    }

    /// Problems of an attribute name on write (nosql.md §1.3), or nil when valid.
    static func attributeProblem(_ name: String) -> String? {
        if name.utf8.contains(0x2F) || name.utf8.contains(0x60) {
            return "Attribute names cannot include backticks or forward slashes"
        }
        if name.utf8.count > 250 {
            return "transaction aborted due to attribute name \(name) being too long. Attribute names cannot be longer than 250 bytes."
        }
        if name.allSatisfy(\.isWhitespace) {
            return "transaction aborted due to record(s) with an attribute name that is null, undefined or empty string"
        }
        return nil
    }
}
