import LyreCore
package import LyreQuery

/// Translates the index-usable part of a `WHERE` clause into LyreQuery conditions, so SQL and
/// the NoSQL searches share one planner (`QueryPlanner`) for choosing an index path.
///
/// Follows Harper's index narrowing (sql.md §4.7): only when the clause has no `OR`, only
/// top-level `AND` conjuncts on the first table of the forms `col = lit`, `col IN (lits)`,
/// `col <op> lit`, `col BETWEEN lit AND lit` and `col LIKE 'abc%'`. Conjuncts under `NOT` are
/// never pushed (the correct answer of the §4.7 bug). The filter only has to describe a
/// **superset** of the rows: the caller evaluates the full `WHERE` on every candidate, and the
/// NoSQL matcher is never applied to SQL rows.
///
/// ```swift
/// // WHERE species = 'dog' AND age > 2 AND age <= 7
/// Pushdown.filter(for: pet, where: clause, resolver: resolver)
/// // .and([species equals "dog", age between [2, 7]])
/// ```
package enum Pushdown {
    /// The conditions for `table` under `whereClause` (already rewritten, §4.6), or `nil` when
    /// nothing can narrow the scan.
    package static func filter(for table: BoundTable, where whereClause: Expression?, resolver: ColumnResolver) -> Filter? {
        guard let whereClause, !containsOr(whereClause) else { return nil }
        var parts: [Filter] = []
        var lowers: [String: Bound] = [:]
        var uppers: [String: Bound] = [:]
        func either(_ filters: [Filter]) -> Filter { filters.count == 1 ? filters[0] : .or(filters) }
        for conjunct in conjuncts(whereClause) {
            guard let p = predicate(conjunct, table: table, resolver: resolver) else { continue }
            switch p.kind {
            case .equals(let values):
                // An empty list (only nulls) matches nothing: `.or([])` plans as no candidates.
                parts.append(either(values.map { .condition(Condition(p.column, .equals, $0)) }))
            case .lower(let bound):
                if lowers[p.column] == nil { lowers[p.column] = bound }
            case .upper(let bound):
                if uppers[p.column] == nil { uppers[p.column] = bound }
            case .between(let lo, let hi):
                if lowers[p.column] == nil { lowers[p.column] = lo }
                if uppers[p.column] == nil { uppers[p.column] = hi }
            case .prefix(let prefixes):
                parts.append(either(prefixes.map { .condition(Condition(p.column, .startsWith, .string($0))) }))
            }
        }
        for name in Set(lowers.keys).union(uppers.keys).sorted() {
            var lower = lowers[name], upper = uppers[name]
            if lower.map({ typeTag($0.value) == nil }) == true { lower = nil }
            if upper.map({ typeTag($0.value) == nil }) == true { upper = nil }
            if let l = lower, let u = upper, typeTag(l.value) != typeTag(u.value) { upper = nil }
            switch (lower, upper) {
            case let (l?, u?):
                // One two-sided range; inclusive ends read a superset, the WHERE re-check trims them.
                parts.append(.condition(Condition(name, .between, .array([l.value, u.value]))))
            case let (l?, nil):
                parts.append(.condition(Condition(name, l.inclusive ? .greaterThanEqual : .greaterThan, l.value)))
            case let (nil, u?):
                parts.append(.condition(Condition(name, u.inclusive ? .lessThanEqual : .lessThan, u.value)))
            case (nil, nil):
                continue
            }
        }
        if parts.isEmpty { return nil }
        return parts.count == 1 ? parts[0] : .and(parts)
    }

    /// The key-type tag a range over `value` is limited to (numbers or strings), or `nil`.
    static func typeTag(_ value: Value) -> UInt8? {
        switch value {
        case .int, .double: KeyCodec.numberTag
        case .string: KeyCodec.stringTag
        default: nil
        }
    }

    // MARK: Predicates

    struct Bound {
        var value: Value
        var inclusive: Bool
    }

    private enum Kind {
        case equals([Value])
        case lower(Bound)
        case upper(Bound)
        case between(Bound, Bound)
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
            // A set beside the list: `values.contains` made a 50,000-item IN list take
            // minutes (found by the HTTP fuzzer).
            var seen = Set<Value>()
            for item in list {
                guard let v = literalValue(item) else { return nil }
                switch v {
                case .int, .double, .string, .bool: if seen.insert(v).inserted { values.append(v) }
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
}
