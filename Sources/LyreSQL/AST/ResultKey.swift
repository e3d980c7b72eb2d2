/// Result-key naming of unaliased select items (sql.md §5.9.2).
public enum ResultKey {
    /// How expression text is rendered: with `FROM` (function-call keys, double-quoted strings)
    /// or without `FROM` (AlaSQL's rendering, single-quoted strings).
    public enum Style: Sendable {
        case withFrom
        case withoutFrom
    }

    /// The key an item produces, or `nil` for wildcards (they expand to attribute names).
    ///
    /// ```swift
    /// ResultKey.key(for: .expression(upperName, alias: nil), hasFrom: true)   // "UPPER(name)"
    /// ```
    /// - Parameters:
    ///   - item: the select-list item.
    ///   - hasFrom: whether the statement has a `FROM` clause.
    public static func key(for item: SelectItem, hasFrom: Bool) -> String? {
        guard case .expression(let expression, let alias) = item else { return nil }
        if let alias { return alias }
        if case .column(let ref) = expression { return ref.name }
        guard hasFrom else { return render(expression, style: .withoutFrom) }
        guard case .function(let call) = expression else { return "undefined" }
        if let aggregate = call.aggregate {
            if call.isStar { return aggregate.keyName + "(*)" }
            if case .column(let ref)? = call.arguments.first { return "\(aggregate.keyName)(\(ref))" }
            return "\(aggregate.keyName)(undefined)"
        }
        return render(expression, style: .withFrom)
    }

    /// Harper-added function names keep their spelling in keys; AlaSQL's are upper-cased.
    static let harperFunctions: Set<String> = [
        "current_date", "current_time", "get_server_time", "date_format", "date_add", "date_sub",
        "date_diff", "extract", "offset_utc", "distinct_array", "search_json", "median", "mean",
        "mode", "prod", "mad", "geoarea", "geolength", "geodistance", "geonear", "geocontains",
        "geoequal", "geocrosses", "geodifference", "geoconvert", "geocircle",
    ]

    /// The canonical text of an expression (sql.md §5.9.2).
    public static func render(_ expression: Expression, style: Style) -> String {
        render(expression, style: style, parentPrecedence: 0)
    }

    static func precedence(_ op: BinaryOperator) -> Int {
        switch op {
        case .or: 1
        case .and: 2
        case .equal, .notEqual, .lessThan, .lessOrEqual, .greaterThan, .greaterOrEqual, .regexp: 4
        case .add, .subtract, .concat: 5
        case .multiply, .divide, .modulo: 6
        case .bitXor: 7
        case .arrow: 9
        }
    }

    private static func render(_ e: Expression, style: Style, parentPrecedence: Int) -> String {
        func sub(_ x: Expression, _ p: Int) -> String { render(x, style: style, parentPrecedence: p) }
        func wrap(_ text: String, _ p: Int) -> String { p < parentPrecedence ? "(\(text))" : text }
        switch e {
        case .literal(let literal):
            switch literal {
            case .null: return "NULL"
            case .bool(let b): return b ? "TRUE" : "FALSE"
            case .number(let n): return SQLNumber.format(n.doubleValue)
            case .string(let s): return style == .withFrom ? "\"\(s)\"" : "'\(s)'"
            case .json: return "@JSON"
            }
        case .column(let ref):
            return ref.description
        case .unary(let op, let operand):
            switch op {
            case .not: return wrap("NOT " + sub(operand, 3), 3)
            case .minus: return "-" + sub(operand, 8)
            case .plus: return "+" + sub(operand, 8)
            }
        case .binary(let op, let l, let r):
            let p = precedence(op)
            if op == .arrow { return sub(l, p) + "->" + sub(r, p + 1) }
            return wrap(sub(l, p) + " " + op.rawValue + " " + sub(r, p + 1), p)
        case .isNull(let x, let negated):
            return wrap(sub(x, 5) + (negated ? " IS NOT NULL" : " IS NULL"), 4)
        case .inList(let x, let list, let negated):
            return wrap(sub(x, 5) + (negated ? " NOT IN (" : " IN (") + list.map { sub($0, 0) }.joined(separator: ",") + ")", 4)
        case .between(let x, let lo, let hi, let negated):
            return wrap(sub(x, 5) + (negated ? " NOT BETWEEN " : " BETWEEN ") + sub(lo, 5) + " AND " + sub(hi, 5), 4)
        case .like(let x, let p, let negated, _):
            return wrap(sub(x, 5) + (negated ? " NOT LIKE " : " LIKE ") + sub(p, 5), 4)
        case .quantified(let op, let x, let q, let list):
            return wrap(sub(x, 5) + " \(op.rawValue) \(q.rawValue) (" + list.map { sub($0, 0) }.joined(separator: ",") + ")", 4)
        case .caseWhen(let c):
            var text = "CASE"
            if let operand = c.operand { text += " " + sub(operand, 0) }
            for b in c.branches { text += " WHEN " + sub(b.condition, 0) + " THEN " + sub(b.value, 0) }
            if let e = c.elseValue { text += " ELSE " + sub(e, 0) }
            return text + " END"
        case .function(let call):
            let name: String
            if let aggregate = call.aggregate, aggregate.keyName != "REDUCE" {
                name = aggregate.keyName
            } else if harperFunctions.contains(call.name.lowercased()) {
                name = call.name
            } else {
                name = call.name.uppercased()
            }
            if call.isStar { return name + "(*)" }
            return name + "(" + call.arguments.map { sub($0, 0) }.joined(separator: ",") + ")"
        case .cast(let x, let type, _):
            let params = type.parameters.isEmpty ? "" : "(" + type.parameters.map(String.init).joined(separator: ",") + ")"
            return "CAST(" + sub(x, 0) + " AS " + type.name + params + ")"
        case .currentTimestamp:
            return "CURRENT_TIMESTAMP"
        case .subquery:
            return "(SELECT)"
        case .exists:
            return "EXISTS(SELECT)"
        }
    }
}

extension SelectStatement {
    /// The result key of `item` in this statement (sql.md §5.9.2); `nil` for wildcards.
    public func resultKey(for item: SelectItem) -> String? {
        ResultKey.key(for: item, hasFrom: hasFrom)
    }
}
