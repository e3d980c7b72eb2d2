import LyreCore
import LyreSQL
import Testing

/// The parser's nesting bound (issue 16 §1): every recursive shape is refused past
/// `Parser.maximumDepth` with its own 400, and long OR/AND chains parse flat.
@Suite struct ParserDepthTests {
    private func tooDeep(_ sql: String) {
        #expect(throws: LyreError.self) { _ = try Parser.parse(sql) }
        do {
            _ = try Parser.parse(sql)
        } catch {
            #expect(error.status == 400)
            #expect(error.message == "SQL expression nested too deeply (limit 256)")
        }
    }

    /// The deepest path from the root to a leaf, counted without recursion.
    private func depth(_ expression: Expression) -> Int {
        var deepest = 0
        var pending = [(expression, 1)]
        while let (e, d) = pending.popLast() {
            deepest = max(deepest, d)
            switch e {
            case .binary(_, let l, let r): pending += [(l, d + 1), (r, d + 1)]
            case .unary(_, let x): pending.append((x, d + 1))
            default: break
            }
        }
        return deepest
    }

    @Test func nestedShapesPastTheLimitAreRefused() {
        tooDeep("SELECT " + String(repeating: "(", count: 10_000) + "1" + String(repeating: ")", count: 10_000))
        tooDeep("SELECT " + String(repeating: "(", count: 10_000) + "1")
        tooDeep("SELECT " + String(repeating: "NOT ", count: 100_000) + "1")
        tooDeep("SELECT 1" + String(repeating: "+1", count: 99_999))
        tooDeep("SELECT 1" + String(repeating: "^1", count: 1_000))
        tooDeep("SELECT a" + String(repeating: "->b", count: 1_000))
        tooDeep("SELECT " + String(repeating: "+", count: 1_000) + "1")
        tooDeep("SELECT " + String(repeating: "upper(", count: 1_000) + "1" + String(repeating: ")", count: 1_000))
        tooDeep("SELECT 1" + String(repeating: " UNION SELECT 1", count: 1_000))
        tooDeep("SELECT @" + String(repeating: "{a:", count: 1_000) + "1" + String(repeating: "}", count: 1_000))
        tooDeep("SELECT * FROM t WHERE x IN " + String(repeating: "(SELECT y FROM t WHERE y IN ", count: 500) + "(1)")
    }

    @Test func nestingUnderTheLimitParses() throws {
        let nested = String(repeating: "(", count: 200) + "1" + String(repeating: ")", count: 200)
        guard case .select(let s) = try Parser.parseFirst("SELECT " + nested) else {
            Issue.record("not a select")
            return
        }
        #expect(s.items == [.expression(.literal(.number(.int(1))), alias: nil)])
        // A chain just under the limit: 200 additions build a 201-deep left-deep tree.
        let sum = try Parser.parseExpression("1" + String(repeating: "+1", count: 200))
        #expect(depth(sum) == 201)
    }

    @Test func shortOrChainsKeepTheirLeftDeepShape() throws {
        let e = try Parser.parseExpression("a OR b OR c")
        #expect(e == .binary(.or, .binary(.or, .column(ColumnRef(name: "a")), .column(ColumnRef(name: "b"))),
                             .column(ColumnRef(name: "c"))))
        #expect(ResultKey.render(e, style: .withoutFrom) == "a OR b OR c")
    }

    @Test func longOrAndAndChainsBecomeBalancedTrees() throws {
        let ors = try Parser.parseExpression((0..<100_000).map { "x = \($0)" }.joined(separator: " OR "))
        #expect(depth(ors) <= 19)
        let ands = try Parser.parseExpression((0..<100_000).map { "x > \($0)" }.joined(separator: " AND "))
        #expect(depth(ands) <= 19)
        // The operands stay in their order, left to right.
        var leaves: [Expression] = []
        var pending = [ors]
        while let e = pending.popLast() {
            if case .binary(.or, let l, let r) = e { pending += [r, l] } else { leaves.append(e) }
        }
        #expect(leaves.count == 100_000)
        #expect(leaves.first == .binary(.equal, .column(ColumnRef(name: "x")), .literal(.number(.int(0)))))
        #expect(leaves.last == .binary(.equal, .column(ColumnRef(name: "x")), .literal(.number(.int(99_999)))))
    }

    @Test func theLimitIsPerNestingNotPerStatement() throws {
        // Many siblings, each shallow: no limit applies to breadth.
        let items = (0..<5_000).map { "(((\($0))))" }.joined(separator: ", ")
        guard case .select(let s) = try Parser.parseFirst("SELECT " + items) else {
            Issue.record("not a select")
            return
        }
        #expect(s.items.count == 5_000)
    }
}
