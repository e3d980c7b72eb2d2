package import LyreCore

/// How one `JOIN` is executed.
package enum JoinStrategy: Sendable {
    /// Build a hash table on the right table's key expressions, probe with the left row's
    /// (equality conjuncts of `ON`); `residual` is the rest of `ON`.
    case hash(leftKeys: [Expression], rightKeys: [Expression], residual: [Expression])
    /// Evaluate `ON` for every pair (or none for `CROSS JOIN`).
    case nestedLoop(condition: [Expression])
}

/// The plan of one `SELECT`: the access path of the first table and a strategy per join.
package struct QueryPlan: Sendable {
    package var access: AccessPath
    package var estimatedRows: Int
    package var joins: [(strategy: JoinStrategy, estimatedRows: Int)]

    /// `EXPLAIN` output: which scan or index, which joins, estimated rows.
    package func explain(_ select: BoundSelect) -> Value {
        var o = JSONObject()
        if let first = select.tables.first {
            o.appendUnchecked("table", .string(first.qualifiedName))
            o.appendUnchecked("alias", .string(first.qualifier))
        }
        o.appendUnchecked("access", access.json)
        o.appendUnchecked("estimated_rows", .int(Int64(estimatedRows)))
        var joinValues: [Value] = []
        for (i, join) in joins.enumerated() {
            var j = JSONObject()
            let spec = select.statement.joins[i]
            j.appendUnchecked("kind", .string(spec.kind.rawValue))
            j.appendUnchecked("table", .string(select.tables[i + 1].qualifiedName))
            j.appendUnchecked("alias", .string(select.tables[i + 1].qualifier))
            switch join.strategy {
            case .hash(let l, let r, let residual):
                j.appendUnchecked("strategy", "hash_join")
                j.appendUnchecked("probe_keys", .array(l.map { .string(ResultKey.render($0, style: .withFrom)) }))
                j.appendUnchecked("build_keys", .array(r.map { .string(ResultKey.render($0, style: .withFrom)) }))
                if !residual.isEmpty {
                    j.appendUnchecked("residual", .array(residual.map { .string(ResultKey.render($0, style: .withFrom)) }))
                }
            case .nestedLoop(let condition):
                j.appendUnchecked("strategy", "nested_loop")
                if !condition.isEmpty {
                    j.appendUnchecked("condition", .array(condition.map { .string(ResultKey.render($0, style: .withFrom)) }))
                }
            }
            j.appendUnchecked("estimated_rows", .int(Int64(join.estimatedRows)))
            joinValues.append(.object(j))
        }
        o.appendUnchecked("joins", .array(joinValues))
        if let w = select.whereClause { o.appendUnchecked("filter", .string(ResultKey.render(w, style: .withFrom))) }
        if select.isGrouped {
            o.appendUnchecked("aggregate", .object(JSONObject([
                ("group_by", .array(select.statement.groupBy.map { .string(ResultKey.render($0, style: .withFrom)) })),
                ("aggregates", .array(select.aggregates.map { .string(ResultKey.render(.function($0), style: .withFrom)) })),
            ])))
        }
        if !select.orderKeys.isEmpty { o.appendUnchecked("sort", .int(Int64(select.orderKeys.count))) }
        if let limit = select.limit { o.appendUnchecked("limit", .int(Int64(limit))) }
        if select.offset > 0 { o.appendUnchecked("offset", .int(Int64(select.offset))) }
        return .object(o)
    }
}
