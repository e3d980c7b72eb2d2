/// Splits JSONata text into tokens, on demand: whether `/` starts a regular expression
/// depends on the parser's position (prefix or infix), so the parser asks for each token.
struct JSONataLexer {
    private let scalars: [Unicode.Scalar]
    private(set) var position = 0

    init(_ text: String) {
        scalars = Array(text.unicodeScalars)
    }

    private static let operators: Set<String> = [
        ".", "[", "]", "{", "}", "(", ")", ",", "@", "#", ";", ":", "?", "+", "-", "*", "/",
        "%", "|", "=", "<", ">", "^", "&", "!", "~",
        "..", ":=", "!=", "<=", ">=", "~>", "**",
    ]

    /// Characters that end a name (besides whitespace).
    private static let nameStops: Set<Unicode.Scalar> = Set(".[](){},:;?'\"`/+-*%|=<>!&^#@~".unicodeScalars)

    private func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        let i = position + offset
        return i < scalars.count ? scalars[i] : nil
    }

    private static func isWhitespace(_ c: Unicode.Scalar) -> Bool {
        c.properties.isWhitespace
    }

    private static func isDigit(_ c: Unicode.Scalar?) -> Bool {
        guard let c else { return false }
        return c >= "0" && c <= "9"
    }

    /// The next token. `prefix` is true where an operand is expected (so `/` starts a regex).
    mutating func next(prefix: Bool) throws(JSONataError) -> JSONataToken {
        try skipWhitespaceAndComments()
        let start = position
        guard let c = peek() else { return JSONataToken(kind: .end, position: start) }

        if prefix && c == "/" {
            return try regex(start: start)
        }
        // Two-character operators first, then single characters.
        if let d = peek(1) {
            let pair = String(c) + String(d)
            if Self.operators.contains(pair) {
                // `1..5` is a range, but `.5` after a dot is not a number: keep JSONata's order.
                position += 2
                return JSONataToken(kind: .op(pair), position: start)
            }
        }
        if Self.operators.contains(String(c)) {
            position += 1
            return JSONataToken(kind: .op(String(c)), position: start)
        }
        if c == "\"" || c == "'" {
            return JSONataToken(kind: .string(try stringLiteral(quote: c)), position: start)
        }
        if c == "`" {
            position += 1
            var name = ""
            while let ch = peek(), ch != "`" {
                name.unicodeScalars.append(ch)
                position += 1
            }
            guard peek() == "`" else {
                throw JSONataError("S0105", "Quoted property name must be terminated with a backquote (`) character", position: start)
            }
            position += 1
            return JSONataToken(kind: .name(name), position: start)
        }
        if Self.isDigit(c) {
            return JSONataToken(kind: .number(try number()), position: start)
        }
        if c == "$" {
            position += 1
            if peek() == "$" {
                position += 1
                return JSONataToken(kind: .variable("$"), position: start)
            }
            return JSONataToken(kind: .variable(readName()), position: start)
        }
        let name = readName()
        if name.isEmpty {
            throw JSONataError("S0204", "Unknown operator: \"\(c)\"", position: start)
        }
        switch name {
        case "and", "or", "in": return JSONataToken(kind: .op(name), position: start)
        case "true": return JSONataToken(kind: .literal(.bool(true)), position: start)
        case "false": return JSONataToken(kind: .literal(.bool(false)), position: start)
        case "null": return JSONataToken(kind: .literal(.null), position: start)
        default: return JSONataToken(kind: .name(name), position: start)
        }
    }

    private mutating func readName() -> String {
        var name = ""
        while let ch = peek(), !Self.isWhitespace(ch), !Self.nameStops.contains(ch) {
            name.unicodeScalars.append(ch)
            position += 1
        }
        return name
    }

    private mutating func skipWhitespaceAndComments() throws(JSONataError) {
        while let c = peek() {
            if Self.isWhitespace(c) {
                position += 1
            } else if c == "/" && peek(1) == "*" {
                let start = position
                position += 2
                while true {
                    guard let ch = peek() else {
                        throw JSONataError("S0106", "Comment has no closing tag", position: start)
                    }
                    if ch == "*" && peek(1) == "/" { position += 2; break }
                    position += 1
                }
            } else {
                return
            }
        }
    }

    private mutating func number() throws(JSONataError) -> Double {
        let start = position
        var text = ""
        func take(_ lexer: inout JSONataLexer) { text.unicodeScalars.append(lexer.peek()!); lexer.position += 1 }
        if peek() == "0" {
            take(&self)
        } else {
            while Self.isDigit(peek()) { take(&self) }
        }
        if peek() == ".", Self.isDigit(peek(1)) {
            take(&self)
            while Self.isDigit(peek()) { take(&self) }
        }
        if peek() == "e" || peek() == "E" {
            let save = position
            let saveText = text
            take(&self)
            if peek() == "+" || peek() == "-" { take(&self) }
            if Self.isDigit(peek()) {
                while Self.isDigit(peek()) { take(&self) }
            } else {
                position = save
                text = saveText
            }
        }
        guard let value = Double(text), value.isFinite else {
            throw JSONataError("S0102", "Number out of range: \(text)", position: start)
        }
        return value
    }

    private mutating func stringLiteral(quote: Unicode.Scalar) throws(JSONataError) -> String {
        let start = position
        position += 1
        var result = ""
        while let c = peek() {
            position += 1
            if c == quote { return result }
            if c == "\\" {
                guard let e = peek() else { break }
                position += 1
                switch e {
                case "\"", "\\", "/", "'": result.unicodeScalars.append(e)
                case "b": result.unicodeScalars.append("\u{08}")
                case "f": result.unicodeScalars.append("\u{0C}")
                case "n": result.unicodeScalars.append("\n")
                case "r": result.unicodeScalars.append("\r")
                case "t": result.unicodeScalars.append("\t")
                case "u":
                    var code: UInt32 = 0
                    for _ in 0..<4 {
                        guard let h = peek(), let digit = Self.hexValue(h) else {
                            throw JSONataError("S0104", "The escape sequence \\u must be followed by 4 hex digits", position: position)
                        }
                        code = code * 16 + digit
                        position += 1
                    }
                    // Combine a UTF-16 surrogate pair written as two escapes.
                    if (0xD800...0xDBFF).contains(code), peek() == "\\", peek(1) == "u" {
                        let save = position
                        position += 2
                        var low: UInt32 = 0
                        var ok = true
                        for _ in 0..<4 {
                            guard let h = peek(), let digit = Self.hexValue(h) else { ok = false; break }
                            low = low * 16 + digit
                            position += 1
                        }
                        if ok, (0xDC00...0xDFFF).contains(low) {
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            position = save
                        }
                    }
                    result.unicodeScalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                default:
                    throw JSONataError("S0103", "Unsupported escape sequence: \\\(e)", position: position - 1)
                }
            } else {
                result.unicodeScalars.append(c)
            }
        }
        throw JSONataError("S0101", "String literal must be terminated by a matching quote", position: start)
    }

    private static func hexValue(_ c: Unicode.Scalar) -> UInt32? {
        switch c {
        case "0"..."9": c.value - 48
        case "a"..."f": c.value - 87
        case "A"..."F": c.value - 55
        default: nil
        }
    }

    private mutating func regex(start: Int) throws(JSONataError) -> JSONataToken {
        position += 1
        var pattern = ""
        var depth = 0
        while let c = peek() {
            if c == "/" && depth == 0 && (pattern.unicodeScalars.last != "\\" || pattern.hasSuffix("\\\\")) {
                position += 1
                guard !pattern.isEmpty else {
                    throw JSONataError("S0301", "Empty regular expressions are not allowed", position: start)
                }
                var flags = ""
                while let f = peek(), f == "i" || f == "m" || f == "g" || f == "s" {
                    flags.unicodeScalars.append(f)
                    position += 1
                }
                return JSONataToken(kind: .regex(pattern: pattern, flags: flags), position: start)
            }
            if c == "[" && pattern.unicodeScalars.last != "\\" { depth += 1 }
            if c == "]" && pattern.unicodeScalars.last != "\\" && depth > 0 { depth -= 1 }
            pattern.unicodeScalars.append(c)
            position += 1
        }
        throw JSONataError("S0302", "No terminating / in regular expression", position: start)
    }
}
