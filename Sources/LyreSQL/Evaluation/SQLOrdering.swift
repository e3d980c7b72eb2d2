public import LyreCore

/// `ORDER BY` comparison (sql.md §4.5): falsy values (null, missing, `false`, `0`, `''`, NaN)
/// become `''`, then JavaScript relational comparison and loose equality decide.
public enum SQLOrdering {
    /// Whether `a` sorts before `b` ascending. Use with a stable sort (§5.10).
    public static func ascending(_ a: Value?, _ b: Value?) -> Bool {
        JS.lessThan(key(a), key(b))
    }

    /// -1, 0 or 1 for `a` versus `b` ascending; values that neither precede nor follow each
    /// other (mixed types, §4.5) compare as 0 so a stable sort keeps their order.
    public static func compare(_ a: Value?, _ b: Value?) -> Int {
        let x = key(a), y = key(b)
        if JS.lessThan(x, y) { return -1 }
        if JS.lessThan(y, x) { return 1 }
        return 0
    }

    /// Sorts `rows` stably by several keys, each ascending or descending.
    ///
    /// - Parameters:
    ///   - rows: the rows to sort.
    ///   - keys: per row, the sort-key values in `ORDER BY` order.
    ///   - descending: per sort key, whether it is `DESC`.
    public static func sorted<Row>(_ rows: [Row], keys: (Row) -> [Value?], descending: [Bool]) -> [Row] {
        let keyed = rows.enumerated().map { (offset: $0.offset, row: $0.element, keys: keys($0.element)) }
        return keyed.sorted { l, r in
            for (i, desc) in descending.enumerated() {
                let c = compare(l.keys[i], r.keys[i])
                if c != 0 { return desc ? c > 0 : c < 0 }
            }
            return l.offset < r.offset
        }.map(\.row)
    }

    private static func key(_ v: Value?) -> Value? {
        JS.truthy(v) ? v : .string("")
    }
}
