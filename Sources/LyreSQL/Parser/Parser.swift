public import LyreCore

/// Recursive-descent parser for the SQL dialect of sql.md.
///
/// ```swift
/// let statement = try Parser.parseFirst("SELECT id, name FROM conf.pet WHERE id = 1")
/// guard case .select(let select) = statement else { … }
/// ```
public struct Parser: Sendable {
    let source: [Unicode.Scalar]
    let tokens: [Token]
    var index = 0
    /// Set when a sub-select is parsed inside the statement being built.
    var sawSubquery = false
    /// Nesting depth so far (see `descend()`).
    var depth = 0

    /// How deeply expressions, sub-selects and JSON literals may nest. Every recursive
    /// step of the parser, and every operator added to a left-deep chain (`a+b+c`), costs
    /// one level, so the tree handed to the binder, planner and evaluator — which all
    /// recurse over it — is never deeper than this; past it the statement is refused
    /// with `sqlTooDeep` instead of overflowing the thread's stack.
    public static let maximumDepth = 256

    init(_ sql: String) throws(LyreError) {
        var lexer = Lexer(sql)
        source = lexer.source
        tokens = try lexer.tokens()
    }

    /// Parses every `;`-separated statement of `sql` (a trailing `;` is allowed).
    ///
    /// - Parameter sql: the SQL text; trim it first as sql.md §1.2 step 3 says.
    /// - Returns: the statements in order (at least one).
    /// - Throws: `LyreError` 400 `Invalid SQL at: …` on any lexical or syntax error.
    public static func parse(_ sql: String) throws(LyreError) -> [Statement] {
        var parser = try Parser(sql)
        return try parser.parseStatements()
    }

    /// Parses all statements of `sql` (all must be valid) and returns the first, the one
    /// the `sql` operation executes (sql.md §1.2 step 4).
    /// - Throws: `LyreError` 400 on a syntax error; `sqlUnparseable` when the text is empty.
    public static func parseFirst(_ sql: String) throws(LyreError) -> Statement {
        guard let first = try parse(sql).first else { throw .sqlUnparseable }
        return first
    }

    /// Parses a standalone expression (for tests and tools).
    /// - Throws: `LyreError` 400 on a syntax error or trailing tokens.
    public static func parseExpression(_ sql: String) throws(LyreError) -> Expression {
        var parser = try Parser(sql)
        let expression = try parser.parseExpression()
        try parser.expectEnd()
        return expression
    }

    /// The statement kind of sql.md §1.2 step 5: the text before the first U+0020, lower-cased.
    public static func statementKind(of sql: String) -> String {
        let head = sql.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return head.lowercased()
    }

    /// Whether `kind` (from `statementKind(of:)`) is one the `sql` operation runs.
    public static func isSupportedKind(_ kind: String) -> Bool {
        ["select", "insert", "update", "delete"].contains(kind)
    }

    // MARK: Statements

    mutating func parseStatements() throws(LyreError) -> [Statement] {
        var statements: [Statement] = []
        while true {
            while current.isSymbol(";") { index += 1 }
            if current.kind == .end { break }
            statements.append(try parseStatement())
            if current.kind == .end { break }
            try expectSymbol(";")
        }
        if statements.isEmpty { throw .sqlUnparseable }
        return statements
    }

    mutating func parseStatement() throws(LyreError) -> Statement {
        sawSubquery = false
        switch current.keyword {
        case "SELECT": return .select(try parseSelect())
        case "INSERT": return .insert(try parseInsert())
        case "UPDATE": return .update(try parseUpdate())
        case "DELETE": return .delete(try parseDelete())
        case let keyword? where ["CREATE", "DROP", "ALTER", "SHOW", "WITH", "BEGIN", "COMMIT", "ROLLBACK",
                                 "SET", "USE", "DECLARE", "EXPLAIN", "TRUNCATE", "ATTACH", "DETACH",
                                 "REINDEX", "EXEC", "EXECUTE", "PRINT", "HELP", "SOURCE", "ASSERT",
                                 "MERGE", "CALL"].contains(keyword):
            // Other statement kinds are rejected by kind, not as syntax errors (sql.md §1.2).
            index += 1
            while !current.isSymbol(";"), current.kind != .end { index += 1 }
            return .unsupported(keyword: keyword)
        default:
            throw unexpected("expected a statement")
        }
    }

    // MARK: Depth

    /// Takes one level of nesting; pair with `ascend()` (usually in a `defer`).
    /// - Throws: `sqlTooDeep` past `maximumDepth`.
    mutating func descend() throws(LyreError) {
        depth += 1
        if depth > Parser.maximumDepth { throw .sqlTooDeep(limit: Parser.maximumDepth) }
    }

    mutating func ascend(_ levels: Int = 1) { depth -= levels }

    // MARK: Token helpers

    var current: Token { tokens[index] }

    func peekToken(_ ahead: Int = 1) -> Token {
        tokens[min(index + ahead, tokens.count - 1)]
    }

    mutating func advance() { if index < tokens.count - 1 { index += 1 } }

    /// The syntax error at the current token.
    func unexpected(_ reason: String) -> LyreError {
        error(at: current, reason)
    }

    func error(at token: Token, _ reason: String) -> LyreError {
        let start = token.kind == .end ? source.count : token.position.offset
        let end = token.kind == .end ? source.count : token.endOffset
        let text = String(String.UnicodeScalarView(source[start..<end]))
        return .sqlSyntax(source: source, start: start, end: end,
                          detail: SQLSyntaxError(position: token.position, token: text, reason: reason))
    }

    mutating func acceptKeyword(_ word: String) -> Bool {
        if current.isKeyword(word) { advance(); return true }
        return false
    }

    mutating func expectKeyword(_ word: String) throws(LyreError) {
        guard acceptKeyword(word) else { throw unexpected("expected \(word)") }
    }

    mutating func acceptSymbol(_ symbol: String) -> Bool {
        if current.isSymbol(symbol) { advance(); return true }
        return false
    }

    mutating func expectSymbol(_ symbol: String) throws(LyreError) {
        guard acceptSymbol(symbol) else { throw unexpected("expected '\(symbol)'") }
    }

    func expectEnd() throws(LyreError) {
        guard current.kind == .end else { throw unexpected("unexpected token") }
    }

    /// A name (quoted, or an unquoted word allowed in `context`, sql.md §2.5).
    mutating func parseName(_ context: ReservedWords.Context) throws(LyreError) -> String {
        switch current.kind {
        case .quotedIdentifier(let name):
            advance()
            return name
        case .word(let word) where ReservedWords.allows(word, in: context):
            advance()
            return word
        default:
            throw unexpected("expected a name")
        }
    }

    /// A non-negative integer literal (`TOP`, `LIMIT`, `OFFSET`, type parameters).
    mutating func parseInteger() throws(LyreError) -> Int {
        guard case .number(.int(let value)) = current.kind, let int = Int(exactly: value) else {
            throw unexpected("expected an integer")
        }
        advance()
        return int
    }

    /// `[database.]table`.
    mutating func parseTableName() throws(LyreError) -> TableName {
        let first = try parseName(.table)
        if acceptSymbol(".") {
            return TableName(database: first, table: try parseName(.table))
        }
        return TableName(database: nil, table: first)
    }
}
