package import LyreCore

/// How rows of one table are fetched. Every path returns a superset of the rows the pushed
/// predicate accepts; the full `WHERE` is always evaluated afterwards (sql.md §9).
package enum AccessPath: Sendable {
    /// Every record, in primary-key order.
    case fullScan
    /// `pk = literal` / `pk IN (literals)`: point lookups in the records DBI.
    case primaryKey([Value])
    /// `attr = literal` / `attr IN (literals)`: exact keys of the attribute index.
    case indexEquals(attribute: String, id: UInt16, values: [Value])
    /// `attr > / >= / < / <= literal`, `BETWEEN`: a key range of the attribute index, limited to
    /// the literal's type (sql.md §4.7: typed narrowing).
    case indexRange(attribute: String, id: UInt16, lower: Bound?, upper: Bound?)
    /// `attr LIKE 'abc%'`: prefix scans over the case variants of the prefix (LIKE is
    /// case-insensitive, §4.3).
    case indexPrefix(attribute: String, id: UInt16, prefixes: [String])

    /// One end of a range.
    package struct Bound: Sendable {
        package var value: Value
        package var inclusive: Bool
    }

    /// The plan's JSON form for `EXPLAIN`.
    package var json: Value {
        var o = JSONObject()
        switch self {
        case .fullScan:
            o.appendUnchecked("type", "full_scan")
        case .primaryKey(let keys):
            o.appendUnchecked("type", "primary_key_lookup")
            o.appendUnchecked("keys", .array(keys))
        case .indexEquals(let attribute, _, let values):
            o.appendUnchecked("type", "index_equals")
            o.appendUnchecked("attribute", .string(attribute))
            o.appendUnchecked("values", .array(values))
        case .indexRange(let attribute, _, let lower, let upper):
            o.appendUnchecked("type", "index_range")
            o.appendUnchecked("attribute", .string(attribute))
            if let lower { o.appendUnchecked(lower.inclusive ? "from" : "after", lower.value) }
            if let upper { o.appendUnchecked(upper.inclusive ? "to" : "before", upper.value) }
        case .indexPrefix(let attribute, _, let prefixes):
            o.appendUnchecked("type", "index_prefix")
            o.appendUnchecked("attribute", .string(attribute))
            o.appendUnchecked("prefixes", .array(prefixes.map { .string($0) }))
        }
        return .object(o)
    }
}
