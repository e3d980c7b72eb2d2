import LyreCore
import LyreTestSupport
import Testing

/// Random `SELECT id … WHERE` statements against `search_by_conditions` with the same conditions
/// on the same data: since both go through LyreQuery's planner (SQL borrows its index choice,
/// then filters with its own `WHERE`), they must return the same records.
///
/// Only conditions whose SQL and NoSQL meanings coincide are generated: attributes of one type
/// each (`n` integers, `s` lower-case words, both sometimes null or missing; `t` always an
/// integer), comparisons with a literal of the attribute's type, `BETWEEN` ↔ `between`,
/// `LIKE 'ab%'` ↔ `starts_with` (the data has no upper case), and `AND`/`OR` nested two deep.
@Suite struct SQLSearchDifferentialTests {
    static let words = ["apple", "apricot", "banana", "berry", "bob", "bobby", "cherry", "zed", "ab", "b"]

    struct Generated {
        var sql: String
        var json: String
    }

    static func condition(_ g: inout SplitMix64) -> Generated {
        let comparisons = [("=", "equals"), ("<", "less_than"), ("<=", "less_than_equal"),
                           (">", "greater_than"), (">=", "greater_than_equal")]
        func json(_ attribute: String, _ comparator: String, _ value: String) -> String {
            #"{"attribute":"\#(attribute)","comparator":"\#(comparator)","value":\#(value)}"#
        }
        switch Int.random(in: 0..<7, using: &g) {
        case 0, 1:
            let (op, name) = comparisons.randomElement(using: &g)!
            let attribute = Bool.random(using: &g) ? "n" : "t"
            let v = attribute == "n" ? Int.random(in: -20...20, using: &g) : Int.random(in: 0...4, using: &g)
            return Generated(sql: "\(attribute) \(op) \(v)", json: json(attribute, name, "\(v)"))
        case 2:
            let (op, name) = comparisons.randomElement(using: &g)!
            let w = words.randomElement(using: &g)!
            return Generated(sql: "s \(op) '\(w)'", json: json("s", name, "\"\(w)\""))
        case 3:
            let a = Int.random(in: -20...20, using: &g), b = Int.random(in: -20...20, using: &g)
            return Generated(sql: "n BETWEEN \(a) AND \(b)", json: json("n", "between", "[\(a),\(b)]"))
        case 4:
            let a = words.randomElement(using: &g)!, b = words.randomElement(using: &g)!
            return Generated(sql: "s BETWEEN '\(a)' AND '\(b)'", json: json("s", "between", "[\"\(a)\",\"\(b)\"]"))
        case 5:
            let p = ["a", "ap", "b", "bo", "bob", "c", "z", "x"].randomElement(using: &g)!
            return Generated(sql: "s LIKE '\(p)%'", json: json("s", "starts_with", "\"\(p)\""))
        default:
            let v = Int64.random(in: 1...130, using: &g)
            return Generated(sql: "id = \(v)", json: json("id", "equals", "\(v)"))
        }
    }

    static func filter(_ g: inout SplitMix64, depth: Int) -> (sql: String, conditions: String, op: String) {
        let count = Int.random(in: 1...3, using: &g)
        // search_by_conditions refuses an `or` group of one condition.
        let op = count > 1 && Bool.random(using: &g) ? "or" : "and"
        var sql: [String] = [], json: [String] = []
        for _ in 0..<count {
            if depth > 0, Int.random(in: 0..<3, using: &g) == 0 {
                let inner = filter(&g, depth: depth - 1)
                sql.append("(\(inner.sql))")
                json.append(#"{"operator":"\#(inner.op)","conditions":[\#(inner.conditions)]}"#)
            } else {
                let c = condition(&g)
                sql.append(c.sql)
                json.append(c.json)
            }
        }
        return (sql.joined(separator: " \(op.uppercased()) "), json.joined(separator: ","), op)
    }

    static func records(_ g: inout SplitMix64) -> String {
        var out: [String] = []
        for id in 1...120 {
            var fields = [#""id":\#(id)"#, #""t":\#(Int.random(in: 0...4, using: &g))"#]
            switch Int.random(in: 0..<6, using: &g) {
            case 0: break
            case 1: fields.append(#""n":null"#)
            default: fields.append(#""n":\#(Int.random(in: -20...20, using: &g))"#)
            }
            switch Int.random(in: 0..<5, using: &g) {
            case 0: break
            case 1: fields.append(#""s":null"#)
            default: fields.append(#""s":"\#(words.randomElement(using: &g)!)""#)
            }
            out.append("{" + fields.joined(separator: ",") + "}")
        }
        return "[" + out.joined(separator: ",") + "]"
    }

    static func ids(_ response: TestResponse) -> [Value]? {
        guard response.status == 200, let rows = response.json.arrayValue else { return nil }
        return rows.map { $0["id"] ?? .null }
    }

    @Test func randomWhereClausesMatchSearchByConditions() async throws {
        let lyre = try TestApplication()
        var g = SplitMix64(seed: 7)
        _ = await lyre.post(#"{"operation":"create_database","database":"diff"}"#)
        _ = await lyre.post(#"{"operation":"create_table","database":"diff","table":"t","primary_key":"id"}"#)
        let inserted = await lyre.post(#"{"operation":"insert","database":"diff","table":"t","records":\#(Self.records(&g))}"#)
        try #require(inserted.status == 200)
        var nonEmpty = 0
        for _ in 0..<300 {
            let f = Self.filter(&g, depth: 2)
            let sql = "SELECT id FROM diff.t WHERE \(f.sql) ORDER BY id"
            let search = #"{"operation":"search_by_conditions","database":"diff","table":"t","operator":"\#(f.op)","get_attributes":["id"],"sort":{"attribute":"id"},"conditions":[\#(f.conditions)]}"#
            let a = Self.ids(await lyre.post(.object(JSONObject([("operation", "sql"), ("sql", .string(sql))]))))
            let b = Self.ids(await lyre.post(search))
            #expect(a != nil && a == b, "\(sql)\n  sql:    \(a.map { JSON.string(.array($0)) } ?? "error")\n  search: \(b.map { JSON.string(.array($0)) } ?? "error")\n  \(search)")
            if let a, !a.isEmpty { nonEmpty += 1 }
        }
        #expect(nonEmpty > 100)
    }
}
