internal import LyreCore

/// A Pratt (top-down operator precedence) parser for JSONata, with JSONata 1.8's binding
/// powers, producing the post-processed AST of ``JSONataNode``.
struct JSONataParser {
    private var lexer: JSONataLexer
    private var token: JSONataToken
    /// Whether the previous token ended an operand (so `/` is division, not a regex).
    private var afterOperand = false
    /// Nesting so far: each `expression` call and each operator applied to a left operand
    /// costs a level, so the tree the evaluator recurses over is never deeper than
    /// `maximumDepth` (`1+1+…` builds a left-deep tree without parser recursion).
    private var depth = 0

    /// How deeply a JSONata expression may nest (Lyre's limit; jsonata-js has none and
    /// fails with the JavaScript engine's stack overflow).
    static let maximumDepth = 256

    init(_ text: String) throws(JSONataError) {
        lexer = JSONataLexer(text)
        token = JSONataToken(kind: .end, position: 0)
        try advance()
    }

    /// Parses a whole expression.
    static func parse(_ text: String) throws(JSONataError) -> JSONataNode {
        var parser = try JSONataParser(text)
        let node = try parser.expression(0)
        guard case .end = parser.token.kind else {
            throw JSONataError("S0201", "Syntax error: \(parser.describe(parser.token))", position: parser.token.position)
        }
        return node
    }

    private func describe(_ token: JSONataToken) -> String {
        switch token.kind {
        case .op(let op): "\"\(op)\""
        case .name(let name): "\"\(name)\""
        case .variable(let name): "\"$\(name)\""
        case .string(let s): "\"\(s)\""
        case .number(let n): "\(n)"
        case .literal(let l): l == .null ? "null" : (l == .bool(true) ? "true" : "false")
        case .regex(let p, _): "/\(p)/"
        case .end: "end of expression"
        }
    }

    private mutating func advance() throws(JSONataError) {
        token = try lexer.next(prefix: !afterOperand)
        switch token.kind {
        case .name, .variable, .string, .number, .literal, .regex: afterOperand = true
        case .op(let op): afterOperand = op == ")" || op == "]" || op == "}"
        case .end: afterOperand = false
        }
    }

    private mutating func expect(_ op: String) throws(JSONataError) {
        guard case .op(op) = token.kind else {
            if case .end = token.kind {
                throw JSONataError("S0203", "Expected \"\(op)\" before end of expression", position: token.position)
            }
            throw JSONataError("S0202", "Expected \"\(op)\", got \(describe(token))", position: token.position)
        }
        try advance()
    }

    private func isOp(_ op: String) -> Bool {
        if case .op(op) = token.kind { return true }
        return false
    }

    private static let bindingPowers: [String: Int] = [
        ".": 75, "[": 80, "{": 70, "(": 80,
        "?": 20, "+": 50, "-": 50, "*": 60, "/": 60, "%": 60,
        "=": 40, "<": 40, ">": 40, "!=": 40, "<=": 40, ">=": 40, "in": 40, "~>": 40,
        "&": 50, "and": 30, "or": 25, "..": 20, ":=": 10,
    ]

    private var leftBindingPower: Int {
        if case .op(let op) = token.kind { return Self.bindingPowers[op] ?? 0 }
        return 0
    }

    mutating func expression(_ rbp: Int) throws(JSONataError) -> JSONataNode {
        let entryDepth = depth
        defer { depth = entryDepth }
        try descend()
        let t = token
        try advance()
        var left = try nud(t)
        while rbp < leftBindingPower {
            try descend()
            let t = token
            try advance()
            left = try led(t, left)
        }
        return left
    }

    private mutating func descend() throws(JSONataError) {
        depth += 1
        guard depth <= Self.maximumDepth else {
            throw JSONataError("L0001", "Expression nested too deeply (limit \(Self.maximumDepth))", position: token.position)
        }
    }

    // MARK: Prefix

    private mutating func nud(_ t: JSONataToken) throws(JSONataError) -> JSONataNode {
        switch t.kind {
        case .name(let name): return .path(JSONataPath(steps: [JSONataStep(node: .name(name))]))
        case .variable(let name): return .variable(name)
        case .string(let s): return .string(s)
        case .number(let n): return .number(n)
        case .literal(.bool(let b)): return .literal(.bool(b))
        case .literal(.null): return .literal(.null)
        case .regex(let pattern, let flags): return .regex(pattern: pattern, flags: flags)
        case .end:
            throw JSONataError("S0207", "Unexpected end of expression", position: t.position)
        case .op(let op):
            switch op {
            case "and", "or", "in":
                return .path(JSONataPath(steps: [JSONataStep(node: .name(op))]))
            case "-":
                let operand = try expression(70)
                if case .number(let n) = operand { return .number(-n) }
                return .negate(operand)
            case "*":
                return .wildcard
            case "(":
                var expressions: [JSONataNode] = []
                while !isOp(")") {
                    expressions.append(try expression(0))
                    if !isOp(";") { break }
                    try advance()
                }
                try expect(")")
                return .block(expressions)
            case "[":
                var items: [JSONataNode] = []
                if !isOp("]") {
                    while true {
                        items.append(try expression(0))
                        if !isOp(",") { break }
                        try advance()
                    }
                }
                try expect("]")
                return .array(items, cons: false)
            case "{":
                return .object(try objectPairs())
            default:
                throw JSONataError("S0211", "The symbol \"\(op)\" cannot be used as a unary operator", position: t.position)
            }
        }
    }

    private mutating func objectPairs() throws(JSONataError) -> [JSONataPair] {
        var pairs: [JSONataPair] = []
        if !isOp("}") {
            while true {
                let key = try expression(0)
                try expect(":")
                let value = try expression(0)
                pairs.append(JSONataPair(key: key, value: value))
                if !isOp(",") { break }
                try advance()
            }
        }
        try expect("}")
        return pairs
    }

    // MARK: Infix

    private mutating func led(_ t: JSONataToken, _ left: JSONataNode) throws(JSONataError) -> JSONataNode {
        guard case .op(let op) = t.kind else {
            throw JSONataError("S0201", "Syntax error: \(describe(t))", position: t.position)
        }
        switch op {
        case ".":
            let right = try expression(75)
            return try pathJoin(left, right, position: t.position)
        case "[":
            if isOp("]") {
                try advance()
                if case .path(var path) = left {
                    path.keepSingletonArray = true
                    return .path(path)
                }
                return .keepArray(left)
            }
            let predicate = try expression(0)
            try expect("]")
            switch left {
            case .path(var path):
                path.steps[path.steps.count - 1].stages.append(predicate)
                return .path(path)
            case .filtered(let node, let predicates):
                return .filtered(node, predicates + [predicate])
            default:
                return .filtered(left, [predicate])
            }
        case "{":
            return .group(left, try objectPairs())
        case "(":
            var args: [JSONataNode] = []
            if !isOp(")") {
                while true {
                    args.append(try expression(0))
                    if !isOp(",") { break }
                    try advance()
                }
            }
            try expect(")")
            if case .path(let path) = left, path.steps.count == 1,
               case .name(let name) = path.steps[0].node, name == "function" || name == "λ" {
                var parameters: [String] = []
                for arg in args {
                    guard case .variable(let v) = arg, !v.isEmpty else {
                        throw JSONataError("S0208", "Parameter of function definition must be a variable name (start with $)", position: t.position)
                    }
                    parameters.append(v)
                }
                try expect("{")
                let body = try expression(0)
                try expect("}")
                return .lambda(parameters: parameters, body: body)
            }
            return .call(left, args)
        case "?":
            let then = try expression(0)
            var otherwise: JSONataNode?
            if isOp(":") {
                try advance()
                otherwise = try expression(0)
            }
            return .condition(left, then, otherwise)
        case ":=":
            guard case .variable(let name) = left, !name.isEmpty else {
                throw JSONataError("S0212", "The left side of := must be a variable name (start with $)", position: t.position)
            }
            return .bind(name, try expression(Self.bindingPowers[op]! - 1))
        case "~>":
            return .apply(left, try expression(40))
        default:
            guard let bp = Self.bindingPowers[op] else {
                throw JSONataError("S0201", "Syntax error: \"\(op)\"", position: t.position)
            }
            let right = try expression(bp)
            return .binary(op, left, right)
        }
    }

    /// Builds `left.right` as one path, as JSONata's AST post-processing does.
    private func pathJoin(_ left: JSONataNode, _ right: JSONataNode, position: Int) throws(JSONataError) -> JSONataNode {
        var path: JSONataPath
        if case .path(let p) = left {
            path = p
        } else {
            path = JSONataPath(steps: [JSONataStep(node: left)])
        }
        switch right {
        case .path(let p):
            path.steps.append(contentsOf: p.steps)
            if p.keepSingletonArray { path.keepSingletonArray = true }
        case .filtered(let node, let predicates):
            path.steps.append(JSONataStep(node: node, stages: predicates))
        default:
            path.steps.append(JSONataStep(node: right))
        }
        for i in path.steps.indices {
            switch path.steps[i].node {
            case .string(let s): path.steps[i].node = .name(s)
            case .number(let n):
                throw JSONataError("S0213", "The literal value \(JSONataFormat.number(n)) cannot be used as a step within a path expression", position: position)
            case .literal(let v):
                throw JSONataError("S0213", "The literal value \(JSONataFormat.stringify(v)) cannot be used as a step within a path expression", position: position)
            default: break
            }
        }
        if case .array(let items, _) = path.steps[0].node {
            path.steps[0].node = .array(items, cons: true)
        }
        let last = path.steps.count - 1
        if case .array(let items, _) = path.steps[last].node {
            path.steps[last].node = .array(items, cons: true)
        }
        return .path(path)
    }
}
