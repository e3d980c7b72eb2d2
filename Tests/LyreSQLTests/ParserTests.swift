import LyreCore
import LyreSQL
import Testing

@Suite struct ParserTests {
    private func select(_ sql: String) throws -> SelectStatement {
        guard case .select(let s) = try Parser.parseFirst(sql) else {
            Issue.record("not a select: \(sql)")
            return SelectStatement(items: [])
        }
        return s
    }

    private func col(_ name: String, _ q: String? = nil) -> Expression { .column(ColumnRef(qualifier: q, name: name)) }
    private func int(_ i: Int64) -> Expression { .literal(.number(.int(i))) }
    private func str(_ s: String) -> Expression { .literal(.string(s)) }

    @Test func simpleSelect() throws {
        let s = try select("SELECT id, name FROM conf.pet WHERE id = 1")
        #expect(s == SelectStatement(
            items: [.expression(col("id"), alias: nil), .expression(col("name"), alias: nil)],
            from: TableRef(name: TableName(database: "conf", table: "pet")),
            whereClause: .binary(.equal, col("id"), int(1))))
    }

    @Test func aliasesWildcardsAndQuoting() throws {
        let s = try select("select p.name n, o.*, *, [first name] AS `x y` from `conf`.[pet] p")
        #expect(s.items == [
            .expression(col("name", "p"), alias: "n"), .qualifiedWildcard("o"), .wildcard,
            .expression(col("first name"), alias: "x y"),
        ])
        #expect(s.from == TableRef(name: TableName(database: "conf", table: "pet"), alias: "p"))
    }

    @Test func numberFollowedByWordIsAnAlias() throws {
        let s = try select("SELECT 2nd FROM t")
        #expect(s.items == [.expression(int(2), alias: "nd")])
        #expect(s.from?.name == TableName(database: nil, table: "t"))
    }

    @Test func joins() throws {
        let s = try select("""
            SELECT p.id FROM conf.pet p JOIN conf.owner o ON p.owner_id = o.id \
            LEFT OUTER JOIN a.b ON TRUE RIGHT JOIN a.c c ON 1 = 1 \
            FULL OUTER JOIN a.d d ON 1 = 1 OUTER JOIN a.e ON 1 = 1 CROSS JOIN a.f
            """)
        #expect(s.joins.map(\.kind) == [.inner, .left, .right, .full, .full, .cross])
        #expect(s.joins[0].condition == .binary(.equal, col("owner_id", "p"), col("id", "o")))
        #expect(s.joins[5].condition == nil)
        #expect(s.unsupported.isEmpty)
    }

    @Test func groupHavingOrderLimit() throws {
        let s = try select("SELECT DISTINCT TOP 3 species, COUNT(*) AS n FROM conf.pet GROUP BY species HAVING COUNT(*) > 1 ORDER BY n DESC, 1 LIMIT 5 OFFSET 2")
        #expect(s.distinct)
        #expect(s.top == 3)
        #expect(s.groupBy == [col("species")])
        #expect(s.having == .binary(.greaterThan, .function(FunctionCall(name: "COUNT", arguments: [], isStar: true)), int(1)))
        #expect(s.orderBy == [OrderItem(expression: col("n"), descending: true), OrderItem(expression: int(1))])
        #expect(s.orderBy[1].ordinal == 1)
        #expect(s.limit == 5)
        #expect(s.offset == 2)
    }

    @Test func fetchForm() throws {
        let s = try select("SELECT id FROM conf.pet ORDER BY id OFFSET 1 ROWS FETCH NEXT 2 ROWS ONLY")
        #expect(s.offset == 1)
        #expect(s.limit == 2)
    }

    @Test func selectWithoutFrom() throws {
        let s = try select("SELECT 2 + 2")
        #expect(!s.hasFrom)
        #expect(s.items == [.expression(.binary(.add, int(2), int(2)), alias: nil)])
    }

    @Test func precedence() throws {
        #expect(try Parser.parseExpression("1 + 2 * 3") == .binary(.add, int(1), .binary(.multiply, int(2), int(3))))
        #expect(try Parser.parseExpression("a OR b AND c") == .binary(.or, col("a"), .binary(.and, col("b"), col("c"))))
        #expect(try Parser.parseExpression("NOT a = 1") == .unary(.not, .binary(.equal, col("a"), int(1))))
        #expect(try Parser.parseExpression("a BETWEEN 1 AND 2 AND b") ==
                .binary(.and, .between(col("a"), low: int(1), high: int(2), negated: false), col("b")))
        #expect(try Parser.parseExpression("-2 ^ 3 * 4") ==
                .binary(.multiply, .binary(.bitXor, .unary(.minus, int(2)), int(3)), int(4)))
        #expect(try Parser.parseExpression("'a' || 'b' = 'ab'") ==
                .binary(.equal, .binary(.concat, str("a"), str("b")), str("ab")))
    }

    @Test func predicates() throws {
        #expect(try Parser.parseExpression("x NOT IN (1, 2)") == .inList(col("x"), [int(1), int(2)], negated: true))
        #expect(try Parser.parseExpression("x IS NOT NULL") == .isNull(col("x"), negated: true))
        #expect(try Parser.parseExpression("x NOT LIKE 'a%'") == .like(col("x"), pattern: str("a%"), negated: true, escape: nil))
        #expect(try Parser.parseExpression("x REGEXP '^a'") == .binary(.regexp, col("x"), str("^a")))
        #expect(try Parser.parseExpression("x = ANY (1, 3)") == .quantified(.equal, col("x"), .any, [int(1), int(3)]))
        #expect(try Parser.parseExpression("meta->dims->1") ==
                .binary(.arrow, .binary(.arrow, col("meta"), str("dims")), int(1)))
    }

    @Test func functionsCastCase() throws {
        #expect(try Parser.parseExpression("COUNT(DISTINCT owner_id)") ==
                .function(FunctionCall(name: "COUNT", arguments: [col("owner_id")], isDistinct: true)))
        #expect(try Parser.parseExpression("CAST(x AS DECIMAL(5,2))") ==
                .cast(col("x"), SQLType(name: "DECIMAL", parameters: [5, 2]), style: nil))
        #expect(try Parser.parseExpression("CONVERT(varchar(2), 'hello')") ==
                .cast(str("hello"), SQLType(name: "VARCHAR", parameters: [2]), style: nil))
        #expect(try Parser.parseExpression("CASE s WHEN 'dog' THEN 1 ELSE 2 END") ==
                .caseWhen(CaseExpression(operand: col("s"), branches: [.init(condition: str("dog"), value: int(1))], elseValue: int(2))))
        #expect(try Parser.parseExpression("CURRENT_TIMESTAMP") == .currentTimestamp)
        #expect(try Parser.parseExpression("@{\"a\": [1, -2.5]}") == .literal(.json(["a": [1, -2.5]])))
    }

    @Test func insert() throws {
        let statement = try Parser.parseFirst("INSERT INTO conf.pet (id, name) VALUES (6, 'Kiwi'), (7, UPPER('mo'))")
        #expect(statement == .insert(InsertStatement(
            table: TableName(database: "conf", table: "pet"), columns: ["id", "name"],
            rows: [[int(6), str("Kiwi")], [int(7), .function(FunctionCall(name: "UPPER", arguments: [str("mo")]))]])))
        guard case .insert(let noColumns) = try Parser.parseFirst("INSERT INTO pet VALUE (1)") else { return }
        #expect(noColumns.columns == nil)
        #expect(noColumns.table.database == nil)
        guard case .insert(let fromSelect) = try Parser.parseFirst("INSERT INTO a.b (id) SELECT id FROM a.c") else { return }
        #expect(fromSelect.select != nil)
    }

    @Test func updateAndDelete() throws {
        #expect(try Parser.parseFirst("UPDATE conf.pet SET age = age + 1, note = 'older' WHERE species = 'cat'") ==
                .update(UpdateStatement(
                    table: TableName(database: "conf", table: "pet"),
                    assignments: [.init(column: "age", value: .binary(.add, col("age"), int(1))),
                                  .init(column: "note", value: str("older"))],
                    whereClause: .binary(.equal, col("species"), str("cat")))))
        #expect(try Parser.parseFirst("DELETE FROM conf.pet") ==
                .delete(DeleteStatement(table: TableName(database: "conf", table: "pet"), whereClause: nil)))
    }

    @Test func unsupportedFeaturesAreRecorded() throws {
        #expect(try select("SELECT id FROM conf.pet UNION SELECT id FROM conf.owner").unsupported == [.union])
        #expect(try select("SELECT id FROM conf.pet p, conf.owner o").unsupported == [.commaJoin])
        #expect(try select("SELECT id FROM conf.pet p NATURAL JOIN conf.owner o").unsupported == [.naturalJoin])
        #expect(try select("SELECT id FROM conf.pet WHERE x IN (SELECT id FROM conf.owner)").unsupported == [.subquery])
        #expect(try Parser.parseFirst("CREATE TABLE conf.x (id INT)") == .unsupported(keyword: "CREATE"))
    }

    @Test func severalStatementsOnlyFirstRuns() throws {
        let all = try Parser.parse("SELECT 1; DELETE FROM a.b;")
        #expect(all.count == 2)
        #expect(throws: LyreError.self) { try Parser.parse("SELECT 1; SELEC 2") }
    }

    @Test(arguments: [
        ("select * from call.aggr", "Invalid SQL at: select * from call.aggr. Please ensure your SQL is valid. Try adding backticks to reserved words and schema table references."),
        ("SELECT id FROM conf.pet WHERE", "Invalid SQL at: ... FROM conf.pet WHERE. Please ensure your SQL is valid. Try adding backticks to reserved words and schema table references."),
        ("SELECT id FROM conf.pet LIMIT 2, 3", "Invalid SQL at: ...ROM conf.pet LIMIT 2, 3. Please ensure your SQL is valid. Try adding backticks to reserved words and schema table references."),
    ])
    func syntaxErrorTexts(sql: String, message: String) {
        do {
            _ = try Parser.parse(sql)
            Issue.record("expected a syntax error")
        } catch {
            #expect(error.status == 400)
            #expect(error.message == message)
        }
    }

    @Test func syntaxErrorPointsAtTheToken() {
        do {
            _ = try Parser.parse("SELECT id\nFROM conf.pet LIMIT 2, 3")
            Issue.record("expected a syntax error")
        } catch {
            let detail = error.underlying as? SQLSyntaxError
            #expect(detail?.position == SourcePosition(offset: 31, line: 2, column: 22))
            #expect(detail?.token == ",")
        }
    }

    @Test(arguments: [
        ("SELECT * FROM conf.pet", "select"), ("SELECT\n* FROM conf.pet", "select\n*"),
        ("CREATE TABLE x", "create"), ("delete from a.b", "delete"),
    ])
    func statementKind(sql: String, kind: String) {
        #expect(Parser.statementKind(of: sql) == kind)
    }
}

@Suite struct SQLRequestTests {
    @Test func trimsAndFindsTheKind() throws {
        let request = try SQLRequest(sql: "  SELECT id FROM conf.pet WHERE id = 1;  ")
        #expect(request.kind == "select")
        #expect(request.isSupportedKind)
    }

    @Test func newlineAfterKeywordIsAnotherKind() throws {
        let request = try SQLRequest(sql: "SELECT\n* FROM conf.pet")
        #expect(request.kind == "select\n*")
        #expect(!request.isSupportedKind)
    }

    @Test func unsupportedStatementsParse() throws {
        let request = try SQLRequest(sql: "CREATE TABLE conf.x (id INT)")
        #expect(request.kind == "create")
        #expect(request.statement == .unsupported(keyword: "CREATE"))
        #expect(LyreError.sqlUnsupportedType(request.kind).message == "unsupported SQL type create in SQL: [object Object]")
    }

    @Test func emptyIsMissing() {
        #expect(throws: LyreError.self) { try SQLRequest(sql: "   ") }
        do { _ = try SQLRequest(sql: "") } catch {
            #expect(error.message == "The 'sql' parameter is missing from the request body")
        }
    }
}
