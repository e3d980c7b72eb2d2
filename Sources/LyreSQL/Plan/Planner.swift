import LyreCore
package import LyreQuery
package import LyreStorage

/// Plans a `SELECT`: the first table's access path comes from LyreQuery's `QueryPlanner` (the
/// planner `search_by_value` / `search_by_conditions` use), fed with the conditions
/// `Pushdown` extracts from `WHERE`; the full `WHERE` stays in SQL as the residual filter.
/// Joins are hash joins on equality conditions (probing the joined table's index when the
/// left side is small), nested loops otherwise.
package enum Planner {
    /// The plan of `select`; reads index statistics of the tables' databases.
    /// - Throws: storage failures.
    package static func plan(_ select: BoundSelect) throws -> SelectPlan {
        guard let first = select.tables.first else { return SelectPlan(access: nil, joins: []) }
        let access = try first.database.read { txn in
            try accessPlan(for: first, where: select.whereClause, resolver: select.resolver, txn: txn)
        }
        var joins: [SelectPlan.JoinPlan] = []
        var leftRows = access.estimate
        for (i, join) in select.statement.joins.enumerated() {
            let right = select.tables[i + 1]
            let count = (try? right.database.read { try $0.count(right.definition.records) }) ?? 0
            let strategy = plan(join: join, rightPosition: i + 1, resolver: select.resolver)
            var probes = false
            if case .hash(_, _, _, let probe?) = strategy, join.kind == .inner || join.kind == .left {
                probes = shouldProbe(leftKeys: leftRows, rightRows: count, probe: probe, table: right)
            }
            joins.append(.init(strategy: strategy, probesIndex: probes, estimatedRows: count))
            leftRows = max(leftRows, count)
        }
        return SelectPlan(access: access, joins: joins)
    }

    /// The shared planner's plan for the candidates of `table` under `whereClause` (already
    /// rewritten, §4.6): an index point, range, prefix union or primary-key lookup, or a full
    /// scan when nothing narrows or narrowing would read more than the table.
    /// - Throws: storage failures while estimating.
    package static func accessPlan(for table: BoundTable, where whereClause: Expression?, resolver: ColumnResolver,
                                   txn: ReadTransaction) throws -> QueryPlan {
        let filter = Pushdown.filter(for: table, where: whereClause, resolver: resolver)
        return try QueryPlanner.plan(Query(filter: filter, implicitOrder: false), table: table.definition, in: txn)
    }

    /// Whether probing the joined table's index once per distinct left key beats reading it
    /// whole: each probe is a seek, so it pays when there are several times fewer keys than rows.
    static func shouldProbe(leftKeys: Int, rightRows: Int, probe: IndexProbe, table: BoundTable) -> Bool {
        guard let attribute = table.definition.attribute(probe.attribute),
              attribute.isPrimaryKey || attribute.indexed else { return false }
        return leftKeys * 4 < rightRows
    }

    // MARK: Joins

    /// The strategy of one join: hash join on equality conjuncts between the joined table and
    /// the tables to its left, nested loop otherwise. A hash key that is a plain column of the
    /// joined table can also be answered by that column's index (`probe`).
    package static func plan(join: Join, rightPosition: Int, resolver: ColumnResolver) -> JoinStrategy {
        guard let condition = join.condition else { return .nestedLoop(condition: []) }
        func tables(_ e: Expression) -> Set<Int>? {
            var out: Set<Int> = []
            for ref in e.columnReferences {
                guard let slot = resolver.slots[ref] else { return nil }
                out.insert(slot.table)
            }
            return out
        }
        var left: [Expression] = [], right: [Expression] = [], residual: [Expression] = []
        for c in Pushdown.conjuncts(condition) {
            if case .binary(.equal, let a, let b) = c, let ta = tables(a), let tb = tables(b), !ta.isEmpty, !tb.isEmpty {
                if tb == [rightPosition], ta.allSatisfy({ $0 < rightPosition }) {
                    left.append(a); right.append(b); continue
                }
                if ta == [rightPosition], tb.allSatisfy({ $0 < rightPosition }) {
                    left.append(b); right.append(a); continue
                }
            }
            residual.append(c)
        }
        if left.isEmpty { return .nestedLoop(condition: residual) }
        var probe: IndexProbe?
        for (i, key) in right.enumerated() {
            if case .column(let ref) = key, let slot = resolver.slots[ref], slot.table == rightPosition {
                probe = IndexProbe(keyIndex: i, attribute: slot.name)
                break
            }
        }
        return .hash(leftKeys: left, rightKeys: right, residual: residual, probe: probe)
    }
}
