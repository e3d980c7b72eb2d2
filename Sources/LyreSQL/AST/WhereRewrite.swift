import LyreCore

/// Harper's rewriting of `WHERE` literals before evaluation (sql.md §4.6).
public enum WhereRewrite {
    /// `where` with (1) `'true'`/`'TRUE'`/`'false'`/`'FALSE'` as the right operand of a binary
    /// operator replaced by booleans and (2) canonical-number strings in `IN` lists replaced by
    /// numbers. Apply to the `WHERE` of `SELECT`, `UPDATE` and `DELETE`.
    public static func apply(_ expression: Expression) -> Expression {
        switch expression {
        case .binary(let op, let l, let r):
            var right = apply(r)
            if case .literal(.string(let s)) = r {
                switch s {
                case "true", "TRUE": right = .literal(.bool(true))
                case "false", "FALSE": right = .literal(.bool(false))
                default: break
                }
            }
            return .binary(op, apply(l), right)
        case .unary(let op, let e):
            return .unary(op, apply(e))
        case .inList(let e, let list, let negated):
            return .inList(apply(e), InList(list.map { item in
                if case .literal(.string(let s)) = item, let n = canonicalNumber(s) { return .literal(.number(n)) }
                return apply(item)
            }), negated: negated)
        case .isNull(let e, let negated):
            return .isNull(apply(e), negated: negated)
        case .between(let e, let lo, let hi, let negated):
            return .between(apply(e), low: apply(lo), high: apply(hi), negated: negated)
        case .like(let e, let p, let negated, let esc):
            return .like(apply(e), pattern: p, negated: negated, escape: esc)
        default:
            return expression
        }
    }

    /// The number a string stands for when it is "canonical": finite, no `e`/`E`, and no
    /// leading `0` unless it is `0` or starts with `0.` (sql.md §4.6).
    public static func canonicalNumber(_ s: String) -> NumberLiteral? {
        guard !s.isEmpty, !s.contains("e"), !s.contains("E") else { return nil }
        let unsigned = s.hasPrefix("-") ? String(s.dropFirst()) : s
        if unsigned.hasPrefix("0"), unsigned != "0", !unsigned.hasPrefix("0.") { return nil }
        let d = SQLNumber.parse(s)
        guard d.isFinite, JS.trimWhitespace(s) == s else { return nil }
        if case .int(let i) = SQLNumber.value(d) { return .int(i) }
        return .double(d)
    }
}
