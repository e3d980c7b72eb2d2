public import LyreCore

/// Why and where a SQL text failed to lex or parse. Carried as `LyreError.underlying`
/// (logs only); the client sees the jison-style snippet of sql.md §11.1.
public struct SQLSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Where the offending token starts (the end of the text for a failure at end of input).
    public var position: SourcePosition
    /// The offending token's text (empty at end of input).
    public var token: String
    /// What the parser expected or found wrong.
    public var reason: String

    public init(position: SourcePosition, token: String, reason: String) {
        self.position = position
        self.token = token
        self.reason = reason
    }

    public var description: String {
        token.isEmpty
            ? "\(reason) at end of input (\(position))"
            : "\(reason) at '\(token)' (\(position))"
    }
}

/// The client-facing texts of the `sql` operation (sql.md §11), in one place.
extension LyreError {
    static let sqlSyntaxSuffix =
        ". Please ensure your SQL is valid. Try adding backticks to reserved words and schema table references."

    /// `400 Invalid SQL at: <snippet>. Please ensure …` (sql.md §11.1).
    ///
    /// - Parameters:
    ///   - source: the whole SQL text as Unicode scalars.
    ///   - start: offset of the failing token (or `source.count` at end of input).
    ///   - end: offset just past the failing token.
    ///   - detail: position and reason, kept as `underlying` for logs.
    public static func sqlSyntax(source: [Unicode.Scalar], start: Int, end: Int, detail: SQLSyntaxError) -> LyreError {
        func text(_ range: Range<Int>) -> String {
            var s = String.UnicodeScalarView()
            for scalar in source[range] where scalar != "\n" && scalar != "\r" { s.append(scalar) }
            return String(s)
        }
        let lo = min(max(0, start), source.count)
        let hi = min(max(lo, end), source.count)
        let before = Array(text(0..<lo))
        let token = Array(text(lo..<hi))
        let after = Array(text(hi..<source.count))
        let left = before.count > 20 ? "..." + String(before.suffix(20)) : String(before)
        let right: String
        if token.count > 20 {
            right = String(token.prefix(20)) + "..."
        } else {
            right = String((token + after).prefix(20))
        }
        return LyreError(.badRequest, status: 400, "Invalid SQL at: " + left + right + sqlSyntaxSuffix, underlying: detail)
    }

    /// `400 We had trouble parsing your request…` (sql.md §11.1), for failures without a position.
    public static let sqlUnparseable = LyreError(
        .badRequest, status: 400, "We had trouble parsing your request" + sqlSyntaxSuffix)

    /// `400 SQL expression nested too deeply (limit 256)`: parentheses, operators, `NOT`s,
    /// function calls or sub-selects nested past `Parser.maximumDepth` (Lyre's limit; Harper
    /// has none and its process dies of a stack overflow instead).
    public static func sqlTooDeep(limit: Int) -> LyreError {
        LyreError(.badRequest, status: 400, "SQL expression nested too deeply (limit \(limit))")
    }

    /// `400 The 'sql' parameter is missing from the request body`.
    public static let sqlMissing = LyreError(
        .badRequest, status: 400, "The 'sql' parameter is missing from the request body")

    /// `500 unsupported SQL type <kind> in SQL: [object Object]` (super users, sql.md §1.2).
    public static func sqlUnsupportedType(_ kind: String) -> LyreError {
        LyreError(.operationNotSupported, status: 400, "unsupported SQL type \(kind) in SQL: [object Object]")
    }

    /// The generic `SELECT` failure (sql.md §11.3); the cause is logged only.
    /// A read cancelled by the shutdown (`ReadCancellation`) stays itself (503): it is not a
    /// problem of the statement.
    static func cancelledRead(_ error: (any Error & Sendable)?) -> LyreError? {
        guard let lyre = error as? LyreError, lyre.code == .unavailable else { return nil }
        return lyre
    }

    public static func sqlSearchFailed(_ underlying: (any Error & Sendable)? = nil) -> LyreError {
        if let cancelled = LyreError.cancelledRead(underlying) { return cancelled }
        return LyreError(.badRequest, status: 400,
                  "There was a problem performing this search. Please check the logs and try again.",
                  underlying: underlying)
    }

    /// The generic `INSERT` failure (sql.md §6.3).
    public static func sqlInsertFailed(_ underlying: (any Error & Sendable)? = nil) -> LyreError {
        LyreError(.badRequest, status: 400,
                  "There was a problem performing this insert. Please check the logs and try again.",
                  underlying: underlying)
    }

    /// The generic `UPDATE` failure (sql.md §7.4).
    public static func sqlUpdateFailed(_ underlying: (any Error & Sendable)? = nil) -> LyreError {
        if let cancelled = LyreError.cancelledRead(underlying) { return cancelled }
        return LyreError(.badRequest, status: 400,
                  "There was a problem performing this update. Please check the logs and try again.",
                  underlying: underlying)
    }

    /// `500 unknown column <ref>` (sql.md §5.3).
    public static func sqlUnknownColumn(_ ref: String) -> LyreError {
        LyreError(.attributeNotFound, status: 400, "unknown column \(ref)")
    }

    /// `500 ambiguous column reference <ref>[ in order by]` (sql.md §5.3).
    public static func sqlAmbiguousColumn(_ ref: String, inOrderBy: Bool = false) -> LyreError {
        LyreError(.badRequest, status: 400, "ambiguous column reference \(ref)" + (inOrderBy ? " in order by" : ""))
    }

    /// `500 no from clause` (sql.md §5.11).
    public static let sqlNoFromClause = LyreError(.badRequest, status: 400, "no from clause")

    /// `500 schema not defined for table <table>` (sql.md §5.2).
    public static func sqlSchemaNotDefined(_ table: String) -> LyreError {
        LyreError(.badRequest, status: 400, "schema not defined for table \(table)")
    }

    /// `500 select column '<name>' must be in group by` (sql.md §5.7).
    public static func sqlNotInGroupBy(_ name: String) -> LyreError {
        LyreError(.badRequest, status: 400, "select column '\(name)' must be in group by")
    }

    /// `500 group_column is not defined` (sql.md §5.7).
    public static let sqlGroupColumnNotDefined = LyreError(.badRequest, status: 400, "group_column is not defined")

    /// `500 schema <db> does not exist` (UPDATE/DELETE, sql.md §7.4).
    public static func sqlWriteSchemaNotFound(_ database: String) -> LyreError {
        LyreError(.databaseNotFound, status: 400, "schema \(database) does not exist")
    }

    /// `500 table <db>.<table> does not exist` (UPDATE/DELETE, sql.md §7.4).
    public static func sqlWriteTableNotFound(_ database: String, _ table: String) -> LyreError {
        LyreError(.tableNotFound, status: 400, "table \(database).\(table) does not exist")
    }

    /// `400 Attribute names cannot include backticks or forward slashes` (sql.md §6.3).
    public static let sqlBadAttributeName = LyreError(
        .validation, status: 400, "Attribute names cannot include backticks or forward slashes")
}

/// A failure while evaluating an expression or function. The statement layer turns it into
/// the generic 500 of its statement kind (`sqlSearchFailed`, `sqlInsertFailed`, …).
public struct SQLEvaluationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
