import LyreCore
import LyreQuery
import LyreSQL
import LyreStorage
import LyreTestSupport
import Testing

/// Random `SELECT … WHERE` statements run through binder, planner (index pushdown) and executor
/// must return exactly the rows a brute-force filter over every record returns.
///
/// Attributes: `n` numbers (or null/missing), `s` strings (or null/missing), `m` mixed types
/// including arrays and objects. Ranges compare `n`/`s` only with literals of their own type
/// (sql.md §4.7: typed index narrowing is Harper's behaviour, and tests avoid mixing types).
@Suite struct SQLDifferentialTests {

    static let words = ["apple", "Apple", "banana", "Berry", "cherry", "apricot", "bob", "Bobby", "zed", "x_y", "a%b"]

    static func records(_ g: inout SplitMix64) -> [JSONObject] {
        var out: [JSONObject] = []
        for id in 1...120 {
            var r = JSONObject()
            r["id"] = .int(Int64(id))
            switch Int.random(in: 0..<6, using: &g) {
            case 0: break
            case 1: r["n"] = .null
            case 2: r["n"] = .double(Double(Int.random(in: -50...50, using: &g)) / 4)
            default: r["n"] = .int(Int64.random(in: -20...20, using: &g))
            }
            switch Int.random(in: 0..<5, using: &g) {
            case 0: break
            case 1: r["s"] = .null
            default: r["s"] = .string(words.randomElement(using: &g)!)
            }
            switch Int.random(in: 0..<8, using: &g) {
            case 0: break
            case 1: r["m"] = .null
            case 2: r["m"] = .bool(Bool.random(using: &g))
            case 3: r["m"] = .array([.string(words.randomElement(using: &g)!), .int(3)])
            case 4: r["m"] = .object(["k": .int(1)])
            case 5: r["m"] = .string(words.randomElement(using: &g)!)
            default: r["m"] = .int(Int64.random(in: 0...5, using: &g))
            }
            out.append(r)
        }
        return out
    }

    static func number(_ g: inout SplitMix64) -> String { String(Int.random(in: -20...20, using: &g)) }
    static func word(_ g: inout SplitMix64) -> String { "'\(words.randomElement(using: &g)!)'" }

    static func predicate(_ g: inout SplitMix64, depth: Int) -> String {
        if depth > 0, Int.random(in: 0..<3, using: &g) == 0 {
            let op = ["AND", "OR", "AND"].randomElement(using: &g)!
            return "(\(predicate(&g, depth: depth - 1)) \(op) \(predicate(&g, depth: depth - 1)))"
        }
        if depth > 0, Int.random(in: 0..<8, using: &g) == 0 { return "NOT (\(predicate(&g, depth: depth - 1)))" }
        let ops = ["=", "!=", "<", "<=", ">", ">="]
        switch Int.random(in: 0..<12, using: &g) {
        case 0: return "n \(ops.randomElement(using: &g)!) \(number(&g))"
        case 1: return "s \(ops.randomElement(using: &g)!) \(word(&g))"
        case 2: return "n BETWEEN \(number(&g)) AND \(number(&g))"
        case 3: return "s BETWEEN \(word(&g)) AND \(word(&g))"
        case 4: return "n IN (\(number(&g)), \(number(&g)), '\(Int.random(in: 0...9, using: &g))')"
        case 5: return "s LIKE '\(["a%", "b%", "Ap%", "%e%", "_ed", "bob", "B%y"].randomElement(using: &g)!)'"
        case 6: return "m LIKE '\(["a%", "b%", "B%", "c%"].randomElement(using: &g)!)'"
        case 7: return "\(["n", "s", "m"].randomElement(using: &g)!) IS \(Bool.random(using: &g) ? "" : "NOT ")NULL"
        case 8: return "m = \(Bool.random(using: &g) ? word(&g) : String(Int.random(in: 0...5, using: &g)))"
        case 9: return Bool.random(using: &g) ? "id IN (\(Int.random(in: 1...130, using: &g)), 7)" : "id = \(Int.random(in: 1...130, using: &g))"
        case 10: return "s NOT IN (\(word(&g)), \(word(&g)))"
        default: return "n > n - 1 AND s != \(word(&g))"
        }
    }

    @Test func randomWhereClausesMatchBruteForce() throws {
        let storage = try TemporaryStorage()
        let db = try storage.engine.createDatabase("diff")
        var g = SplitMix64(seed: 42)
        let records = Self.records(&g)
        _ = try db.writeSync { ctx in
            _ = try ctx.createTable("t", primaryKey: "id")
            return try ctx.write(records, mode: .insert, to: "t").written.count
        }
        let stored = try db.read { txn in try txn.allRecords(in: db.table("t")!) }
        let evaluator = ExpressionEvaluator(functions: .sql)
        var indexed = 0
        for _ in 0..<400 {
            let condition = Self.predicate(&g, depth: 2)
            let sql = "SELECT id FROM diff.t WHERE \(condition)"
            let request = try SQLRequest(sql: sql)
            guard case .select(let statement) = request.statement else { Issue.record("not a select: \(sql)"); continue }
            let bound = try SelectBinder(catalog: storage.engine).bind(statement)
            let executor = SelectExecutor(bound)
            if case .records(.all)? = try executor.plan().access?.access {} else { indexed += 1 }
            let got = try executor.run().map { $0["id"] ?? .null }
            let rewritten = WhereRewrite.apply(statement.whereClause!)
            let expected = try stored.filter { try evaluator.isTrue(rewritten, row: RecordRow($0)) }.map { $0["id"] ?? .null }
            #expect(got == expected, "\(sql)")
        }
        #expect(indexed > 50)
    }

    @Test func limitStopsTheScanAndOffsetPastTheEndIsEmpty() throws {
        let storage = try TemporaryStorage()
        let db = try storage.engine.createDatabase("d")
        _ = try db.writeSync { ctx in
            _ = try ctx.createTable("t", primaryKey: "id")
            return try ctx.write((1...50).map { ["id": .int(Int64($0)), "v": .int(Int64($0 % 7))] }, mode: .insert, to: "t").written.count
        }
        func run(_ sql: String) throws -> [Value] {
            guard case .select(let s) = try SQLRequest(sql: sql).statement else { return [] }
            return try SelectExecutor(SelectBinder(catalog: storage.engine).bind(s)).run().map { $0["id"] ?? .null }
        }
        #expect(try run("SELECT id FROM d.t WHERE v = 3 LIMIT 2") == [3, 10])
        #expect(try run("SELECT id FROM d.t WHERE v = 3 LIMIT 2 OFFSET 1") == [10, 17])
        #expect(try run("SELECT id FROM d.t LIMIT 3 OFFSET 100") == [])
        #expect(try run("SELECT id FROM d.t WHERE id IN (5, '6', 60) ") == [5, 6])
        #expect(try run("SELECT id FROM d.t WHERE v BETWEEN 6 AND 6 AND id < 20") == [6, 13])
    }
}
