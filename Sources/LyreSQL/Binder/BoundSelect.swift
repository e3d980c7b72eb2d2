import LyreCore

/// One output column of a bound `SELECT`, in output order (wildcard expansions last, §5.4).
package struct OutputItem: Sendable {
    /// The result key (sql.md §5.9.2–§5.9.3).
    package var key: String
    package var expression: Expression
    package var alias: String?
    /// A bare or qualified column (its value is `null` when missing, never omitted).
    package var isPlainColumn: Bool {
        if case .column = expression { return true }
        return false
    }
}

/// How one `ORDER BY` key gets its value (sql.md §5.8).
package enum OrderKey: Sendable {
    /// The value of output item `n` (ordinal, alias or an identical select expression).
    case item(Int)
    /// An expression over the input row (a column) or the group (an aggregate).
    case expression(Expression)
}

/// A `SELECT` after name resolution and validation: what the planner and executor run.
package struct BoundSelect: Sendable {
    package var statement: SelectStatement
    package var tables: [BoundTable]
    package var resolver: ColumnResolver
    package var items: [OutputItem]
    /// `WHERE` after Harper's literal rewriting (sql.md §4.6).
    package var whereClause: Expression?
    /// Aggregation happens (a `GROUP BY`, or aggregates in the select list, §5.7).
    package var isGrouped: Bool
    /// Every aggregate call of the select list, `HAVING` and `ORDER BY`.
    package var aggregates: [FunctionCall]
    package var orderKeys: [(key: OrderKey, descending: Bool)]
    /// Some join is `LEFT`, `RIGHT` or `FULL`: undefined values become `null` (§5.9.4).
    package var hasOuterJoin: Bool
    /// The statement has a `FROM` whose tables need not exist because it references no column
    /// (§5.2): the answer is `[]`.
    package var isVacuous: Bool
    package var functions: FunctionRegistry

    /// `OFFSET` (0 when absent).
    package var offset: Int { statement.offset ?? 0 }
    /// `LIMIT`/`TOP`.
    package var limit: Int? { statement.effectiveLimit }
}
