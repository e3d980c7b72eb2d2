package import LyreCore
package import LyreQuery

/// The plan of one `SELECT`: the shared planner's plan for the first table and a strategy per
/// join. `EXPLAIN SELECT` returns it as JSON.
package struct SelectPlan: Sendable {
    /// One join's plan.
    package struct JoinPlan: Sendable {
        package var strategy: JoinStrategy
        /// Whether the estimates favour an index probe (decided again on the real left rows).
        package var probesIndex: Bool
        package var estimatedRows: Int
    }

    /// `nil` for a `SELECT` without `FROM`.
    package var access: QueryPlan?
    package var joins: [JoinPlan]

    /// `EXPLAIN` output: which scan or index (as LyreQuery's planner chose it), which joins,
    /// estimated rows.
    package func explain(_ select: BoundSelect) -> Value {
        var o = JSONObject()
        if let first = select.tables.first {
            o.appendUnchecked("table", .string(first.qualifiedName))
            o.appendUnchecked("alias", .string(first.qualifier))
        }
        o.appendUnchecked("access", access?.access.explainJSON ?? .object(JSONObject([("type", "no_table")])))
        o.appendUnchecked("estimated_rows", .int(Int64(access?.estimate ?? 1)))
        if let access { o.appendUnchecked("planner", .string(access.description)) }
        var joinValues: [Value] = []
        for (i, join) in joins.enumerated() {
            var j = JSONObject()
            let spec = select.statement.joins[i]
            j.appendUnchecked("kind", .string(spec.kind.rawValue))
            j.appendUnchecked("table", .string(select.tables[i + 1].qualifiedName))
            j.appendUnchecked("alias", .string(select.tables[i + 1].qualifier))
            switch join.strategy {
            case .hash(let l, let r, let residual, let probe):
                j.appendUnchecked("strategy", join.probesIndex ? "index_probe_hash_join" : "hash_join")
                j.appendUnchecked("probe_keys", .array(l.map { .string(ResultKey.render($0, style: .withFrom)) }))
                j.appendUnchecked("build_keys", .array(r.map { .string(ResultKey.render($0, style: .withFrom)) }))
                if join.probesIndex, let probe { j.appendUnchecked("index", .string(probe.attribute)) }
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
