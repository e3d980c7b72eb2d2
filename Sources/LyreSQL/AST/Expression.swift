public import LyreCore

/// A SQL expression (sql.md §4). A value type: compare and hash freely.
public indirect enum Expression: Sendable, Hashable {
    /// A literal constant.
    case literal(Literal)
    /// A column reference, qualified (`p.name`) or not (`name`).
    case column(ColumnRef)
    /// `-x`, `+x`, `NOT x`.
    case unary(UnaryOperator, Expression)
    /// `a op b` for arithmetic, comparison, logical, concatenation, `REGEXP` and `->`.
    case binary(BinaryOperator, Expression, Expression)
    /// `x IS NULL` / `x IS NOT NULL`.
    case isNull(Expression, negated: Bool)
    /// `x [NOT] IN (v1, …)`.
    case inList(Expression, InList, negated: Bool)
    /// `x [NOT] BETWEEN low AND high`.
    case between(Expression, low: Expression, high: Expression, negated: Bool)
    /// `x [NOT] LIKE pattern [ESCAPE e]` (the escape is parsed and ignored, sql.md §4.3).
    case like(Expression, pattern: Expression, negated: Bool, escape: Expression?)
    /// `x op ANY|SOME|ALL (v1, …)`.
    case quantified(BinaryOperator, Expression, Quantifier, [Expression])
    /// `CASE …  END`.
    case caseWhen(CaseExpression)
    /// A function or aggregate call, including `COUNT(*)` and `COUNT(DISTINCT x)`.
    case function(FunctionCall)
    /// `CAST(x AS type)` or `CONVERT(type, x[, style])`.
    case cast(Expression, SQLType, style: Expression?)
    /// The keyword `CURRENT_TIMESTAMP` (written without parentheses).
    case currentTimestamp
    /// A sub-select; parsed so it can be rejected the way Harper does (sql.md §5.12).
    case subquery(SelectStatement)
    /// `EXISTS (SELECT …)`; parsed to be rejected (sql.md §5.12).
    case exists(SelectStatement)
}

/// A literal as written in the SQL text.
public enum Literal: Sendable, Hashable {
    /// `NULL`: evaluates to *undefined* (sql.md §4.1, §5.9.4: `NULL AS n` has no key).
    case null
    case bool(Bool)
    case number(NumberLiteral)
    case string(String)
    /// `@[…]` / `@{…}` JSON literals (sql.md §2.3).
    case json(Value)
}

/// A column reference; `qualifier` is a table alias or bare table name.
public struct ColumnRef: Sendable, Hashable, CustomStringConvertible {
    public var qualifier: String?
    public var name: String

    public init(qualifier: String? = nil, name: String) {
        self.qualifier = qualifier
        self.name = name
    }

    /// The reference as written, for error texts (`unknown column p.nope`).
    public var description: String { qualifier.map { "\($0).\(name)" } ?? name }
}

/// A prefix operator; the raw value is its SQL spelling.
public enum UnaryOperator: String, Sendable, Hashable {
    case minus = "-"
    case plus = "+"
    case not = "NOT"
}

/// An infix operator; the raw value is its canonical SQL spelling (`<>` parses as `!=`,
/// `==` as `=`).
public enum BinaryOperator: String, Sendable, Hashable {
    case add = "+"
    case subtract = "-"
    case multiply = "*"
    case divide = "/"
    case modulo = "%"
    case bitXor = "^"
    case concat = "||"
    case equal = "="
    case notEqual = "!="
    case lessThan = "<"
    case lessOrEqual = "<="
    case greaterThan = ">"
    case greaterOrEqual = ">="
    case and = "AND"
    case or = "OR"
    case regexp = "REGEXP"
    /// JSON navigation `a->b` (sql.md §4.4).
    case arrow = "->"
}

/// The quantifier of `x op ANY|SOME|ALL (list)`.
public enum Quantifier: String, Sendable, Hashable {
    case any = "ANY"
    case some = "SOME"
    case all = "ALL"
}

/// `CASE [operand] WHEN … THEN … [ELSE …] END`.
public struct CaseExpression: Sendable, Hashable {
    /// The operand of the simple form (`CASE species WHEN 'dog' …`), `nil` for the searched form.
    public var operand: Expression? { didSet { lookup = CaseLookup(operand: operand, branches: branches) } }
    public var branches: [Branch] { didSet { lookup = CaseLookup(operand: operand, branches: branches) } }
    public var elseValue: Expression?
    /// Derived from `operand` and `branches` for the evaluator; not part of equality.
    private(set) var lookup: CaseLookup?

    public static func == (a: CaseExpression, b: CaseExpression) -> Bool {
        a.operand == b.operand && a.branches == b.branches && a.elseValue == b.elseValue
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(operand)
        hasher.combine(branches)
        hasher.combine(elseValue)
    }

    public struct Branch: Sendable, Hashable {
        public var condition: Expression
        public var value: Expression
        public init(condition: Expression, value: Expression) {
            self.condition = condition
            self.value = value
        }
    }

    public init(operand: Expression?, branches: [Branch], elseValue: Expression?) {
        self.operand = operand
        self.branches = branches
        self.elseValue = elseValue
        lookup = CaseLookup(operand: operand, branches: branches)
    }
}

/// A function call as written.
public struct FunctionCall: Sendable, Hashable {
    /// The name exactly as written (`upper`, `date_format`, `geoArea`).
    public var name: String
    public var arguments: [Expression]
    /// `COUNT(DISTINCT x)`, `SUM(DISTINCT x)`.
    public var isDistinct: Bool
    /// `COUNT(*)`.
    public var isStar: Bool

    public init(name: String, arguments: [Expression], isDistinct: Bool = false, isStar: Bool = false) {
        self.name = name
        self.arguments = arguments
        self.isDistinct = isDistinct
        self.isStar = isStar
    }

    /// The aggregate this call denotes, if any (sql-functions.md §1.1, §2).
    public var aggregate: AggregateKind? { AggregateKind(callName: name, argumentCount: isStar ? 1 : arguments.count) }
}

/// A target type of `CAST` / `CONVERT`: upper-cased name and optional parameters (`DECIMAL(5,2)`).
public struct SQLType: Sendable, Hashable {
    public var name: String
    public var parameters: [Int]

    public init(name: String, parameters: [Int] = []) {
        self.name = name.uppercased()
        self.parameters = parameters
    }
}

extension Expression {
    /// Calls `visit` on this expression and every sub-expression (sub-selects excluded).
    public func forEachNode(_ visit: (Expression) -> Void) {
        visit(self)
        switch self {
        case .literal, .column, .currentTimestamp, .subquery, .exists: break
        case .unary(_, let e), .isNull(let e, _): e.forEachNode(visit)
        case .binary(_, let a, let b): a.forEachNode(visit); b.forEachNode(visit)
        case .inList(let e, let list, _):
            e.forEachNode(visit); list.forEach { $0.forEachNode(visit) }
        case .quantified(_, let e, _, let list):
            e.forEachNode(visit); list.forEach { $0.forEachNode(visit) }
        case .between(let e, let lo, let hi, _):
            e.forEachNode(visit); lo.forEachNode(visit); hi.forEachNode(visit)
        case .like(let e, let p, _, let esc):
            e.forEachNode(visit); p.forEachNode(visit); esc?.forEachNode(visit)
        case .caseWhen(let c):
            c.operand?.forEachNode(visit)
            for b in c.branches { b.condition.forEachNode(visit); b.value.forEachNode(visit) }
            c.elseValue?.forEachNode(visit)
        case .function(let f): f.arguments.forEach { $0.forEachNode(visit) }
        case .cast(let e, _, let style): e.forEachNode(visit); style?.forEachNode(visit)
        }
    }

    /// Every column referenced, in textual order (sub-selects excluded).
    public var columnReferences: [ColumnRef] {
        var refs: [ColumnRef] = []
        forEachNode { if case .column(let c) = $0 { refs.append(c) } }
        return refs
    }

    /// Whether an aggregate call occurs anywhere in the expression.
    public var containsAggregate: Bool {
        var found = false
        forEachNode { if case .function(let f) = $0, f.aggregate != nil { found = true } }
        return found
    }

    /// Whether the expression contains a sub-select or `EXISTS`.
    public var containsSubquery: Bool {
        var found = false
        forEachNode {
            switch $0 {
            case .subquery, .exists: found = true
            default: break
            }
        }
        return found
    }
}
