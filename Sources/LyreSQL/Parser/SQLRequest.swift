public import LyreCore

/// The front door of the `sql` operation (sql.md §1.2 steps 1–5), before authorization.
///
/// ```swift
/// let request = try SQLRequest(sql: "SELECT id FROM conf.pet WHERE id = 1")
/// guard request.isSupportedKind else { throw LyreError.sqlUnsupportedType(request.kind) } // super user
/// ```
public struct SQLRequest: Sendable, Hashable {
    /// The statement kind: text before the first space, lower-cased (§1.2 step 5).
    public var kind: String
    /// The first statement, the one that runs (§1.2 step 4).
    public var statement: Statement

    /// Trims and parses `sql`.
    /// - Throws: `sqlMissing` for an empty text; `Invalid SQL at: …` (400) for syntax errors.
    public init(sql: String) throws(LyreError) {
        let text = JS.trimWhitespace(sql)
        guard !text.isEmpty else { throw .sqlMissing }
        statement = try Parser.parseFirst(text)
        kind = Parser.statementKind(of: text)
    }

    /// Whether `kind` is `select`, `insert`, `update` or `delete`. When it is not, super users get
    /// `LyreError.sqlUnsupportedType(kind)` (500) and other users `operationNotFound(kind)` (400).
    public var isSupportedKind: Bool { Parser.isSupportedKind(kind) }
}
