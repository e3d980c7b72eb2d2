public import LyreCore

/// Evaluates expressions with Harper's (AlaSQL's JavaScript) semantics, sql.md §4.
///
/// Results are `Value?`: `nil` is JavaScript *undefined* (a null operand of a comparison or
/// arithmetic, a literal `NULL`, a failed `->`), which removes the key from a result row and
/// is false in conditions. NaN stays `.double(.nan)`; see `SQLResult.isOmitted(_:)`.
///
/// ```swift
/// let evaluator = ExpressionEvaluator()
/// let e = try Parser.parseExpression("age * 2")
/// try evaluator.evaluate(e, row: RecordRow(["age": 3]))   // .int(6)
/// ```
public struct ExpressionEvaluator: Sendable {
    public var functions: FunctionRegistry
    public var context: FunctionContext

    public init(functions: FunctionRegistry = .standard, context: FunctionContext = .system) {
        self.functions = functions
        self.context = context
    }

    /// Whether `expression` holds for `row` in a condition (`WHERE`, `ON`, `HAVING`).
    /// - Throws: what `evaluate` throws.
    public func isTrue(_ expression: Expression, row: some RowAccess) throws -> Bool {
        JS.truthy(try evaluate(expression, row: row))
    }

    /// The value of `expression` for `row`.
    /// - Throws: `SQLEvaluationError` (unknown function, sub-select, bad pattern, …) or what
    ///   the row throws for column references (`LyreError` such as `no from clause`).
    public func evaluate(_ expression: Expression, row: some RowAccess) throws -> Value? {
        switch expression {
        case .literal(let literal):
            switch literal {
            case .null: return nil
            case .bool(let b): return .bool(b)
            case .number(let n): return n.value
            case .string(let s): return .string(s)
            case .json(let v): return v
            }
        case .column(let ref):
            return try row.value(of: ref) ?? .null
        case .unary(let op, let operand):
            let v = try evaluate(operand, row: row)
            switch op {
            case .not: return .bool(!JS.truthy(v))
            case .minus: return v == nil ? .none : SQLNumber.value(-JS.toNumber(v))
            case .plus: return v == nil ? .none : SQLNumber.value(JS.toNumber(v))
            }
        case .binary(let op, let l, let r):
            return try binary(op, l, r, row: row)
        case .isNull(let e, let negated):
            return .bool(JS.isNullish(try evaluate(e, row: row)) != negated)
        case .inList(let e, let list, let negated):
            let v = try evaluate(e, row: row)
            if JS.isNullish(v) { return nil }
            // A list of constants answers from its hash set (one lookup, not one per item).
            if let v, let found = list.containsConstant(v) { return .bool(found != negated) }
            var found = false
            for item in list {
                if case .subquery = item { throw SQLEvaluationError("sub-selects are not supported") }
                if JS.strictEquals(v, try evaluate(item, row: row)) { found = true; break }
            }
            return .bool(found != negated)
        case .between(let e, let low, let high, let negated):
            let v = try evaluate(e, row: row)
            let lo = try evaluate(low, row: row), hi = try evaluate(high, row: row)
            if JS.isNullish(v) || JS.isNullish(lo) || JS.isNullish(hi) { return nil }
            let inside = JS.lessThan(lo, v, orEqual: true) && JS.lessThan(v, hi, orEqual: true)
            return .bool(inside != negated)
        case .like(let e, let pattern, let negated, _):
            let v = try evaluate(e, row: row), p = try evaluate(pattern, row: row)
            if JS.isNullish(v) || JS.isNullish(p) { return nil }
            return .bool(try SQLPattern.like(JS.toString(v), pattern: JS.toString(p)) != negated)
        case .quantified(let op, let e, let quantifier, let list):
            let v = try evaluate(e, row: row)
            if JS.isNullish(v) { return nil }
            var results: [Bool] = []
            for item in list {
                if case .subquery = item { throw SQLEvaluationError("sub-selects are not supported") }
                let w = try evaluate(item, row: row)
                results.append(JS.truthy(compare(op, v, w)))
            }
            return .bool(quantifier == .all ? results.allSatisfy { $0 } : results.contains(true))
        case .caseWhen(let c):
            if let lookup = c.lookup {
                // Constants compared with one subject: the first equal branch by one lookup.
                let subject = try evaluate(lookup.subject, row: row)
                if let key = StrictKey(subject), let i = lookup.firstBranch[key] {
                    return try evaluate(c.branches[i].value, row: row)
                }
                return try c.elseValue.flatMap { try evaluate($0, row: row) }
            }
            if let operandExpression = c.operand {
                let operand = try evaluate(operandExpression, row: row)
                for branch in c.branches where !JS.isNullish(operand) {
                    if JS.strictEquals(operand, try evaluate(branch.condition, row: row)) {
                        return try evaluate(branch.value, row: row)
                    }
                }
            } else {
                for branch in c.branches where try isTrue(branch.condition, row: row) {
                    return try evaluate(branch.value, row: row)
                }
            }
            return try c.elseValue.flatMap { try evaluate($0, row: row) }
        case .function(let call):
            if call.aggregate != nil { return try row.aggregateValue(of: call) }
            guard let function = functions.lookup(call.name) else {
                throw SQLEvaluationError("unknown function \(call.name)")
            }
            var arguments: [Value?] = []
            arguments.reserveCapacity(call.arguments.count)
            for argument in call.arguments { arguments.append(try evaluate(argument, row: row)) }
            return try function.call(arguments, context: context)
        case .cast(let e, let type, let style):
            let v = try evaluate(e, row: row)
            return try SQLCast.apply(v, to: type, style: try style.flatMap { try evaluate($0, row: row) })
        case .currentTimestamp:
            return .int(Int64(context.now().rounded(.down)))
        case .subquery, .exists:
            throw SQLEvaluationError("sub-selects are not supported")
        }
    }

    private func binary(_ op: BinaryOperator, _ l: Expression, _ r: Expression, row: some RowAccess) throws -> Value? {
        switch op {
        case .and:
            let a = try evaluate(l, row: row)
            return JS.truthy(a) ? try evaluate(r, row: row) : a
        case .or:
            let a = try evaluate(l, row: row)
            return JS.truthy(a) ? a : try evaluate(r, row: row)
        case .concat:
            let a = try evaluate(l, row: row), b = try evaluate(r, row: row)
            return .string((JS.truthy(a) ? JS.toString(a) : "") + (JS.truthy(b) ? JS.toString(b) : ""))
        default:
            break
        }
        let a = try evaluate(l, row: row), b = try evaluate(r, row: row)
        return try Self.apply(op, a, b)
    }

    private func compare(_ op: BinaryOperator, _ a: Value?, _ b: Value?) -> Value? {
        (try? Self.apply(op, a, b)) ?? nil
    }

    /// A binary operator other than `AND`/`OR`/`||` on two evaluated operands (sql.md §4.2, §4.4).
    /// - Throws: `SQLEvaluationError` for an invalid `REGEXP` pattern.
    public static func apply(_ op: BinaryOperator, _ a: Value?, _ b: Value?) throws -> Value? {
        if op == .arrow { return navigate(a, b) }
        if JS.isNullish(a) || JS.isNullish(b) { return nil }
        switch op {
        case .equal: return .bool(JS.strictEquals(a, b))
        case .notEqual: return .bool(!JS.looseEquals(a, b))
        case .lessThan: return .bool(JS.lessThan(a, b))
        case .lessOrEqual: return .bool(JS.lessThan(a, b, orEqual: true))
        case .greaterThan: return .bool(JS.lessThan(b, a))
        case .greaterOrEqual: return .bool(JS.lessThan(b, a, orEqual: true))
        case .add:
            if isStringish(a) || isStringish(b) { return .string(JS.toString(a) + JS.toString(b)) }
            return SQLNumber.value(JS.toNumber(a) + JS.toNumber(b))
        case .subtract: return SQLNumber.value(JS.toNumber(a) - JS.toNumber(b))
        case .multiply: return SQLNumber.value(JS.toNumber(a) * JS.toNumber(b))
        case .divide: return SQLNumber.value(JS.toNumber(a) / JS.toNumber(b))
        case .modulo: return SQLNumber.value(JS.toNumber(a).truncatingRemainder(dividingBy: JS.toNumber(b)))
        case .bitXor: return .int(Int64(JS.toInt32(JS.toNumber(a)) ^ JS.toInt32(JS.toNumber(b))))
        case .regexp: return .bool(try SQLPattern.search(JS.toString(b), in: JS.toString(a)))
        case .and, .or, .concat, .arrow: return nil // handled by the caller
        }
    }

    /// Strings, arrays and objects make `+` concatenate (JavaScript `ToPrimitive`).
    private static func isStringish(_ v: Value?) -> Bool {
        switch v {
        case .string?, .array?, .object?: true
        default: false
        }
    }

    /// `a->b`: property `b` of an object, element `b` of an array; otherwise undefined.
    static func navigate(_ a: Value?, _ key: Value?) -> Value? {
        switch a {
        case .object(let o)?:
            return o[JS.toString(key)]
        case .array(let items)?:
            let n = JS.toNumber(key)
            guard n.isFinite, n >= 0, n == n.rounded(), Int(n) < items.count else { return nil }
            return items[Int(n)]
        default:
            return nil
        }
    }
}

/// Helpers for building result rows from evaluated values (sql.md §5.9.4).
public enum SQLResult {
    /// Whether a select-list value produces no key: undefined or NaN.
    public static func isOmitted(_ value: Value?) -> Bool {
        switch value {
        case nil: true
        case .double(let d)?: d.isNaN
        default: false
        }
    }

    /// The value as returned to the client: ±Infinity becomes null; `nil` stays `nil` (omitted).
    public static func output(_ value: Value?) -> Value? {
        guard let value else { return nil }
        if case .double(let d) = value {
            if d.isNaN { return nil }
            if d.isInfinite { return .null }
        }
        return value
    }
}
