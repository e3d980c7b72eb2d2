import LyreCore
import LyreStorage

/// Which attributes a search returns (`get_attributes` / `select`, nosql.md §7.1).
struct Projection: Sendable {
    /// Exact keys in order, or nil for whole records as stored.
    let attributes: [String]?

    /// Reads `get_attributes` (alias `select`), adding validation problems to `problems`.
    static func getAttributes(_ request: Request, required: Bool, problems: inout [String]) throws -> [String]? {
        switch request.first("get_attributes", "select") {
        case nil, .null?:
            if required { problems.append("'get_attributes' is required") }
            return nil
        case .array(let values)?:
            if values.isEmpty {
                problems.append("'get_attributes' must contain at least 1 item")
                return nil
            }
            var names: [String] = []
            for value in values {
                guard case .string(let s) = value else {
                    problems.append("'get_attributes' must be an array of strings")
                    return nil
                }
                names.append(s)
            }
            return names
        default:
            problems.append("'get_attributes' must be an array")
            return nil
        }
    }

    /// Resolves `*` and checks every named attribute exists on the table.
    /// - Throws: `unknown attribute '<name>'` (several: `'a, b and c'`).
    init(_ requested: [String]?, table: TableDefinition) throws {
        guard let requested else {
            attributes = nil
            return
        }
        if requested.contains("*") {
            attributes = table.attributeNames
            return
        }
        let unknown = requested.filter { !$0.hasPrefix("$") && table.attribute($0) == nil }
        if !unknown.isEmpty { throw LyreError.validation("unknown attribute '\(Self.list(unknown))'") }
        // Once each, at its first place: Harper's result objects hold a key once, and 10,000
        // repeated names made every record 10,000 keys long (and its assembly quadratic).
        var seen = Set<String>()
        attributes = requested.filter { seen.insert($0).inserted }
    }

    /// `a`, `a and b`, `a, b and c`.
    static func list(_ names: [String]) -> String {
        guard names.count > 1 else { return names.first ?? "" }
        return names.dropLast().joined(separator: ", ") + " and " + names.last!
    }
}
