public import LyreCore

/// Splits SQL text into tokens (sql.md §2).
///
/// Words are returned as written (the parser compares them case-insensitively); quoted
/// identifiers (`` `x` `` and `[x]`) and strings (`'x'`, `"x"`) lose their quotes;
/// digit runs become numbers (`2nd` is the number `2` followed by the word `nd`).
///
/// ```swift
/// let tokens = try Lexer.tokenize("SELECT [first name] FROM conf.pet")
/// ```
public struct Lexer: Sendable {
    /// The text being lexed, as Unicode scalars (offsets in tokens index this array).
    public let source: [Unicode.Scalar]
    private var index = 0
    private var line = 1
    private var column = 1
    private var previousWasAt = false
    /// Nesting depth inside an `@[…]` / `@{…}` JSON literal, where `[` is punctuation.
    private var jsonDepth = 0

    public init(_ text: String) {
        source = Array(text.unicodeScalars)
    }

    /// All tokens of `text`, ending with one `.end` token.
    /// - Throws: `LyreError` 400 (sql.md §11.1) on an unterminated literal or a stray character.
    public static func tokenize(_ text: String) throws(LyreError) -> [Token] {
        var lexer = Lexer(text)
        return try lexer.tokens()
    }

    /// All remaining tokens, ending with one `.end` token.
    public mutating func tokens() throws(LyreError) -> [Token] {
        var result: [Token] = []
        while true {
            let token = try next()
            result.append(token)
            if token.kind == .end { return result }
        }
    }

    private var position: SourcePosition { SourcePosition(offset: index, line: line, column: column) }

    private func peek(_ ahead: Int = 0) -> Unicode.Scalar? {
        let i = index + ahead
        return i < source.count ? source[i] : nil
    }

    private mutating func advance() {
        if source[index] == "\n" {
            line += 1
            column = 1
        } else {
            column += 1
        }
        index += 1
    }

    private func error(at start: SourcePosition, _ reason: String) -> LyreError {
        let end = min(start.offset + 1, source.count)
        let token = String(String.UnicodeScalarView(source[start.offset..<end]))
        return .sqlSyntax(source: source, start: start.offset, end: end,
                          detail: SQLSyntaxError(position: start, token: token, reason: reason))
    }

    private mutating func skipTrivia() throws(LyreError) {
        while let c = peek() {
            if c.properties.isWhitespace {
                advance()
            } else if c == "-", peek(1) == "-" {
                while let d = peek(), d != "\n" { advance() }
            } else if c == "/", peek(1) == "*" {
                let start = position
                advance(); advance()
                while true {
                    guard let d = peek() else { throw error(at: start, "unterminated comment") }
                    if d == "*", peek(1) == "/" { advance(); advance(); break }
                    advance()
                }
            } else {
                return
            }
        }
    }

    /// The next token.
    public mutating func next() throws(LyreError) -> Token {
        try skipTrivia()
        let start = position
        let afterAt = previousWasAt
        previousWasAt = false
        guard let c = peek() else { return Token(kind: .end, position: start, endOffset: index) }
        let kind: Token.Kind
        switch c {
        case "a"..."z", "A"..."Z", "_":
            var text = String.UnicodeScalarView()
            while let d = peek(), Lexer.isWordScalar(d) { text.append(d); advance() }
            kind = .word(String(text))
        case "0"..."9":
            kind = .number(lexNumber())
        case ".":
            if let d = peek(1), ("0"..."9").contains(d) {
                kind = .number(lexNumber())
            } else {
                advance()
                kind = .symbol(".")
            }
        case "'", "\"":
            kind = .string(try lexString(quote: c, start: start))
        case "`":
            kind = .quotedIdentifier(try lexQuoted(close: "`", start: start))
        case "[":
            if afterAt || jsonDepth > 0 {
                advance()
                jsonDepth += 1
                kind = .symbol("[")
            } else {
                kind = .quotedIdentifier(try lexQuoted(close: "]", start: start))
            }
        default:
            kind = .symbol(try lexSymbol(start: start))
        }
        if case .symbol(let s) = kind {
            switch s {
            case "@": previousWasAt = true
            case "{" where afterAt || jsonDepth > 0: jsonDepth += 1
            case "]", "}": jsonDepth = max(0, jsonDepth - 1)
            default: break
            }
        }
        return Token(kind: kind, position: start, endOffset: index)
    }

    static func isWordScalar(_ c: Unicode.Scalar) -> Bool {
        switch c {
        case "a"..."z", "A"..."Z", "0"..."9", "_": true
        default: false
        }
    }

    private mutating func lexNumber() -> NumberLiteral {
        var text = ""
        var isInteger = true
        while let d = peek(), ("0"..."9").contains(d) { text.unicodeScalars.append(d); advance() }
        if peek() == ".", let d = peek(1), ("0"..."9").contains(d) {
            isInteger = false
            text.append(".")
            advance()
            while let d = peek(), ("0"..."9").contains(d) { text.unicodeScalars.append(d); advance() }
        } else if peek() == ".", !text.isEmpty, !(peek(1).map(Lexer.isWordScalar) ?? false) {
            // `12.` is the number 12 followed by nothing numeric; keep the dot for the parser.
        }
        // Exponent: digits only, never signed (sql.md §2.3).
        if let e = peek(), e == "e" || e == "E", let d = peek(1), ("0"..."9").contains(d) {
            isInteger = false
            text.append("e")
            advance()
            while let d = peek(), ("0"..."9").contains(d) { text.unicodeScalars.append(d); advance() }
        }
        if text.hasPrefix(".") { text = "0" + text }
        if isInteger, let i = Int64(text) { return .int(i) }
        return .double(Double(text) ?? .nan)
    }

    private mutating func lexString(quote: Unicode.Scalar, start: SourcePosition) throws(LyreError) -> String {
        advance()
        var text = String.UnicodeScalarView()
        while true {
            guard let d = peek() else { throw error(at: start, "unterminated string literal") }
            if d == quote {
                if peek(1) == quote {
                    text.append(quote)
                    advance(); advance()
                    continue
                }
                advance()
                return String(text)
            }
            if d == "\\", peek(1) == quote {
                // `\'` is an escaped quote; every other backslash is kept as written.
                text.append(quote)
                advance(); advance()
                continue
            }
            text.append(d)
            advance()
        }
    }

    private mutating func lexQuoted(close: Unicode.Scalar, start: SourcePosition) throws(LyreError) -> String {
        advance()
        var text = String.UnicodeScalarView()
        while true {
            guard let d = peek() else { throw error(at: start, "unterminated quoted identifier") }
            if d == close { advance(); return String(text) }
            if d == "'" { throw error(at: position, "quote inside a quoted identifier") }
            text.append(d)
            advance()
        }
    }

    private mutating func lexSymbol(start: SourcePosition) throws(LyreError) -> String {
        let c = peek()!
        let two: String? = peek(1).map { String(Character(c)) + String(Character($0)) }
        if let two, ["||", "!=", "<>", "<=", ">=", "->", "=="].contains(two) {
            advance(); advance()
            return two
        }
        switch c {
        case "(", ")", ",", ";", "*", "+", "-", "/", "%", "^", "=", "<", ">", "@", "]", "{", "}", ":":
            advance()
            return String(Character(c))
        default:
            throw error(at: start, "unexpected character")
        }
    }
}
