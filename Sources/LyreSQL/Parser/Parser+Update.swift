import LyreCore

/// `UPDATE [db.]table SET col = expr, … [WHERE c]` (sql.md §7.1).
extension Parser {
    mutating func parseUpdate() throws(LyreError) -> UpdateStatement {
        try expectKeyword("UPDATE")
        let table = try parseTableName()
        try expectKeyword("SET")
        var assignments: [UpdateStatement.Assignment] = []
        repeat {
            let column = try parseName(.column)
            try expectSymbol("=")
            assignments.append(.init(column: column, value: try parseExpression()))
        } while acceptSymbol(",")
        let whereClause: Expression? = acceptKeyword("WHERE") ? try parseExpression() : nil
        return UpdateStatement(table: table, assignments: assignments, whereClause: whereClause)
    }
}
