package import LyreCore
import LyreStorage

/// Resolves a `SELECT` against the catalog and applies Harper's validation and naming rules
/// (sql.md §5.2–§5.9). Every failure here is a `LyreError` with the spec's text.
package struct SelectBinder {
    package let catalog: any SQLCatalog
    package var functions: FunctionRegistry

    package init(catalog: any SQLCatalog, functions: FunctionRegistry = .sql) {
        self.catalog = catalog
        self.functions = functions
    }

    /// Binds `statement`.
    /// - Throws: `LyreError`: unsupported constructs (500 generic), `schema not defined…`,
    ///   unknown database/table (404), `unknown column`, `ambiguous column reference`,
    ///   `no from clause`, the `GROUP BY` errors.
    package func bind(_ statement: SelectStatement) throws(LyreError) -> BoundSelect {
        var statement = statement
        if !statement.unsupported.isEmpty || allExpressions(statement).contains(where: \.containsSubquery) {
            throw .sqlSearchFailed(SQLEvaluationError("unsupported construct \(statement.unsupported.map(\.rawValue))"))
        }
        statement.whereClause = statement.whereClause.map(WhereRewrite.prepare)
        let functions = self.functions.compilingSearchJSON(in: allExpressions(statement))
        guard let from = statement.from else { return try bindWithoutFrom(statement, functions: functions) }

        // Tables (§5.2).
        var tables: [BoundTable] = []
        let refs = [from] + statement.joins.map(\.table)
        for (position, ref) in refs.enumerated() {
            guard let databaseName = ref.name.database else { throw .sqlSchemaNotDefined(ref.name.table) }
            guard let database = catalog.database(databaseName) else {
                if !referencesColumns(statement) { return vacuous(statement, functions: functions) }
                throw .databaseNotFound(databaseName)
            }
            guard let definition = database.table(ref.name.table) else {
                if !referencesColumns(statement) { return vacuous(statement, functions: functions) }
                throw .tableNotFound(databaseName, ref.name.table)
            }
            tables.append(BoundTable(position: position, ref: ref, database: database, definition: definition))
        }
        var resolver = ColumnResolver(tables: tables)

        // Items: explicit ones first, wildcard expansions appended (§5.4).
        var explicit: [(Expression, String?)] = []
        var expansions: [(Expression, String?)] = []
        for item in statement.items {
            switch item {
            case .expression(let e, let alias): explicit.append((e, alias))
            case .wildcard:
                for t in tables { for a in t.attributeOrder { expansions.append((.column(ColumnRef(qualifier: t.qualifier, name: a)), nil)) } }
            case .qualifiedWildcard(let q):
                guard let t = tables.first(where: { $0.qualifier == q }) else { throw .sqlUnknownColumn("\(q).*") }
                for a in t.attributeOrder { expansions.append((.column(ColumnRef(qualifier: t.qualifier, name: a)), nil)) }
            }
        }
        for (e, _) in explicit { try resolver.resolveAll(in: e) }
        for (e, _) in expansions { try resolver.resolveAll(in: e) }
        if let w = statement.whereClause { try resolver.resolveAll(in: w) }
        for join in statement.joins { if let on = join.condition { try resolver.resolveAll(in: on) } }

        // Grouping (§5.7).
        let hasAggregate = explicit.contains { $0.0.containsAggregate }
        let isGrouped = !statement.groupBy.isEmpty || hasAggregate
        if !statement.groupBy.isEmpty {
            try validateGrouping(statement, explicit: explicit.map(\.0), resolver: &resolver)
        }
        var all = explicit + expansions
        if isGrouped && statement.groupBy.isEmpty {
            // Plain columns beside aggregates without GROUP BY are dropped (quirk, keep).
            all.removeAll { if case .column = $0.0 { return true } else { return false } }
        }
        if let having = statement.having {
            for ref in having.columnReferences { resolver.resolveIfPossible(ref) }
        }

        // Keys (§5.9.2–§5.9.3).
        let items = Self.keys(for: all, statement: statement, resolver: resolver)

        // ORDER BY (§5.8).
        var orderKeys: [(key: OrderKey, descending: Bool)] = []
        for order in statement.orderBy {
            orderKeys.append((try orderKey(order, items: items, explicitCount: explicit.count, resolver: &resolver), order.descending))
        }

        var aggregates: [FunctionCall] = []
        var exprs = items.map(\.expression) + (statement.having.map { [$0] } ?? [])
        for case .expression(let e) in orderKeys.map(\.key) { exprs.append(e) }
        for e in exprs {
            e.forEachNode { node in
                if case .function(let call) = node, call.aggregate != nil, !aggregates.contains(call) { aggregates.append(call) }
            }
        }
        return BoundSelect(
            statement: statement, tables: tables, resolver: resolver, items: items,
            whereClause: statement.whereClause, isGrouped: isGrouped, aggregates: aggregates, orderKeys: orderKeys,
            hasOuterJoin: statement.joins.contains { [.left, .right, .full].contains($0.kind) },
            isVacuous: false, functions: functions)
    }

    // MARK: Pieces

    private func allExpressions(_ s: SelectStatement) -> [Expression] {
        var out: [Expression] = []
        for case .expression(let e, _) in s.items { out.append(e) }
        if let w = s.whereClause { out.append(w) }
        for j in s.joins { if let c = j.condition { out.append(c) } }
        out += s.groupBy
        if let h = s.having { out.append(h) }
        out += s.orderBy.map(\.expression)
        return out
    }

    private func referencesColumns(_ s: SelectStatement) -> Bool {
        for item in s.items {
            if case .expression = item { continue }
            return true
        }
        return allExpressions(s).contains { e in
            var found = !e.columnReferences.isEmpty
            e.forEachNode { if case .function(let f) = $0, f.isStar { found = true } }
            return found
        }
    }

    private func vacuous(_ s: SelectStatement, functions: FunctionRegistry) -> BoundSelect {
        BoundSelect(statement: s, tables: [], resolver: ColumnResolver(tables: []), items: [], whereClause: nil,
                    isGrouped: false, aggregates: [], orderKeys: [], hasOuterJoin: false, isVacuous: true, functions: functions)
    }

    private func bindWithoutFrom(_ s: SelectStatement, functions: FunctionRegistry) throws(LyreError) -> BoundSelect {
        if referencesColumns(s) { throw .sqlNoFromClause }
        var items: [OutputItem] = []
        for case .expression(let e, let alias) in s.items {
            let key = ResultKey.key(for: .expression(e, alias: alias), hasFrom: false) ?? "undefined"
            items.append(OutputItem(key: key, expression: e, alias: alias))
        }
        return BoundSelect(statement: s, tables: [], resolver: ColumnResolver(tables: []), items: items, whereClause: nil,
                           isGrouped: false, aggregates: [], orderKeys: [], hasOuterJoin: false, isVacuous: false,
                           functions: functions)
    }

    private func validateGrouping(_ s: SelectStatement, explicit: [Expression], resolver: inout ColumnResolver) throws(LyreError) {
        var groupSlots: [ColumnSlot] = []
        for g in s.groupBy {
            if case .column(let ref) = g {
                guard let slot = try? resolver.resolve(ref) else { throw .sqlGroupColumnNotDefined }
                groupSlots.append(slot)
            } else {
                for ref in g.columnReferences { guard (try? resolver.resolve(ref)) != nil else { throw .sqlGroupColumnNotDefined } }
            }
        }
        // Rule 1: non-aggregate items are covered by the GROUP BY.
        for e in explicit where !e.containsAggregate {
            if case .function(let f) = e, f.name.lowercased() == "distinct_array" { continue }
            if case .literal = e { continue }
            if case .column(let ref) = e {
                let slot = try resolver.resolve(ref)
                if !groupSlots.contains(slot) { throw .sqlNotInGroupBy(ref.name) }
            } else if !s.groupBy.contains(e) {
                throw .sqlNotInGroupBy(ResultKey.render(e, style: .withFrom))
            }
        }
        // Rule 2: every GROUP BY item appears in the select list.
        for g in s.groupBy {
            let present: Bool
            if case .column(let ref) = g {
                let slot = try resolver.resolve(ref)
                present = explicit.contains { e in
                    if case .column(let r) = e, (try? resolver.resolve(r)) == slot { return true }
                    return false
                }
            } else {
                present = explicit.contains(g)
            }
            if !present { throw .sqlGroupColumnNotDefined }
        }
    }

    static func keys(for all: [(Expression, String?)], statement s: SelectStatement, resolver: ColumnResolver) -> [OutputItem] {
        let hasJoin = !s.joins.isEmpty
        let isPlain: ((Expression, String?)) -> Bool = { if case .column = $0.0 { return true } else { return false } }
        let simple = !hasJoin && s.whereClause == nil && !s.distinct && s.top == nil && s.groupBy.isEmpty
            && s.having == nil && s.orderBy.isEmpty && s.limit == nil && s.offset == nil && all.allSatisfy(isPlain)
        if simple {
            // Harper's shortcut (quirk, keep): one key per attribute, last alias wins, first mention's place.
            var items: [OutputItem] = []
            var position: [ColumnSlot: Int] = [:]
            for (e, alias) in all {
                guard case .column(let ref) = e, let slot = resolver.slots[ref] else { continue }
                if let i = position[slot] {
                    if let alias { items[i].key = alias; items[i].alias = alias }
                } else {
                    position[slot] = items.count
                    items.append(OutputItem(key: alias ?? ref.name, expression: e, alias: alias))
                }
            }
            return items
        }
        var items: [OutputItem] = []
        var used: Set<String> = []
        var counters: [String: Int] = [:]
        for (e, alias) in all {
            var key = ResultKey.key(for: .expression(e, alias: alias), hasFrom: true) ?? "undefined"
            if hasJoin, isPlain((e, alias)), used.contains(key) {
                var n = counters[key, default: 0]
                repeat { n += 1 } while used.contains(key + String(n))
                counters[key] = n
                key += String(n)
            }
            used.insert(key)
            items.append(OutputItem(key: key, expression: e, alias: alias))
        }
        return items
    }

    private func orderKey(_ order: OrderItem, items: [OutputItem], explicitCount: Int,
                          resolver: inout ColumnResolver) throws(LyreError) -> OrderKey {
        if let ordinal = order.ordinal {
            guard ordinal >= 1, ordinal <= items.count else {
                throw .sqlSearchFailed(SQLEvaluationError("ORDER BY ordinal \(ordinal) out of range"))
            }
            return .item(ordinal - 1)
        }
        let e = order.expression
        if case .column(let ref) = e, ref.qualifier == nil {
            let matches = items.indices.filter { items[$0].alias == ref.name }
            if matches.count > 1 { throw .sqlAmbiguousColumn(ref.name, inOrderBy: true) }
            if let i = matches.first { return .item(i) }
        }
        if case .column(let ref) = e {
            try resolver.resolve(ref)
            return .expression(e)
        }
        if let i = items.firstIndex(where: { $0.expression == e }) { return .item(i) }
        if case .function(let call) = e, call.aggregate != nil {
            for ref in e.columnReferences { try resolver.resolve(ref) }
            return .expression(e)
        }
        throw .sqlSearchFailed(SQLEvaluationError("ORDER BY expression not in the select list"))
    }
}
