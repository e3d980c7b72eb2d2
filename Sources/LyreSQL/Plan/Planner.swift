package import LyreCore
package import LyreStorage

/// Chooses the access path of the first table and a strategy per join.
///
/// Pushdown follows Harper's index narrowing (sql.md §4.7): only when the `WHERE` clause has no
/// `OR`, only top-level `AND` conjuncts on the first table of the forms `col = lit`,
/// `col IN (lits)`, `col <op> lit`, `col BETWEEN lit AND lit` and `col LIKE 'abc%'`. Conjuncts
/// under `NOT` are never pushed (the correct answer of the §4.7 bug). The full `WHERE` is
/// evaluated on every fetched row, so a path only has to return a superset.
package enum Planner {
    /// The plan of `select`; `txn` reads the first table's database (index statistics).
    package static func plan(_ select: BoundSelect, txn: ReadTransaction) throws -> QueryPlan {
        guard let first = select.tables.first else { return QueryPlan(access: .fullScan, estimatedRows: 1, joins: []) }
        let (access, estimate) = try accessPath(for: first, where: select.whereClause, resolver: select.resolver, txn: txn)
        var joins: [(strategy: JoinStrategy, estimatedRows: Int)] = []
        for (i, join) in select.statement.joins.enumerated() {
            let right = select.tables[i + 1]
            let count = (try? right.database.read { try $0.count(right.definition.records) }) ?? 0
            joins.append((plan(join: join, rightPosition: i + 1, resolver: select.resolver), count))
        }
        return QueryPlan(access: access, estimatedRows: estimate, joins: joins)
    }

    /// The cheapest access path for `table` under `whereClause` (already rewritten, §4.6).
    package static func accessPath(for table: BoundTable, where whereClause: Expression?, resolver: ColumnResolver,
                                   txn: ReadTransaction) throws -> (AccessPath, Int) {
        let total = try txn.count(table.definition.records)
        guard let whereClause, !containsOr(whereClause) else { return (.fullScan, total) }
        var candidates: [(AccessPath, Int)] = []
        var lowers: [String: AccessPath.Bound] = [:]
        var uppers: [String: AccessPath.Bound] = [:]
        for conjunct in conjuncts(whereClause) {
            guard let p = predicate(conjunct, table: table, resolver: resolver) else { continue }
            let definition = table.definition
            let isKey = p.column == definition.primaryKey
            let attribute = definition.attribute(p.column)
            let indexed = !isKey && attribute?.indexed == true
            switch p.kind {
            case .equals(let values):
                if isKey {
                    candidates.append((.primaryKey(values), values.count))
                } else if indexed, let attribute {
                    var n = 0
                    for v in values { n += try equalCount(attribute.id, v, table: definition, txn: txn) }
                    candidates.append((.indexEquals(attribute: p.column, id: attribute.id, values: values), n))
                }
            case .lower(let bound):
                if indexed, lowers[p.column] == nil { lowers[p.column] = bound }
            case .upper(let bound):
                if indexed, uppers[p.column] == nil { uppers[p.column] = bound }
            case .between(let lo, let hi):
                if indexed {
                    if lowers[p.column] == nil { lowers[p.column] = lo }
                    if uppers[p.column] == nil { uppers[p.column] = hi }
                }
            case .prefix(let prefixes):
                if indexed, let attribute {
                    candidates.append((.indexPrefix(attribute: p.column, id: attribute.id, prefixes: prefixes),
                                       max(1, total / 10)))
                }
            }
        }
        for name in Set(lowers.keys).union(uppers.keys).sorted() {
            guard let attribute = table.definition.attribute(name) else { continue }
            var lower = lowers[name], upper = uppers[name]
            if let l = lower, let u = upper, typeTag(l.value) != typeTag(u.value) { upper = nil }
            if lower == nil, upper == nil { continue }
            if lower.map({ typeTag($0.value) == nil }) == true { lower = nil }
            if upper.map({ typeTag($0.value) == nil }) == true { upper = nil }
            if lower == nil, upper == nil { continue }
            candidates.append((.indexRange(attribute: name, id: attribute.id, lower: lower, upper: upper),
                               max(1, total / (lower != nil && upper != nil ? 4 : 3))))
        }
        var best: (AccessPath, Int) = (.fullScan, total)
        for c in candidates where c.1 < best.1 { best = c }
        return best
    }

    /// The key-type tag a range over `value` is limited to (numbers or strings), or `nil`.
    package static func typeTag(_ value: Value) -> UInt8? {
        switch value {
        case .int, .double: KeyCodec.numberTag
        case .string: KeyCodec.stringTag
        default: nil
        }
    }

    // MARK: Predicates

    private enum Kind {
        case equals([Value])
        case lower(AccessPath.Bound)
        case upper(AccessPath.Bound)
        case between(AccessPath.Bound, AccessPath.Bound)
        case prefix([String])
    }

    private static func predicate(_ e: Expression, table: BoundTable, resolver: ColumnResolver) -> (column: String, kind: Kind)? {
        func column(_ x: Expression) -> String? {
            guard case .column(let ref) = x, let slot = resolver.slots[ref], slot.table == table.position else { return nil }
            return slot.name
        }
        switch e {
        case .binary(let op, let l, let r):
            var op = op
            var name = column(l), lit = literalValue(r)
            if name == nil || lit == nil {
                name = column(r)
                lit = literalValue(l)
                switch op {
                case .lessThan: op = .greaterThan
                case .lessOrEqual: op = .greaterOrEqual
                case .greaterThan: op = .lessThan
                case .greaterOrEqual: op = .lessOrEqual
                default: break
                }
            }
            guard let name, let lit, !lit.isNull else { return nil }
            switch op {
            case .equal:
                switch lit {
                case .int, .double, .string, .bool: return (name, .equals([lit]))
                default: return nil
                }
            case .greaterThan: return (name, .lower(.init(value: lit, inclusive: false)))
            case .greaterOrEqual: return (name, .lower(.init(value: lit, inclusive: true)))
            case .lessThan: return (name, .upper(.init(value: lit, inclusive: false)))
            case .lessOrEqual: return (name, .upper(.init(value: lit, inclusive: true)))
            default: return nil
            }
        case .inList(let x, let list, negated: false):
            guard let name = column(x) else { return nil }
            var values: [Value] = []
            for item in list {
                guard let v = literalValue(item) else { return nil }
                switch v {
                case .int, .double, .string, .bool: if !values.contains(v) { values.append(v) }
                default: continue // null never matches
                }
            }
            return (name, .equals(values))
        case .between(let x, let lo, let hi, negated: false):
            guard let name = column(x), let l = literalValue(lo), let h = literalValue(hi),
                  let tag = typeTag(l), typeTag(h) == tag else { return nil }
            return (name, .between(.init(value: l, inclusive: true), .init(value: h, inclusive: true)))
        case .like(let x, .literal(.string(let pattern)), negated: false, _):
            guard let name = column(x), let prefixes = likePrefixes(pattern) else { return nil }
            return (name, .prefix(prefixes))
        default:
            return nil
        }
    }

    /// A literal's value, folding a unary minus over a number.
    static func literalValue(_ e: Expression) -> Value? {
        switch e {
        case .literal(.null): return .null
        case .literal(.bool(let b)): return .bool(b)
        case .literal(.number(let n)): return n.value
        case .literal(.string(let s)): return .string(s)
        case .unary(.minus, .literal(.number(let n))): return SQLNumber.value(-n.doubleValue)
        default: return nil
        }
    }

    /// Case variants of the literal prefix of a `LIKE` pattern, or `nil` when the pattern has no
    /// usable prefix. Only ASCII prefixes starting with a letter other than `t`/`f` are used, so
    /// no number or boolean (matched through its string form, §4.3) can be missed.
    static func likePrefixes(_ pattern: String) -> [String]? {
        var prefix: [Character] = []
        var letters = 0
        for c in pattern {
            if "%_[^$\\".contains(c) { break }
            guard c.isASCII, !c.isNewline else { break }
            if c.isLetter {
                if letters == 5 { break }
                letters += 1
            }
            prefix.append(c)
        }
        guard let first = prefix.first, first.isLetter, !"tfTF".contains(first) else { return nil }
        var variants = [""]
        for c in prefix {
            if c.isLetter {
                variants = variants.flatMap { [$0 + c.lowercased(), $0 + c.uppercased()] }
            } else {
                variants = variants.map { $0 + String(c) }
            }
        }
        return variants
    }

    private static func equalCount(_ id: UInt16, _ value: Value, table: TableDefinition, txn: ReadTransaction) throws -> Int {
        guard let key = TableIndex.key(id, value) else { return 0 }
        return try txn.withCursor(table.index) { cursor in
            guard try cursor.seek(exactly: key) != nil else { return 0 }
            return try cursor.duplicateCount()
        }
    }

    // MARK: Conjuncts

    /// The top-level `AND` operands of `e`.
    package static func conjuncts(_ e: Expression) -> [Expression] {
        if case .binary(.and, let l, let r) = e { return conjuncts(l) + conjuncts(r) }
        return [e]
    }

    static func containsOr(_ e: Expression) -> Bool {
        var found = false
        e.forEachNode { if case .binary(.or, _, _) = $0 { found = true } }
        return found
    }

    // MARK: Joins

    /// The strategy of one join: hash join on equality conjuncts between the joined table and
    /// the tables to its left, nested loop otherwise.
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
        for c in conjuncts(condition) {
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
        return .hash(leftKeys: left, rightKeys: right, residual: residual)
    }
}
