/// `SELECT …` (sql.md §5.1).
public struct SelectStatement: Sendable, Hashable {
    public var distinct: Bool
    /// `TOP n`.
    public var top: Int?
    public var items: [SelectItem]
    /// `nil` for a select without `FROM` (sql.md §5.11).
    public var from: TableRef?
    public var joins: [Join]
    public var whereClause: Expression?
    public var groupBy: [Expression]
    public var having: Expression?
    public var orderBy: [OrderItem]
    public var limit: Int?
    public var offset: Int?
    /// Constructs Harper parses but cannot run (sql.md §5.2, §5.12); the executor answers
    /// error 500 *generic* (or the texts of §5.12) when this is not empty.
    public var unsupported: [UnsupportedFeature]

    public init(distinct: Bool = false, top: Int? = nil, items: [SelectItem], from: TableRef? = nil,
                joins: [Join] = [], whereClause: Expression? = nil, groupBy: [Expression] = [],
                having: Expression? = nil, orderBy: [OrderItem] = [], limit: Int? = nil, offset: Int? = nil,
                unsupported: [UnsupportedFeature] = []) {
        self.distinct = distinct
        self.top = top
        self.items = items
        self.from = from
        self.joins = joins
        self.whereClause = whereClause
        self.groupBy = groupBy
        self.having = having
        self.orderBy = orderBy
        self.limit = limit
        self.offset = offset
        self.unsupported = unsupported
    }

    /// Whether the statement has a `FROM` clause (this changes result-key naming, sql.md §5.9.2).
    public var hasFrom: Bool { from != nil }
    /// The row limit: `LIMIT n` or `TOP n`.
    public var effectiveLimit: Int? { limit ?? top }
}

/// Features that parse but are rejected at execution (sql.md §5.12).
public enum UnsupportedFeature: String, Sendable, Hashable {
    case union, intersect, except
    case commaJoin
    case naturalJoin
    case subquery
}

/// One select-list item.
public enum SelectItem: Sendable, Hashable {
    /// `*`.
    case wildcard
    /// `q.*`.
    case qualifiedWildcard(String)
    /// `expr [[AS] alias]`.
    case expression(Expression, alias: String?)
}

/// `database.table [[AS] alias]`.
public struct TableRef: Sendable, Hashable {
    public var name: TableName
    public var alias: String?

    public init(name: TableName, alias: String? = nil) {
        self.name = name
        self.alias = alias
    }

    /// The qualifier columns use for this table: its alias, or the bare table name.
    public var qualifier: String { alias ?? name.table }
}

/// One `JOIN` of the `FROM` clause, in statement order.
public struct Join: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case inner = "INNER"
        case left = "LEFT"
        case right = "RIGHT"
        case full = "FULL OUTER"
        case cross = "CROSS"
    }

    public var kind: Kind
    public var table: TableRef
    /// `nil` for `CROSS JOIN`.
    public var condition: Expression?

    public init(kind: Kind, table: TableRef, condition: Expression?) {
        self.kind = kind
        self.table = table
        self.condition = condition
    }
}

/// An `ORDER BY` key.
public struct OrderItem: Sendable, Hashable {
    /// What to sort by. A bare `.column` may name a select alias; an integer literal is an ordinal.
    public var expression: Expression
    public var descending: Bool

    public init(expression: Expression, descending: Bool = false) {
        self.expression = expression
        self.descending = descending
    }

    /// The 1-based select-list ordinal when the key is an integer literal (`ORDER BY 2`).
    public var ordinal: Int? {
        if case .literal(.number(.int(let i))) = expression { return Int(i) }
        return nil
    }
}
