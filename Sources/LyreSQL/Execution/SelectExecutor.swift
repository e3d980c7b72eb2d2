package import LyreCore
package import LyreQuery
import LyreStorage

/// Runs a bound `SELECT`: scan (with pushdown) → joins → `WHERE` → grouping/`HAVING` →
/// projection → `DISTINCT` → `ORDER BY` → `OFFSET`/`LIMIT` (sql.md §5).
///
/// ```swift
/// let bound = try SelectBinder(catalog: engine).bind(statement)
/// let rows = try SelectExecutor(bound).run()          // [JSONObject]
/// ```
package struct SelectExecutor {
    package let select: BoundSelect
    package let evaluator: ExpressionEvaluator
    private let context: RowContext
    /// Whether no two result items share a key, so `project` can append without looking
    /// each key up (a linear search: `SELECT *` over a 5,000-column table spent 12.5
    /// million comparisons per row and held a worker for many minutes, found by the HTTP fuzzer).
    private let itemKeysAreUnique: Bool

    package init(_ select: BoundSelect, functionContext: FunctionContext = .system) {
        self.select = select
        itemKeysAreUnique = Set(select.items.map(\.key)).count == select.items.count
        evaluator = ExpressionEvaluator(functions: select.functions, context: functionContext)
        context = RowContext(slots: select.resolver.slots, items: select.items, evaluator: evaluator,
                             tableCount: select.tables.count)
    }

    /// The plan `run()` would use (`EXPLAIN`).
    /// - Throws: storage errors.
    package func plan() throws -> SelectPlan {
        try Planner.plan(select)
    }

    /// The result rows.
    /// - Throws: `LyreError` 500 *generic search* for any evaluation or storage failure (§11.3).
    package func run() throws(LyreError) -> [JSONObject] {
        if select.isVacuous { return [] }
        do {
            return try execute()
        } catch let error as LyreError where error.message == LyreError.sqlNoFromClause.message {
            throw error
        } catch {
            throw .sqlSearchFailed(error)
        }
    }

    private func execute() throws -> [JSONObject] {
        guard !select.tables.isEmpty else {
            let row = ExecutionRow(records: [], context: context)
            return [try project(row).object]
        }
        let statement = select.statement
        let streamLimit: Int? = select.tables.count == 1 && !select.isGrouped && statement.orderBy.isEmpty
            && !statement.distinct ? select.limit.map { $0.addingReportingOverflow(select.offset).overflow ? Int.max : $0 + select.offset } : nil
        var rows = try scanFirstTable(stopAfter: streamLimit)
        for (i, join) in statement.joins.enumerated() {
            rows = try self.join(rows, join, position: i + 1)
        }
        if select.tables.count > 1, let w = select.whereClause {
            rows = try rows.filter { try evaluator.isTrue(w, row: ExecutionRow(records: $0, context: context)) }
        }
        var sources: [ExecutionRow]
        if select.isGrouped {
            sources = try group(rows)
            if let having = statement.having {
                sources = try sources.filter { try evaluator.isTrue(having, row: $0) }
            }
        } else {
            sources = rows.map { ExecutionRow(records: $0, context: context) }
        }
        var output: [(object: JSONObject, values: [Value?], source: ExecutionRow)] = []
        output.reserveCapacity(sources.count)
        var seen: Set<JSONObject> = []
        for source in sources {
            let (object, values) = try project(source)
            if statement.distinct, !seen.insert(object).inserted { continue }
            output.append((object, values, source))
        }
        if !select.orderKeys.isEmpty {
            var keyed: [(Int, [Value?])] = []
            keyed.reserveCapacity(output.count)
            for (i, row) in output.enumerated() {
                var keys: [Value?] = []
                for (key, _) in select.orderKeys {
                    switch key {
                    case .item(let n): keys.append(row.values[n])
                    case .expression(let e): keys.append(try evaluator.evaluate(e, row: row.source))
                    }
                }
                keyed.append((i, keys))
            }
            let order = SQLOrdering.sorted(keyed, keys: { $0.1 }, descending: select.orderKeys.map(\.descending))
            output = order.map { output[$0.0] }
        }
        var result = output.map(\.object)
        if select.offset > 0 { result = Array(result.dropFirst(select.offset)) }
        if let limit = select.limit { result = Array(result.prefix(max(0, limit))) }
        return result
    }

    // MARK: Pieces (exports)

    /// Whether the result is the first table's matching records projected one at a time, in
    /// primary-key order (one table; no grouping, `DISTINCT` or `ORDER BY`), so it can be read
    /// in pieces with `rows(_:from:visits:)` when its access plan is `ResumableScan`'s.
    package var isRowByRow: Bool {
        !select.isVacuous && select.tables.count == 1 && !select.isGrouped && select.orderKeys.isEmpty
            && select.statement.orderBy.isEmpty && !select.statement.distinct
    }

    /// The first table's access plan, as `run()` would choose it (in its own read transaction).
    /// - Throws: `sqlSearchFailed` for storage failures.
    package func accessPlan() throws(LyreError) -> QueryPlan {
        let first = select.tables[0]
        do {
            return try first.database.read { txn in
                try Planner.accessPlan(for: first, where: select.whereClause, resolver: select.resolver, txn: txn)
            }
        } catch {
            throw .sqlSearchFailed(error)
        }
    }

    /// The rows of at most `visits` records from `position`, in their own read transaction:
    /// `WHERE` applied and projected as `run()` does; `OFFSET`/`LIMIT` are the caller's.
    /// - Precondition: `isRowByRow` and `ResumableScan.supports(plan)`.
    /// - Throws: `sqlSearchFailed` for any evaluation or storage failure, as `run()`.
    package func rows(_ plan: QueryPlan, from position: ResumableScan.Position,
                      visits: Int) throws(LyreError) -> (rows: [JSONObject], next: ResumableScan.Position) {
        let first = select.tables[0]
        let columns = RecordCodec.AttributeSelection(columns(of: 0))
        do {
            return try first.database.read { txn in
                var rows: [JSONObject] = []
                let next = try ResumableScan.run(plan, table: first.definition, in: txn, from: position, visits: visits) { _, bytes in
                    let record = try RecordCodec.decode(bytes, only: columns)
                    let row = ExecutionRow(records: [record], context: context)
                    if let w = select.whereClause, !(try evaluator.isTrue(w, row: row)) { return true }
                    rows.append(try project(row).object)
                    return true
                }
                return (rows, next)
            }
        } catch {
            throw .sqlSearchFailed(error)
        }
    }

    // MARK: Scan

    private func scanFirstTable(stopAfter limit: Int?) throws -> [[JSONObject?]] {
        let first = select.tables[0]
        let filter = select.tables.count == 1 ? select.whereClause : nil
        let width = select.tables.count
        var rows: [[JSONObject?]] = []
        try first.database.read { txn in
            let plan = try Planner.accessPlan(for: first, where: select.whereClause, resolver: select.resolver, txn: txn)
            try TableScanner.scan(plan, table: first.definition, txn: txn, columns: columns(of: 0)) { record in
                var row = [JSONObject?](repeating: nil, count: width)
                row[0] = record
                if let filter, !(try evaluator.isTrue(filter, row: ExecutionRow(records: row, context: context))) { return true }
                rows.append(row)
                if let limit, rows.count >= limit { return false }
                return true
            }
        }
        return rows
    }

    private func allRecords(_ table: BoundTable) throws -> [JSONObject] {
        try table.database.read { txn in try readAll(table, txn: txn) }
    }

    private func readAll(_ table: BoundTable, txn: ReadTransaction) throws -> [JSONObject] {
        var records: [JSONObject] = []
        try TableScanner.scan(.everything, table: table.definition, txn: txn, columns: columns(of: table.position)) {
            records.append($0)
            return true
        }
        return records
    }

    /// The attributes the statement reads from the table at `position` (every column reference
    /// was resolved to a slot by the binder, wildcards included): records are decoded to these only.
    private func columns(of position: Int) -> [[UInt8]] {
        var names: [[UInt8]] = []
        var seen: Set<String> = []
        for slot in select.resolver.slots.values where slot.table == position && seen.insert(slot.name).inserted {
            names.append(Array(slot.name.utf8))
        }
        return names
    }

    // MARK: Joins

    private func join(_ left: [[JSONObject?]], _ join: Join, position: Int) throws -> [[JSONObject?]] {
        let strategy = Planner.plan(join: join, rightPosition: position, resolver: select.resolver)
        let right = try rightRecords(left, join, strategy: strategy, position: position)
        var out: [[JSONObject?]] = []
        var matchedRight = [Bool](repeating: false, count: right.count)
        func combined(_ l: [JSONObject?], _ r: JSONObject?) -> [JSONObject?] {
            var row = l
            row[position] = r
            return row
        }
        switch strategy {
        case .hash(let leftKeys, let rightKeys, let residual, _):
            var table: [[Value]: [Int]] = [:]
            let width = select.tables.count
            for (i, record) in right.enumerated() {
                var row = [JSONObject?](repeating: nil, count: width)
                row[position] = record
                guard let key = try hashKey(rightKeys, ExecutionRow(records: row, context: context)) else { continue }
                table[key, default: []].append(i)
            }
            for l in left {
                try ReadCancellation.check()
                var matched = false
                if let key = try hashKey(leftKeys, ExecutionRow(records: l, context: context)), let candidates = table[key] {
                    for i in candidates {
                        let row = combined(l, right[i])
                        if try holds(residual, ExecutionRow(records: row, context: context)) {
                            out.append(row)
                            matched = true
                            matchedRight[i] = true
                        }
                    }
                }
                if !matched, join.kind == .left || join.kind == .full { out.append(combined(l, nil)) }
            }
        case .nestedLoop(let condition):
            for l in left {
                try ReadCancellation.check()
                var matched = false
                for (i, r) in right.enumerated() {
                    let row = combined(l, r)
                    if try holds(condition, ExecutionRow(records: row, context: context)) {
                        out.append(row)
                        matched = true
                        matchedRight[i] = true
                    }
                }
                if !matched, join.kind == .left || join.kind == .full { out.append(combined(l, nil)) }
            }
        }
        if join.kind == .right || join.kind == .full {
            let empty = [JSONObject?](repeating: nil, count: select.tables.count)
            for (i, r) in right.enumerated() where !matchedRight[i] { out.append(combined(empty, r)) }
        }
        return out
    }

    /// The joined table's records that can pair with `left`, in primary-key order: all of them,
    /// or, for an `INNER`/`LEFT` hash join whose key is an indexed column of the joined table,
    /// only those the index holds under the left rows' key values, when there are several
    /// times fewer distinct values than records (the hash join then re-checks every key as
    /// usual, so the result is the same).
    private func rightRecords(_ left: [[JSONObject?]], _ join: Join, strategy: JoinStrategy,
                              position: Int) throws -> [JSONObject] {
        let table = select.tables[position]
        guard case .hash(let leftKeys, _, _, let probe?) = strategy, join.kind == .inner || join.kind == .left else {
            return try allRecords(table)
        }
        var values: Set<Value> = []
        for l in left {
            let v = JS.groupKey(try evaluator.evaluate(leftKeys[probe.keyIndex], row: ExecutionRow(records: l, context: context)))
            switch v {
            case .null: return try allRecords(table)  // null = null pairs null and missing values (§5.5)
            case .array, .object: continue  // never a hash key
            default: values.insert(v)
            }
        }
        return try table.database.read { txn in
            let total = try txn.count(table.definition.records)
            guard Planner.shouldProbe(leftKeys: values.count, rightRows: total, probe: probe, table: table) else {
                return try readAll(table, txn: txn)
            }
            let conditions = values.map { Filter.condition(Condition(probe.attribute, .equals, $0)) }
            let plan = try QueryPlanner.plan(Query(filter: .or(conditions), implicitOrder: false),
                                             table: table.definition, in: txn)
            var records: [JSONObject] = []
            try TableScanner.scan(plan, table: table.definition, txn: txn, columns: columns(of: position)) { record in
                records.append(record)
                return true
            }
            return records
        }
    }

    /// Join-key values, normalized; `nil` when a key can never be strictly equal (array, object).
    private func hashKey(_ keys: [Expression], _ row: ExecutionRow) throws -> [Value]? {
        var out: [Value] = []
        for e in keys {
            let v = JS.groupKey(try evaluator.evaluate(e, row: row))
            switch v {
            case .array, .object: return nil
            default: out.append(v)
            }
        }
        return out
    }

    /// `ON` conjuncts; `a = b` with null on both sides is a match in a join (quirk, keep, §5.5).
    private func holds(_ conjuncts: [Expression], _ row: ExecutionRow) throws -> Bool {
        for c in conjuncts {
            if case .binary(.equal, let a, let b) = c {
                let x = try evaluator.evaluate(a, row: row), y = try evaluator.evaluate(b, row: row)
                if JS.isNullish(x) && JS.isNullish(y) { continue }
                if !JS.truthy(try ExpressionEvaluator.apply(.equal, x, y)) { return false }
            } else if !(try evaluator.isTrue(c, row: row)) {
                return false
            }
        }
        return true
    }

    // MARK: Grouping

    private func group(_ rows: [[JSONObject?]]) throws -> [ExecutionRow] {
        let aggregates = select.aggregates
        var index: [[Value]: Int] = [:]
        var groups: [(first: [JSONObject?], accumulators: [AggregateAccumulator])] = []
        let fresh = aggregates.map { call in
            call.aggregate!.makeAccumulator(distinct: call.isDistinct, countsRows: call.isStar)
        }
        if select.statement.groupBy.isEmpty {
            groups.append(([JSONObject?](repeating: nil, count: select.tables.count), fresh))
            index[[]] = 0
        }
        for records in rows {
            try ReadCancellation.check()
            let row = ExecutionRow(records: records, context: context)
            var key: [Value] = []
            for g in select.statement.groupBy { key.append(JS.groupKey(try evaluator.evaluate(g, row: row))) }
            let g: Int
            if let existing = index[key] {
                g = existing
                if groups[g].first.allSatisfy({ $0 == nil }) { groups[g].first = records }
            } else {
                g = groups.count
                index[key] = g
                groups.append((records, fresh))
            }
            for (j, call) in aggregates.enumerated() {
                let value: Value? = call.isStar ? .null : try call.arguments.first.flatMap { try evaluator.evaluate($0, row: row) }
                groups[g].accumulators[j].add(value)
            }
        }
        return groups.map { group in
            var values: [FunctionCall: Value?] = [:]
            for (j, call) in aggregates.enumerated() { values[call] = group.accumulators[j].result() }
            return ExecutionRow(records: group.first, aggregates: values, context: context)
        }
    }

    // MARK: Projection

    private func project(_ row: ExecutionRow) throws -> (object: JSONObject, values: [Value?]) {
        var object = JSONObject()
        var values: [Value?] = []
        values.reserveCapacity(select.items.count)
        for item in select.items {
            let v = try evaluator.evaluate(item.expression, row: row)
            values.append(v)
            let out: Value
            if item.isPlainColumn {
                out = v ?? .null
            } else if let output = SQLResult.output(v) {
                out = output
            } else if select.hasOuterJoin {
                out = .null
            } else {
                continue
            }
            if itemKeysAreUnique { object.appendUnchecked(item.key, out) } else { object[item.key] = out }
        }
        return (object, values)
    }
}
