import LyreCore
import LyreQuery
import LyreSQL
import LyreStorage

/// Parameters both searches share (nosql.md §7.3–7.4): `limit`, `offset`, `sort`, and
/// the attribute checks made once the table is known.
enum SearchParameters {
    /// The searched value: `value`, else its alias `search_value`. `null` is a legal value,
    /// but only reliably through `value` (nosql.md §7.4). Nil when neither is given.
    static func searchValue(in object: JSONObject) -> Value? {
        if let v = object["value"] { return v }
        if let v = object["search_value"], !v.isNull { return v }
        return nil
    }

    /// `limit`: integer ≥ 1, or nil.
    static func limit(_ request: Request, problems: inout [String]) -> Int? {
        guard let value = request["limit"], !value.isNull else { return nil }
        guard let i = integer(value) else {
            problems.append("'limit' must be an integer")
            return nil
        }
        guard i >= 1 else {
            problems.append("'limit' must be greater than or equal to 1")
            return nil
        }
        return i
    }

    /// `offset`: integer ≥ 0, default 0.
    static func offset(_ request: Request, problems: inout [String]) -> Int {
        guard let value = request["offset"], !value.isNull else { return 0 }
        guard let i = integer(value) else {
            problems.append("'offset' must be an integer")
            return 0
        }
        guard i >= 0 else {
            problems.append("'offset' must be greater than or equal to 0")
            return 0
        }
        return i
    }

    private static func integer(_ value: Value) -> Int? {
        guard let i = value.intValue, let n = Int(exactly: i) else { return nil }
        return n
    }

    /// `sort`: `{attribute, descending, next}`, flattened into sort keys.
    static func sort(_ request: Request, problems: inout [String]) -> [SortKey] {
        var keys: [SortKey] = []
        var current = request["sort"]
        var path = "sort"
        while let value = current, !value.isNull {
            guard case .object(let object) = value else {
                problems.append("'\(path)' must be an object")
                return keys
            }
            guard case .string(let attribute)? = object["attribute"] else {
                problems.append(object["attribute"] == nil ? "'\(path).attribute' is required" : "'\(path).attribute' must be a string")
                return keys
            }
            var descending = false
            switch object["descending"] {
            case nil, .null?: break
            case .bool(let b)?: descending = b
            default: problems.append("'\(path).descending' must be a boolean")
            }
            keys.append(SortKey(attribute, descending: descending))
            current = object["next"]
            path += ".next"
        }
        return keys
    }

    /// Names among `names` the table does not define (`$`-prefixed names are exempt), deduplicated.
    static func unknown(_ names: [String], table: TableDefinition) -> [String] {
        var out: [String] = []
        for name in names where name != "*" && !name.hasPrefix("$") && table.attribute(name) == nil && !out.contains(name) {
            out.append(name)
        }
        return out
    }

    /// `explain` (a Lyre extension, for `search_by_value` and `search_by_conditions`):
    /// `true` answers the plan instead of the records. Anything but a boolean or null is a problem.
    static func explain(_ request: Request, problems: inout [String]) -> Bool {
        switch request["explain"] {
        case nil, .null?: return false
        case .bool(let b)?: return b
        default:
            problems.append("'explain' must be a boolean")
            return false
        }
    }

    /// The plan `respond` would run, in the shape `EXPLAIN SELECT` answers (`table`, `access`
    /// from the same `AccessPath.explainJSON`, `estimated_rows`, `planner`, `joins` (always
    /// empty here), `filter`), plus `order`, `offset` and `limit`.
    static func explainPlan(_ query: Query, table: TableDefinition, db: Database) throws -> OutgoingResponse.Body {
        let plan = try db.read { txn in try QueryPlanner.plan(query, table: table, in: txn) }
        var o = JSONObject()
        o.appendUnchecked("table", .string(db.name + "." + table.name))
        o.appendUnchecked("access", plan.access.explainJSON)
        o.appendUnchecked("estimated_rows", .int(Int64(plan.estimate)))
        o.appendUnchecked("planner", .string(plan.description))
        o.appendUnchecked("joins", .array([]))
        if let filter = plan.filter { o.appendUnchecked("filter", .string(filter.description)) }
        let order = plan.order.map { Value.string($0.description) }
            + [.string("primary key" + (plan.primaryKeyDescending ? " desc" : " asc"))]
        o.appendUnchecked("order", .array(order))
        o.appendUnchecked("streamed", .bool(plan.streamed))
        o.appendUnchecked("offset", .int(Int64(plan.offset)))
        o.appendUnchecked("limit", plan.limit.map { Value.int(Int64($0)) } ?? .null)
        return .json(.object(o))
    }

    /// Plans and runs `query`, writing the results as a JSON array straight from storage.
    static func respond(_ query: Query, projection: Projection, table: TableDefinition, db: Database) throws -> OutgoingResponse.Body {
        var out: [UInt8] = [UInt8(ascii: "[")]
        try db.read { txn in
            let plan = try QueryPlanner.plan(query, table: table, in: txn)
            var first = true
            try QueryExecutor.run(plan, table: table, in: txn) { record in
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                try RecordCodec.writeJSON(record, attributes: projection.attributes, into: &out)
            }
        }
        out.append(UInt8(ascii: "]"))
        return .rawJSON(out)
    }
}
