import LyreCore

/// `INSERT INTO [db.]table (cols) VALUES|VALUE (…), …` (sql.md §6.1).
extension Parser {
    mutating func parseInsert() throws(LyreError) -> InsertStatement {
        try expectKeyword("INSERT")
        try expectKeyword("INTO")
        let table = try parseTableName()
        var columns: [String]?
        if acceptSymbol("(") {
            var list = [try parseName(.column)]
            while acceptSymbol(",") { list.append(try parseName(.column)) }
            try expectSymbol(")")
            columns = list
        }
        if current.isKeyword("SELECT") {
            return InsertStatement(table: table, columns: columns, rows: [], select: try parseSelect())
        }
        guard acceptKeyword("VALUES") || acceptKeyword("VALUE") else { throw unexpected("expected VALUES") }
        var rows: [[Expression]] = []
        repeat {
            try expectSymbol("(")
            var row = [try parseExpression()]
            while acceptSymbol(",") { row.append(try parseExpression()) }
            try expectSymbol(")")
            rows.append(row)
        } while acceptSymbol(",")
        return InsertStatement(table: table, columns: columns, rows: rows)
    }
}
