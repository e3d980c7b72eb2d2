/// A place in the SQL text: 0-based offset in Unicode scalars, 1-based line and column.
public struct SourcePosition: Sendable, Hashable, CustomStringConvertible {
    public var offset: Int
    public var line: Int
    public var column: Int

    public init(offset: Int, line: Int, column: Int) {
        self.offset = offset
        self.line = line
        self.column = column
    }

    public var description: String { "line \(line), column \(column)" }
}

/// One lexical token of a SQL statement.
public struct Token: Sendable, Hashable {
    /// What the token is.
    public enum Kind: Sendable, Hashable {
        /// An unquoted word: a keyword or an identifier (the parser decides). Text as written.
        case word(String)
        /// A backtick- or bracket-quoted identifier, without its quotes.
        case quotedIdentifier(String)
        /// A string literal (single or double quotes), escapes resolved.
        case string(String)
        /// A numeric literal: `.int` for plain digit runs that fit in `Int64`, `.double` otherwise.
        case number(NumberLiteral)
        /// Punctuation or an operator: `(`, `)`, `,`, `.`, `;`, `*`, `+`, `-`, `/`, `%`, `^`,
        /// `||`, `=`, `==`, `!=`, `<>`, `<`, `<=`, `>`, `>=`, `->`, `@`, `[`, `]`, `{`, `}`, `:`.
        case symbol(String)
        /// End of input.
        case end
    }

    public var kind: Kind
    /// Where the token starts.
    public var position: SourcePosition
    /// Offset (in Unicode scalars) just past the token.
    public var endOffset: Int

    public init(kind: Kind, position: SourcePosition, endOffset: Int) {
        self.kind = kind
        self.position = position
        self.endOffset = endOffset
    }

    /// The upper-cased text when the token is an unquoted word.
    public var keyword: String? {
        if case .word(let w) = kind { return w.uppercased() }
        return nil
    }

    /// Whether the token is the unquoted word `word` (case-insensitive; pass upper case).
    public func isKeyword(_ word: String) -> Bool { keyword == word }

    /// Whether the token is the symbol `symbol`.
    public func isSymbol(_ symbol: String) -> Bool {
        if case .symbol(let s) = kind { return s == symbol }
        return false
    }
}

/// A numeric literal as lexed: integers stay integers when they fit in `Int64`.
public enum NumberLiteral: Sendable, Hashable {
    case int(Int64)
    case double(Double)

    public var doubleValue: Double {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        }
    }
}
