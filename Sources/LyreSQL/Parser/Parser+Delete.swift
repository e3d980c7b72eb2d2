import LyreCore

/// `DELETE FROM [db.]table [WHERE c]` (sql.md §8.1).
extension Parser {
    mutating func parseDelete() throws(LyreError) -> DeleteStatement {
        try expectKeyword("DELETE")
        try expectKeyword("FROM")
        let table = try parseTableName()
        let whereClause: Expression? = acceptKeyword("WHERE") ? try parseExpression() : nil
        return DeleteStatement(table: table, whereClause: whereClause)
    }
}
