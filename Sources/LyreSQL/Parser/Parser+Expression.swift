public import LyreCore

/// Expressions, lowest precedence first: `OR`; `AND`; `NOT`; comparisons and predicates
/// (`=`, `<>`, `IS`, `IN`, `BETWEEN`, `LIKE`, `REGEXP`); `+ - ||`; `* / %`; `^`; unary `- +`;
/// postfix `->`; primaries.
extension Parser {
    mutating func parseExpression() throws(LyreError) -> Expression {
        try descend()
        defer { ascend() }
        return try parseOr()
    }

    mutating func parseOr() throws(LyreError) -> Expression {
        try parseLogicalChain(.or) { parser throws(LyreError) in try parser.parseAnd() }
    }

    mutating func parseAnd() throws(LyreError) -> Expression {
        try parseLogicalChain(.and) { parser throws(LyreError) in try parser.parseNot() }
    }

    /// Operands joined by `OR` (or `AND`). Short chains become the usual left-deep tree;
    /// a chain longer than `balancedChainThreshold` (generated `id = 1 OR id = 2 OR …`
    /// lists) becomes a balanced tree, so 100,000 terms nest 17 deep instead of 100,000.
    /// Both connectives are associative in SQL's three-valued logic, so the shape does not
    /// change the result. A chain costs `min(operators, threshold)` levels of depth, which
    /// covers either shape.
    private mutating func parseLogicalChain(
        _ op: BinaryOperator, operand: (inout Parser) throws(LyreError) -> Expression
    ) throws(LyreError) -> Expression {
        var operands = [try operand(&self)]
        var levels = 0
        defer { ascend(levels) }
        while acceptKeyword(op == .or ? "OR" : "AND") {
            if levels < Parser.balancedChainThreshold {
                try descend()
                levels += 1
            }
            operands.append(try operand(&self))
        }
        if operands.count <= Parser.balancedChainThreshold + 1 {
            var left = operands[0]
            for right in operands.dropFirst() { left = .binary(op, left, right) }
            return left
        }
        return Parser.balanced(op, operands[...])
    }

    static let balancedChainThreshold = 32

    private static func balanced(_ op: BinaryOperator, _ operands: ArraySlice<Expression>) -> Expression {
        if operands.count == 1 { return operands[operands.startIndex] }
        let middle = operands.startIndex + operands.count / 2
        return .binary(op, balanced(op, operands[..<middle]), balanced(op, operands[middle...]))
    }

    mutating func parseNot() throws(LyreError) -> Expression {
        if acceptKeyword("NOT") {
            try descend()
            defer { ascend() }
            return .unary(.not, try parseNot())
        }
        return try parsePredicate()
    }

    static let comparisonSymbols: [String: BinaryOperator] = [
        "=": .equal, "==": .equal, "!=": .notEqual, "<>": .notEqual,
        "<": .lessThan, "<=": .lessOrEqual, ">": .greaterThan, ">=": .greaterOrEqual,
    ]

    mutating func parsePredicate() throws(LyreError) -> Expression {
        var left = try parseAdditive()
        var levels = 0
        defer { ascend(levels) }
        while true {
            // Each operator applied to `left` deepens the tree by one.
            try descend()
            levels += 1
            if case .symbol(let s) = current.kind, let op = Parser.comparisonSymbols[s] {
                advance()
                if let q = current.keyword.flatMap(Quantifier.init(rawValue:)), peekToken().isSymbol("(") {
                    advance()
                    left = .quantified(op, left, q, try parseParenthesisedList())
                } else {
                    left = .binary(op, left, try parseAdditive())
                }
                continue
            }
            if acceptKeyword("IS") {
                let negated = acceptKeyword("NOT")
                try expectKeyword("NULL")
                left = .isNull(left, negated: negated)
                continue
            }
            var negated = false
            if current.isKeyword("NOT"),
               ["IN", "BETWEEN", "LIKE", "REGEXP"].contains(peekToken().keyword ?? "") {
                advance()
                negated = true
            }
            if acceptKeyword("IN") {
                left = .inList(left, InList(try parseParenthesisedList()), negated: negated)
            } else if acceptKeyword("BETWEEN") {
                let low = try parseAdditive()
                try expectKeyword("AND")
                let high = try parseAdditive()
                left = .between(left, low: low, high: high, negated: negated)
            } else if acceptKeyword("LIKE") {
                let pattern = try parseAdditive()
                let escape: Expression? = acceptKeyword("ESCAPE") ? try parseAdditive() : nil
                left = .like(left, pattern: pattern, negated: negated, escape: escape)
            } else if acceptKeyword("REGEXP") {
                let regexp = Expression.binary(.regexp, left, try parseAdditive())
                left = negated ? .unary(.not, regexp) : regexp
            } else {
                return left
            }
        }
    }

    /// `( e, e, … )` or `( SELECT … )`.
    mutating func parseParenthesisedList() throws(LyreError) -> [Expression] {
        try expectSymbol("(")
        if current.isKeyword("SELECT") {
            let select = try parseSelect()
            sawSubquery = true
            try expectSymbol(")")
            return [.subquery(select)]
        }
        var list = [try parseExpression()]
        while acceptSymbol(",") { list.append(try parseExpression()) }
        try expectSymbol(")")
        return list
    }

    mutating func parseAdditive() throws(LyreError) -> Expression {
        var left = try parseMultiplicative()
        var levels = 0
        defer { ascend(levels) }
        while true {
            let op: BinaryOperator
            if current.isSymbol("+") { op = .add } else if current.isSymbol("-") { op = .subtract } else if current.isSymbol("||") { op = .concat } else { return left }
            advance()
            try descend()
            levels += 1
            left = .binary(op, left, try parseMultiplicative())
        }
    }

    mutating func parseMultiplicative() throws(LyreError) -> Expression {
        var left = try parseXor()
        var levels = 0
        defer { ascend(levels) }
        while true {
            let op: BinaryOperator
            if current.isSymbol("*") { op = .multiply } else if current.isSymbol("/") { op = .divide } else if current.isSymbol("%") { op = .modulo } else { return left }
            advance()
            try descend()
            levels += 1
            left = .binary(op, left, try parseXor())
        }
    }

    mutating func parseXor() throws(LyreError) -> Expression {
        var left = try parseUnary()
        var levels = 0
        defer { ascend(levels) }
        while acceptSymbol("^") {
            try descend()
            levels += 1
            left = .binary(.bitXor, left, try parseUnary())
        }
        return left
    }

    mutating func parseUnary() throws(LyreError) -> Expression {
        let op: UnaryOperator
        if acceptSymbol("-") { op = .minus } else if acceptSymbol("+") { op = .plus } else { return try parsePostfix() }
        try descend()
        defer { ascend() }
        return .unary(op, try parseUnary())
    }

    mutating func parsePostfix() throws(LyreError) -> Expression {
        var left = try parsePrimary()
        var levels = 0
        defer { ascend(levels) }
        while acceptSymbol("->") {
            try descend()
            levels += 1
            let key: Expression
            switch current.kind {
            case .word(let w), .quotedIdentifier(let w), .string(let w): key = .literal(.string(w))
            case .number(let n): key = .literal(.number(n))
            default: throw unexpected("expected a key after '->'")
            }
            advance()
            left = .binary(.arrow, left, key)
        }
        return left
    }

    mutating func parsePrimary() throws(LyreError) -> Expression {
        let token = current
        switch token.kind {
        case .number(let n):
            advance()
            return .literal(.number(n))
        case .string(let s):
            advance()
            return .literal(.string(s))
        case .symbol("("):
            advance()
            if current.isKeyword("SELECT") {
                let select = try parseSelect()
                sawSubquery = true
                try expectSymbol(")")
                return .subquery(select)
            }
            let inner = try parseExpression()
            try expectSymbol(")")
            return inner
        case .symbol("@"):
            advance()
            return .literal(.json(try parseJSONLiteral()))
        case .quotedIdentifier:
            return .column(try parseColumnRef())
        case .word(let word):
            return try parseWordPrimary(word)
        default:
            throw unexpected("expected an expression")
        }
    }

    private mutating func parseWordPrimary(_ word: String) throws(LyreError) -> Expression {
        let upper = word.uppercased()
        switch upper {
        case "NULL": advance(); return .literal(.null)
        case "TRUE": advance(); return .literal(.bool(true))
        case "FALSE": advance(); return .literal(.bool(false))
        case "CURRENT_TIMESTAMP":
            advance()
            if current.isSymbol("(") { throw unexpected("CURRENT_TIMESTAMP takes no parentheses") }
            return .currentTimestamp
        case "CURRENT_DATE" where !peekToken().isSymbol("("):
            advance()
            return .function(FunctionCall(name: word, arguments: []))
        case "CASE":
            advance()
            return .caseWhen(try parseCase())
        case "CAST" where peekToken().isSymbol("("):
            advance(); advance()
            let value = try parseExpression()
            try expectKeyword("AS")
            let type = try parseType()
            try expectSymbol(")")
            return .cast(value, type, style: nil)
        case "CONVERT" where peekToken().isSymbol("("):
            advance(); advance()
            let type = try parseType()
            try expectSymbol(",")
            let value = try parseExpression()
            let style: Expression? = acceptSymbol(",") ? try parseExpression() : nil
            try expectSymbol(")")
            return .cast(value, type, style: style)
        case "EXISTS" where peekToken().isSymbol("("):
            advance(); advance()
            guard current.isKeyword("SELECT") else { throw unexpected("expected SELECT") }
            let select = try parseSelect()
            sawSubquery = true
            try expectSymbol(")")
            return .exists(select)
        default:
            break
        }
        if peekToken().isSymbol("(") {
            advance(); advance()
            return .function(try parseCallArguments(name: word))
        }
        return .column(try parseColumnRef())
    }

    /// After `name(`: the arguments and `)`.
    private mutating func parseCallArguments(name: String) throws(LyreError) -> FunctionCall {
        if acceptSymbol(")") { return FunctionCall(name: name, arguments: []) }
        if current.isSymbol("*"), peekToken().isSymbol(")") {
            advance(); advance()
            return FunctionCall(name: name, arguments: [], isStar: true)
        }
        let distinct = acceptKeyword("DISTINCT")
        var arguments = [try parseExpression()]
        while acceptSymbol(",") { arguments.append(try parseExpression()) }
        try expectSymbol(")")
        return FunctionCall(name: name, arguments: arguments, isDistinct: distinct)
    }

    /// `col` or `q.col` (three-part names are a syntax error, sql.md §2.2).
    mutating func parseColumnRef() throws(LyreError) -> ColumnRef {
        let first = try parseName(.column)
        if current.isSymbol("."), !peekToken().isSymbol("*") {
            advance()
            return ColumnRef(qualifier: first, name: try parseName(.column))
        }
        return ColumnRef(name: first)
    }

    private mutating func parseCase() throws(LyreError) -> CaseExpression {
        let operand: Expression? = current.isKeyword("WHEN") ? nil : try parseExpression()
        var branches: [CaseExpression.Branch] = []
        while acceptKeyword("WHEN") {
            let condition = try parseExpression()
            try expectKeyword("THEN")
            branches.append(.init(condition: condition, value: try parseExpression()))
        }
        if branches.isEmpty { throw unexpected("expected WHEN") }
        let elseValue: Expression? = acceptKeyword("ELSE") ? try parseExpression() : nil
        try expectKeyword("END")
        return CaseExpression(operand: operand, branches: branches, elseValue: elseValue)
    }

    /// A `CAST`/`CONVERT` type: a word with optional integer parameters (`DECIMAL(5,2)`).
    private mutating func parseType() throws(LyreError) -> SQLType {
        guard case .word(let name) = current.kind else { throw unexpected("expected a type") }
        advance()
        var parameters: [Int] = []
        if acceptSymbol("(") {
            parameters.append(try parseInteger())
            while acceptSymbol(",") { parameters.append(try parseInteger()) }
            try expectSymbol(")")
        }
        return SQLType(name: name, parameters: parameters)
    }

    /// The body of an `@[…]` / `@{…}` JSON literal (sql.md §2.3).
    private mutating func parseJSONLiteral() throws(LyreError) -> Value {
        try descend()
        defer { ascend() }
        switch current.kind {
        case .symbol("["):
            advance()
            var elements: [Value] = []
            if acceptSymbol("]") { return .array(elements) }
            repeat { elements.append(try parseJSONLiteral()) } while acceptSymbol(",")
            try expectSymbol("]")
            return .array(elements)
        case .symbol("{"):
            advance()
            var object = JSONObject()
            if acceptSymbol("}") { return .object(object) }
            repeat {
                let key: String
                switch current.kind {
                case .string(let s), .word(let s), .quotedIdentifier(let s): key = s
                default: throw unexpected("expected an object key")
                }
                advance()
                try expectSymbol(":")
                object[key] = try parseJSONLiteral()
            } while acceptSymbol(",")
            try expectSymbol("}")
            return .object(object)
        case .string(let s):
            advance()
            return .string(s)
        case .number(let n):
            advance()
            return n.value
        case .symbol("-"):
            advance()
            guard case .number(let n) = current.kind else { throw unexpected("expected a number") }
            advance()
            switch n {
            case .int(let i): return .int(-i)
            case .double(let d): return .double(-d)
            }
        case .word(let w) where ["TRUE", "FALSE", "NULL"].contains(w.uppercased()):
            advance()
            switch w.uppercased() {
            case "TRUE": return .bool(true)
            case "FALSE": return .bool(false)
            default: return .null
            }
        case .symbol("@"):
            advance()
            return try parseJSONLiteral()
        default:
            throw unexpected("expected a JSON value")
        }
    }
}

extension NumberLiteral {
    /// The literal as a `Value` (integers stay `.int`).
    public var value: Value {
        switch self {
        case .int(let i): .int(i)
        case .double(let d): SQLNumber.value(d)
        }
    }
}
