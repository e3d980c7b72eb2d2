import LyreCore
package import LyreStorage

/// Turns a `Query` into a `QueryPlan`, choosing index ranges from the table's index
/// cardinalities as of `txn`.
///
/// - A condition is a point (`equals`), a range (`starts_with`, comparisons, `between`) or
///   a key scan (`contains`, `ends_with`: keys are decoded and matched, records untouched);
///   on the primary key the records DBI serves directly. `not_equal` matches records
///   lacking the attribute too, so it needs every primary key: a records scan.
/// - `and` drives from its most selective child; the others are checked on the record.
/// - `or` unions its children (a records scan as soon as one child needs it).
/// - With an order on an indexed attribute, the plan may stream that attribute's index
///   instead, when `limit` makes reading a prefix of it cheaper than collecting and sorting.
package enum QueryPlanner {
    /// Plans `query` on `table`.
    /// - Throws: storage failures while estimating.
    package static func plan(_ query: Query, table: TableDefinition, in txn: ReadTransaction) throws -> QueryPlan {
        let total = try txn.count(table.records)
        var estimator = Estimator(table: table, txn: txn, total: total)

        // The order: explicit sort, else the first range-capable top-level condition.
        var order = query.sort
        var primaryKeyDescending = query.primaryKeyDescending
        if order.isEmpty, query.implicitOrder, let c = orderingCondition(query.filter) {
            order = c.attribute == table.primaryKey ? [] : [SortKey(c.attribute, restrict: c)]
        }
        if let i = order.firstIndex(where: { $0.attribute == table.primaryKey }) {
            primaryKeyDescending = order[i].descending
            order.removeSubrange(i...)
        }

        let best = try query.filter.map { try path(for: $0, table: table, estimator: &estimator) }
            ?? (.records(.all), total)
        var plan = QueryPlan(access: best.path, filter: query.filter, order: order,
                             primaryKeyDescending: primaryKeyDescending, streamed: false, tail: false,
                             estimate: best.estimate, offset: query.offset, limit: query.limit)
        let wanted = query.limit.map { query.offset.addingReportingOverflow($0).overflow ? Int.max : query.offset + $0 }

        // A source that yields candidates in result order.
        let ordered: (path: AccessPath, estimate: Int, tail: Bool)?
        if let first = order.first {
            ordered = try streamSource(for: first, filter: query.filter, table: table, estimator: &estimator)
        } else {
            ordered = (.records(.all), total, false)
        }
        if case .records = best.path, order.isEmpty {
            plan.streamed = true  // already in primary-key order
        } else if let ordered {
            if ordered.path == best.path {
                plan.streamed = true
                plan.tail = ordered.tail
            } else {
                let matches = max(best.estimate, 1)
                var streamCost = ordered.estimate + (ordered.tail ? total : 0)
                // Overflow-checked: an offset near Int64.max makes `wanted` huge (it trapped,
                // found by the HTTP fuzzer); past Int.max the cost is simply not lower.
                if let wanted {
                    let (product, overflow) = wanted.multipliedReportingOverflow(by: max(ordered.estimate, 1))
                    let (cost, overflowAgain) = (product / matches).addingReportingOverflow(wanted)
                    if !overflow, !overflowAgain { streamCost = min(streamCost, cost) }
                }
                let collectCost = 2 * best.estimate + 1
                if streamCost < collectCost {
                    plan.access = ordered.path
                    plan.estimate = ordered.estimate
                    plan.streamed = true
                    plan.tail = ordered.tail
                }
            }
        }
        return plan
    }

    /// The condition giving the implicit order (nosql.md §7.4): the first top-level
    /// condition whose comparator uses an index range.
    static func orderingCondition(_ filter: Filter?) -> Condition? {
        switch filter {
        case .condition(let c)?: return c.comparator.usesIndexRange ? c : nil
        case .and(let fs)?, .or(let fs)?:
            for case .condition(let c) in fs where c.comparator.usesIndexRange { return c }
            return nil
        case nil: return nil
        }
    }

    /// A path yielding candidates in the order of `key`, when the attribute is indexed.
    private static func streamSource(for key: SortKey, filter: Filter?, table: TableDefinition,
                                     estimator: inout Estimator) throws -> (path: AccessPath, estimate: Int, tail: Bool)? {
        guard let attribute = table.attribute(key.attribute), attribute.indexed else { return nil }
        if let restrict = key.restrict {
            // Only when every result satisfies the restricting condition.
            let implied: Bool = switch filter {
            case .condition(let c)?: c == restrict
            case .and(let fs)?: fs.contains(.condition(restrict))
            default: false
            }
            guard implied else { return nil }
            let p = try path(for: restrict, table: table, estimator: &estimator)
            switch p.path {
            case .index, .keyScan: return (p.path, p.estimate, false)
            default: return nil
            }
        }
        let path = AccessPath.index(attribute: key.attribute, .all)
        return (path, try estimator.estimate(path), true)
    }

    private static func path(for filter: Filter, table: TableDefinition,
                             estimator: inout Estimator) throws -> (path: AccessPath, estimate: Int) {
        switch filter {
        case .condition(let c):
            return try path(for: c, table: table, estimator: &estimator)
        case .and(let fs):
            var best: (path: AccessPath, estimate: Int)?
            for f in fs {
                let p = try path(for: f, table: table, estimator: &estimator)
                if best == nil || p.estimate < best!.estimate { best = p }
                if p.estimate == 0 { break }
            }
            return best ?? (.records(.all), estimator.total)
        case .or(let fs):
            var paths: [AccessPath] = []
            var sum = 0
            for f in fs {
                let p = try path(for: f, table: table, estimator: &estimator)
                if case .records(.all) = p.path { return (.records(.all), estimator.total) }
                if case .nothing = p.path { continue }
                paths.append(p.path)
                sum += p.estimate
            }
            if paths.isEmpty { return (.nothing, 0) }
            if paths.count == 1 { return (paths[0], sum) }
            return (.union(paths), min(sum, estimator.total))
        }
    }

    private static func path(for c: Condition, table: TableDefinition,
                             estimator: inout Estimator) throws -> (path: AccessPath, estimate: Int) {
        guard let attribute = table.attribute(c.attribute) else {
            // No record holds an attribute the table does not know.
            return c.comparator == .notEqual ? (.records(.all), estimator.total) : (.nothing, 0)
        }
        guard attribute.isPrimaryKey || attribute.indexed else { return (.records(.all), estimator.total) }
        let span: KeySpan?
        switch c.comparator {
        case .notEqual:
            return (.records(.all), estimator.total)
        case .contains, .endsWith:
            let path = AccessPath.keyScan(attribute: c.attribute, c)
            return (path, try estimator.estimate(path))
        case .equals:
            switch c.value {
            case .array, .object: return (.records(.all), estimator.total)
            default: span = .point(c.value)
            }
        case .startsWith:
            span = ConditionMatcher.text(of: c.value).map { .prefix(String(decoding: $0, as: UTF8.self)) }
        case .greaterThan, .greaterThanEqual, .lessThan, .lessThanEqual:
            guard let tag = rangeTag(c.value) else { return (.nothing, 0) }
            let inclusive = c.comparator == .greaterThanEqual || c.comparator == .lessThanEqual
            span = c.comparator == .greaterThan || c.comparator == .greaterThanEqual
                ? .range(lower: c.value, lowerInclusive: inclusive, upper: nil, upperInclusive: false, tag: tag)
                : .range(lower: nil, lowerInclusive: true, upper: c.value, upperInclusive: inclusive, tag: tag)
        case .between:
            guard case .array(let ends) = c.value, ends.count == 2,
                  let tag = rangeTag(ends[0]), rangeTag(ends[1]) == tag else { return (.nothing, 0) }
            span = .range(lower: ends[0], lowerInclusive: true, upper: ends[1], upperInclusive: true, tag: tag)
        }
        guard let span else { return (.nothing, 0) }
        let path: AccessPath = attribute.isPrimaryKey ? .records(span) : .index(attribute: c.attribute, span)
        return (path, try estimator.estimate(path))
    }

    private static func rangeTag(_ value: Value) -> UInt8? {
        switch value {
        case .int, .double: KeyCodec.numberTag
        case .string: KeyCodec.stringTag
        default: nil
        }
    }
}

/// Cardinality estimates from the index: duplicate counts of points, capped walks of ranges.
struct Estimator {
    let table: TableDefinition
    let txn: ReadTransaction
    let total: Int

    func estimate(_ path: AccessPath) throws -> Int {
        switch path {
        case .nothing: return 0
        case .records(.all): return total
        case .keyScan:
            // Unknown without doing the scan. Text matches are usually selective and the scan
            // reads keys only, so it is costed at a tenth of the table: cheaper than reading
            // every record, dearer than any point or narrow range.
            return max(1, total / 10)
        case .records(.point): return 1
        case .records(let span):
            guard let range = KeyRange(span, .records) else { return 0 }
            return try txn.withCursor(table.records) { try $0.estimate(range, index: false) }
        case .index(let name, let span):
            guard let attribute = table.attribute(name),
                  let range = KeyRange(span, .index(attribute: attribute.id)) else { return 0 }
            return min(total, try txn.withCursor(table.index) { try $0.estimate(range, index: true) })
        case .union(let paths):
            return min(total, try paths.reduce(0) { $0 + (try estimate($1)) })
        }
    }
}
