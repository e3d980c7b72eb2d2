import LyreCore
import LyreSQL
import Testing

/// `UPDATE`'s records are built in one pass (session 12): each column once, at its first
/// place after the primary key, with its last assignment's value, as assigning key by key
/// built them (which walked the record for every assignment: 5,000 columns were 1.25·10^7
/// steps per record).
@Suite struct UpdateRecordsTests {
    @Test func columnsKeepTheirFirstPlaceAndTheirLastValue() throws {
        func assign(_ column: String, _ sql: String) throws -> UpdateStatement.Assignment {
            .init(column: column, value: try Parser.parseExpression(sql))
        }
        let statement = UpdateStatement(table: TableName(database: "dev", table: "t"), assignments: [
            try assign("a", "1"), try assign("b", "x + 1"), try assign("a", "2"), try assign("id", "id * 10"),
            try assign("c", "NULL"), try assign("__updatedtime__", "5"),
        ], whereClause: nil)
        let records = try WriteStatements.updateRecords(statement, targets: [JSONObject([("id", 1), ("x", 4)])], primaryKey: "id")
        #expect(records == [JSONObject([("id", 10), ("a", 2), ("b", 5), ("c", .null)])])
    }

    @Test func fiveThousandColumnsOverAHundredRecords() throws {
        let assignments = try (0..<5_000).map { UpdateStatement.Assignment(column: "c\($0)", value: try Parser.parseExpression("\($0)")) }
        let statement = UpdateStatement(table: TableName(database: "dev", table: "t"), assignments: assignments, whereClause: nil)
        let targets = (0..<100).map { JSONObject([("id", .int(Int64($0)))]) }
        let records = try WriteStatements.updateRecords(statement, targets: targets, primaryKey: "id")
        #expect(records.count == 100)
        #expect(records[99].count == 5_001 && records[99]["id"] == 99 && records[99]["c4999"] == 4999)
    }
}
