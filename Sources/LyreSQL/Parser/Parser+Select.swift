import LyreCore

/// `SELECT` (sql.md §5.1).
extension Parser {
    mutating func parseSelect() throws(LyreError) -> SelectStatement {
        try descend()
        defer { ascend() }
        let outerSawSubquery = sawSubquery
        sawSubquery = false
        defer { sawSubquery = sawSubquery || outerSawSubquery }

        try expectKeyword("SELECT")
        var select = SelectStatement(items: [])
        select.distinct = acceptKeyword("DISTINCT")
        if acceptKeyword("TOP") { select.top = try parseInteger() }

        repeat { select.items.append(try parseSelectItem()) } while acceptSymbol(",")

        if acceptKeyword("FROM") {
            select.from = try parseTableRef()
            try parseJoins(into: &select)
        }
        if acceptKeyword("WHERE") { select.whereClause = try parseExpression() }
        if acceptKeyword("GROUP") {
            try expectKeyword("BY")
            repeat { select.groupBy.append(try parseExpression()) } while acceptSymbol(",")
        }
        if acceptKeyword("HAVING") { select.having = try parseExpression() }
        if acceptKeyword("ORDER") {
            try expectKeyword("BY")
            repeat { select.orderBy.append(try parseOrderItem()) } while acceptSymbol(",")
        }
        try parseLimit(into: &select)

        // Set operations parse but are not supported (sql.md §5.12).
        while let keyword = current.keyword, ["UNION", "INTERSECT", "EXCEPT", "MINUS"].contains(keyword) {
            advance()
            if keyword == "UNION" { _ = acceptKeyword("ALL") }
            _ = try parseSelect()
            switch keyword {
            case "UNION": select.unsupported.append(.union)
            case "INTERSECT": select.unsupported.append(.intersect)
            default: select.unsupported.append(.except)
            }
        }
        if sawSubquery { select.unsupported.append(.subquery) }
        return select
    }

    mutating func parseSelectItem() throws(LyreError) -> SelectItem {
        if acceptSymbol("*") { return .wildcard }
        switch current.kind {
        case .word, .quotedIdentifier:
            if peekToken().isSymbol("."), peekToken(2).isSymbol("*") {
                let qualifier = try parseName(.column)
                advance(); advance()
                return .qualifiedWildcard(qualifier)
            }
        default: break
        }
        let expression = try parseExpression()
        return .expression(expression, alias: try parseAlias())
    }

    /// `[AS] alias` (sql.md §2.5: after `AS` the table-name exceptions apply; without `AS`
    /// only non-reserved words or quoted names).
    mutating func parseAlias() throws(LyreError) -> String? {
        if acceptKeyword("AS") {
            if case .string(let s) = current.kind {
                advance()
                return s
            }
            return try parseName(.aliasAfterAs)
        }
        switch current.kind {
        case .quotedIdentifier(let name):
            advance()
            return name
        case .word(let word) where ReservedWords.allows(word, in: .bareAlias):
            advance()
            return word
        default:
            return nil
        }
    }

    mutating func parseTableRef() throws(LyreError) -> TableRef {
        let name = try parseTableName()
        return TableRef(name: name, alias: try parseAlias())
    }

    private mutating func parseJoins(into select: inout SelectStatement) throws(LyreError) {
        while true {
            if acceptSymbol(",") {
                select.unsupported.append(.commaJoin)
                select.joins.append(Join(kind: .cross, table: try parseTableRef(), condition: nil))
                continue
            }
            var natural = false
            if acceptKeyword("NATURAL") {
                natural = true
                select.unsupported.append(.naturalJoin)
            }
            let kind: Join.Kind
            switch current.keyword {
            case "JOIN": kind = .inner
            case "INNER": advance(); kind = .inner
            case "LEFT": advance(); _ = acceptKeyword("OUTER"); kind = .left
            case "RIGHT": advance(); _ = acceptKeyword("OUTER"); kind = .right
            case "FULL": advance(); try expectKeyword("OUTER"); kind = .full
            case "OUTER": advance(); kind = .full
            case "CROSS": advance(); kind = .cross
            default:
                if natural { throw unexpected("expected JOIN") }
                return
            }
            try expectKeyword("JOIN")
            let table = try parseTableRef()
            if kind == .cross || natural {
                let condition: Expression? = acceptKeyword("ON") ? try parseExpression() : nil
                select.joins.append(Join(kind: kind, table: table, condition: condition))
            } else {
                try expectKeyword("ON")
                select.joins.append(Join(kind: kind, table: table, condition: try parseExpression()))
            }
        }
    }

    private mutating func parseOrderItem() throws(LyreError) -> OrderItem {
        let expression = try parseExpression()
        if acceptKeyword("DESC") { return OrderItem(expression: expression, descending: true) }
        _ = acceptKeyword("ASC")
        return OrderItem(expression: expression, descending: false)
    }

    /// `LIMIT n [OFFSET m]` or `OFFSET m ROWS FETCH NEXT|FIRST n ROWS ONLY`.
    private mutating func parseLimit(into select: inout SelectStatement) throws(LyreError) {
        if acceptKeyword("LIMIT") {
            select.limit = try parseInteger()
            if acceptKeyword("OFFSET") { select.offset = try parseInteger() }
        } else if acceptKeyword("OFFSET") {
            select.offset = try parseInteger()
            try expectKeyword("ROWS")
            if acceptKeyword("FETCH") {
                guard acceptKeyword("NEXT") || acceptKeyword("FIRST") else { throw unexpected("expected NEXT or FIRST") }
                select.limit = try parseInteger()
                guard acceptKeyword("ROWS") || acceptKeyword("ROW") else { throw unexpected("expected ROWS") }
                try expectKeyword("ONLY")
            }
        }
    }
}
