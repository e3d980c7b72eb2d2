import LyreCore
import LyreSQL
import Testing

/// `IN` lists of constants answer from a hash set, and long `OR` chains of one column's
/// equalities fold into `IN` lists (session 12): both must give exactly the answers of the
/// item-by-item `JS.strictEquals` walk they replace.
@Suite struct InListTests {
    let evaluator = ExpressionEvaluator(context: .fixed(1_700_000_000_123))

    static let values: [Value] = [
        .int(1), .double(1.0), .double(1.5), .int(-2), .double(-0.0), .int(0), .string("1"), .string("a"),
        .string("A"), .string("é"), .string("e\u{301}"), .bool(true), .bool(false), .null, .double(.nan),
        .int(9_007_199_254_740_993), .double(9_007_199_254_740_992), .array([.int(1)]), .object(JSONObject()),
    ]

    @Test func hashedMembershipAgreesWithStrictEqualityItemByItem() throws {
        let list = "1, 1.5, -2, 0, '1', 'a', 'é', true, NULL, 9007199254740992, @[1]"
        for negated in [false, true] {
            let e = try Parser.parseExpression("x \(negated ? "NOT IN" : "IN") (\(list))")
            guard case .inList(_, let items, _) = e else { Issue.record("not an IN list"); continue }
            for value in Self.values {
                let row = RecordRow(JSONObject([("x", value)]))
                let expected: Value?
                if JS.isNullish(value) {
                    expected = nil
                } else {
                    let found = try items.contains { JS.strictEquals(value, try evaluator.evaluate($0, row: row)) }
                    expected = .bool(found != negated)
                }
                #expect(try evaluator.evaluate(e, row: row) == expected, "\(value) \(negated)")
            }
        }
    }

    @Test func aListWithAColumnIsWalkedItemByItem() throws {
        let e = try Parser.parseExpression("x IN (1, y)")
        #expect(try evaluator.evaluate(e, row: RecordRow(JSONObject([("x", 5), ("y", 5)]))) == true)
        #expect(try evaluator.evaluate(e, row: RecordRow(JSONObject([("x", 5), ("y", 6)]))) == false)
        #expect(try evaluator.evaluate(Parser.parseExpression("x IN (-1, +2)"), row: RecordRow(JSONObject([("x", 2)]))) == true)
    }

    @Test func aLongOrChainOfOneColumnFoldsIntoAnINListWithTheSameValues() throws {
        let chain = (0..<40).map { i in i % 3 == 0 ? "x = \(i)" : i % 3 == 1 ? "'\(i)' = x" : "x = 'true'" }
            .joined(separator: " OR ")
        let written = WhereRewrite.apply(try Parser.parseExpression(chain))
        let folded = WhereRewrite.prepare(try Parser.parseExpression(chain))
        guard case .inList(.column(let c), let items, negated: false) = folded else {
            Issue.record("not folded: \(folded)")
            return
        }
        #expect(c.name == "x" && items.count == 40)
        for value in Self.values + [.int(3), .string("4"), .int(4), .bool(true), .string("true")] {
            let row = RecordRow(JSONObject([("x", value)]))
            #expect(try evaluator.evaluate(folded, row: row) == evaluator.evaluate(written, row: row), "\(value)")
        }
    }

    @Test func chainsThatAreShortMixColumnsOrCompareNullStayAsWritten() throws {
        // Up to 32 terms a chain is left-deep, so with the odd term first no sub-chain is foldable.
        let twenty = (0..<20).map { "x = \($0)" }.joined(separator: " OR ")
        for text in [
            (0..<10).map { "x = \($0)" }.joined(separator: " OR "),
            "y = 1 OR " + twenty,
            "x = NULL OR " + twenty,
            "x > 100 OR " + twenty,
        ] {
            let e = try Parser.parseExpression(text)
            #expect(WhereRewrite.prepare(e) == WhereRewrite.apply(e), "\(text.suffix(30))")
        }
        // A foldable chain under AND and NOT is folded in place.
        let inner = (0..<40).map { "x = \($0)" }.joined(separator: " OR ")
        guard case .binary(.and, _, .unary(.not, .inList)) = WhereRewrite.prepare(try Parser.parseExpression("y = 1 AND NOT (\(inner))")) else {
            Issue.record("not folded under AND NOT")
            return
        }
    }

    @Test func aLongCaseOfConstantsTakesTheFirstStrictlyEqualBranch() throws {
        // 12 branches (hashed past 8), with repeated and mixed-type constants.
        let constants = ["1", "1.0", "'1'", "2", "'a'", "true", "NULL", "2.0", "'é'", "-3", "'A'", "1"]
        let simple = "CASE x " + constants.enumerated().map { "WHEN \($1) THEN \($0)" }.joined(separator: " ") + " ELSE 'none' END"
        let searched = "CASE " + constants.enumerated().map { $1 == "NULL" ? "WHEN x = 99 THEN \($0)" : "WHEN \($0 % 2 == 0 ? "x = \($1)" : "\($1) = x") THEN \($0)" }
            .joined(separator: " ") + " END"
        let parsed = try constants.map { try evaluator.evaluate(Parser.parseExpression($0), row: NoRow()) }
        for value in Self.values + [.int(2), .int(-3), .int(99), .string("A")] {
            let row = RecordRow(JSONObject([("x", value)]))
            var expected: Value? = "none"
            if !JS.isNullish(value), let i = parsed.firstIndex(where: { JS.strictEquals(value, $0) }) { expected = .int(Int64(i)) }
            #expect(try evaluator.evaluate(Parser.parseExpression(simple), row: row) == expected, "simple \(value)")
            var searchedExpected: Value? = nil
            if case .int(99) = value { searchedExpected = .int(6) } else if expected != "none" { searchedExpected = expected }
            #expect(try evaluator.evaluate(Parser.parseExpression(searched), row: row) == searchedExpected, "searched \(value)")
        }
    }
}
