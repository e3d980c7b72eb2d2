import LyreCore
import LyreSQL
import Testing

@Suite struct ExpressionEvaluatorTests {
    let evaluator = ExpressionEvaluator(context: .fixed(1_700_000_000_123))

    @Test func columnWithoutFromFails() throws {
        let e = try Parser.parseExpression("nope")
        #expect(throws: LyreError.self) { try evaluator.evaluate(e, row: NoRow()) }
    }

    @Test func aggregatesComeFromTheRow() throws {
        struct Grouped: RowAccess {
            func value(of column: ColumnRef) throws -> Value? { nil }
            func aggregateValue(of call: FunctionCall) throws -> Value? { call.isStar ? 5 : nil }
        }
        let e = try Parser.parseExpression("COUNT(*) > 1")
        #expect(try evaluator.evaluate(e, row: Grouped()) == true)
        #expect(throws: (any Error).self) { try evaluator.evaluate(e, row: RecordRow(JSONObject())) }
    }

    @Test func conditionsTreatUndefinedAsFalse() throws {
        let row = RecordRow(JSONObject([("age", Value.null)]))
        #expect(try !evaluator.isTrue(Parser.parseExpression("age > 2"), row: row))
        #expect(try evaluator.isTrue(Parser.parseExpression("NOT (age > 2)"), row: row))
        #expect(try !evaluator.isTrue(Parser.parseExpression("age NOT BETWEEN 3 AND 7"), row: row))
    }

    @Test func whereRewrite() throws {
        let rewritten = WhereRewrite.apply(try Parser.parseExpression("vaccinated = 'false' AND id IN ('1', '011', '1e3', '0.5')"))
        let row = RecordRow(JSONObject([("vaccinated", Value.bool(false)), ("id", Value.int(1))]))
        #expect(try evaluator.isTrue(rewritten, row: row))
        #expect(WhereRewrite.canonicalNumber("011") == nil)
        #expect(WhereRewrite.canonicalNumber("1e3") == nil)
        #expect(WhereRewrite.canonicalNumber("0.5") == .double(0.5))
        #expect(WhereRewrite.canonicalNumber("0") == .int(0))
        // `=` is not rewritten for numbers.
        let eq = WhereRewrite.apply(try Parser.parseExpression("id = '1'"))
        #expect(try !evaluator.isTrue(eq, row: row))
    }

    @Test func resultValues() {
        #expect(SQLResult.isOmitted(nil))
        #expect(SQLResult.isOmitted(.double(.nan)))
        #expect(!SQLResult.isOmitted(.null))
        #expect(SQLResult.output(.double(.infinity)) == .null)
    }

    @Test(arguments: [
        (0.30000000000000004, "0.30000000000000004"), (1e21, "1e+21"), (5e-7, "5e-7"), (-0.0, "0"),
        (123456789012345680, "123456789012345680"), (1.5, "1.5"), (1e20, "100000000000000000000"),
        (0.000001, "0.000001"), (-2.5e-8, "-2.5e-8"), (1.2345e25, "1.2345e+25"),
    ])
    func javascriptNumberText(value: Double, text: String) {
        #expect(SQLNumber.format(value) == text)
    }

    @Test func functionRegistrySpelling() {
        #expect(FunctionRegistry.standard.lookup("Upper") != nil)
        #expect(FunctionRegistry.standard.lookup("DATE_FORMAT") != nil)
        #expect(FunctionRegistry.standard.lookup("Date_Format") == nil)
        #expect(FunctionRegistry.standard.lookup("log") == nil)
    }

    @Test func arityIsChecked() throws {
        let e = try Parser.parseExpression("UPPER('a', 'b')")
        #expect(throws: SQLEvaluationError.self) { try evaluator.evaluate(e, row: NoRow()) }
    }
}
