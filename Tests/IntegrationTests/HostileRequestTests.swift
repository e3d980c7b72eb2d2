import Foundation
import LyreCore
import LyreTestSupport
import Testing

/// Requests built to exhaust a recursive parser, binder or evaluator, sent to the real
/// binary: each is answered with a 4xx and its limit named, and the same process goes on
/// serving (issue 16 §1 — the first four are the inputs that used to end the process).
@Suite struct HostileRequestTests {
    /// A `sql` request body for `sql` (escaped for JSON).
    static func sql(_ text: String) -> String {
        JSON.string(.object(JSONObject([("operation", .string("sql")), ("sql", .string(text))])))
    }

    static let sqlTooDeep = #"{"error":"SQL expression nested too deeply (limit 256)"}"#

    /// Sends each body, expects its exact answer (`text` nil: any 4xx), and checks the
    /// process still answers a normal request after every one of them.
    func expectAnswered(_ cases: [(body: String, status: Int, text: String?)]) async throws {
        let root = TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let lyre = try await LyreProcess(root: root, port: LyreProcess.freePort())
        defer { lyre.terminate() }
        _ = try await lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#)
        _ = try await lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":1,"name":"Penny"}]}"#)
        for (index, item) in cases.enumerated() {
            let response = try await lyre.post(item.body)
            if let text = item.text {
                #expect(response.status == item.status, "case \(index)")
                #expect(response.text == text, "case \(index)")
            } else {
                #expect((400..<500).contains(response.status), "case \(index): \(response)")
            }
            let alive = try await lyre.post(#"{"operation":"search_by_id","database":"dev","table":"dog","ids":[1],"get_attributes":["name"]}"#)
            #expect(alive.text == #"[{"name":"Penny"}]"#, "the server must still serve after case \(index)")
        }
    }

    @Test func theFourSQLInputsThatCrashedTheServerAreRefusedWith400() async throws {
        let parentheses = String(repeating: "(", count: 10_000) + "1" + String(repeating: ")", count: 10_000)
        try await expectAnswered([
            (Self.sql("SELECT " + parentheses), 400, Self.sqlTooDeep),
            (Self.sql("SELECT " + String(repeating: "(", count: 10_000) + "1"), 400, Self.sqlTooDeep),
            (Self.sql("SELECT " + String(repeating: "NOT ", count: 100_000) + "1"), 400, Self.sqlTooDeep),
            (Self.sql("SELECT 1" + String(repeating: "+1", count: 99_999)), 400, Self.sqlTooDeep),
        ])
    }

    @Test func otherDeepSQLShapesAreRefusedWith400() async throws {
        try await expectAnswered([
            (Self.sql("SELECT " + String(repeating: "- ", count: 50_000) + "1"), 400, Self.sqlTooDeep),
            (Self.sql("SELECT " + String(repeating: "abs(", count: 5_000) + "1" + String(repeating: ")", count: 5_000)), 400, Self.sqlTooDeep),
            (Self.sql("SELECT " + String(repeating: "(SELECT ", count: 5_000) + "1" + String(repeating: ")", count: 5_000)), 400, Self.sqlTooDeep),
            (Self.sql("SELECT 1" + String(repeating: " UNION SELECT 1", count: 20_000)), 400, Self.sqlTooDeep),
            (Self.sql("SELECT 1" + String(repeating: "*2", count: 50_000)), 400, Self.sqlTooDeep),
            (Self.sql("SELECT 1" + String(repeating: " = 1", count: 50_000)), 400, Self.sqlTooDeep),
            (Self.sql("SELECT @" + String(repeating: "[", count: 5_000) + String(repeating: "]", count: 5_000)), 400, Self.sqlTooDeep),
            (Self.sql("SELECT * FROM dev.dog WHERE " + String(repeating: "CASE WHEN ", count: 5_000) + "1"), 400, Self.sqlTooDeep),
        ])
    }

    @Test func deeplyNestedRegularExpressionGroupsAreRefusedBeforeCompiling() async throws {
        let groups = String(repeating: "(", count: 100_000) + "a" + String(repeating: ")", count: 100_000)
        try await expectAnswered([
            (Self.sql("SELECT name FROM dev.dog WHERE name REGEXP '\(groups)'"), 400,
             #"{"error":"There was a problem performing this search. Please check the logs and try again."}"#),
            (Self.sql("SELECT SEARCH_JSON('$match(\"a\", /\(groups)/)', name) AS v FROM dev.dog"), 400,
             #"{"error":"There was a problem performing this search. Please check the logs and try again."}"#),
        ])
    }

    @Test func likePatternsWithManyWildcardsAnswerAtOnce() async throws {
        // The regular expression LIKE used to become backtracked into every '%': this ran
        // for minutes on 1,000 characters. The wildcard matcher takes pattern × value steps.
        let long = String(repeating: "a", count: 20_000)
        try await expectAnswered([
            (Self.sql("SELECT '\(long)' LIKE '%a%a%a%a%a%a%a%a%b' AS m"), 200, #"[{"m":false}]"#),
            (Self.sql("SELECT '\(long)b' LIKE '%a%a%a%a%a%a%a%a%b' AS m"), 200, #"[{"m":true}]"#),
        ])
    }

    @Test func aNestingJustUnderTheLimitStillRuns() async throws {
        // 200 parentheses: each costs a level, plus the select item's own.
        let nested = String(repeating: "(", count: 200) + "1" + String(repeating: ")", count: 200)
        try await expectAnswered([
            (Self.sql("SELECT " + nested + " AS one"), 200, #"[{"one":1}]"#),
        ])
    }

    @Test func longORAndANDChainsRunAsBalancedTrees() async throws {
        // 100,000 ORs, the form generated `id = 1 OR id = 2 …` lists take: no deep recursion.
        let ors = (0..<100_000).map { "id = \($0 + 2)" }.joined(separator: " OR ")
        let ands = (0..<50_000).map { _ in "id > 0" }.joined(separator: " AND ")
        try await expectAnswered([
            (Self.sql("SELECT name FROM dev.dog WHERE " + ors + " OR id = 1"), 200, #"[{"name":"Penny"}]"#),
            (Self.sql("SELECT name FROM dev.dog WHERE " + ands), 200, #"[{"name":"Penny"}]"#),
        ])
    }

    @Test func castAsJSONOfDeeplyNestedTextIsBoundedByTheJSONReader() async throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        try await expectAnswered([
            // The cast's JSON reader is LyreCore's, with its depth limit; a failed cast is
            // the statement's generic search failure, as for any other invalid JSON text.
            (Self.sql("SELECT CAST('" + deep + "' AS JSON) AS v"), 400,
             #"{"error":"There was a problem performing this search. Please check the logs and try again."}"#),
        ])
    }

    @Test func deepJSONataExpressionsAndRunawayRecursionAreRefused() async throws {
        let nested = String(repeating: "(", count: 10_000) + "1" + String(repeating: ")", count: 10_000)
        let sum = "1" + String(repeating: "+1", count: 100_000)
        let runaway = "($f := function($n) { $f($n + 1) }; $f(0))"
        try await expectAnswered([nested, sum, runaway].map { expression in
            (Self.sql("SELECT SEARCH_JSON('\(expression)', name) AS v FROM dev.dog"), 400, nil)
        })
    }

    @Test func deeplyNestedConditionGroupsAreRefusedNamingTheLimit() async throws {
        var group = #"{"attribute":"id","comparator":"equals","value":1}"#
        for _ in 0..<150 { group = #"{"operator":"and","conditions":[\#(group)]}"# }
        let body = #"{"operation":"search_by_conditions","database":"dev","table":"dog","get_attributes":["name"],"conditions":[\#(group)]}"#
        var shallow = #"{"attribute":"id","comparator":"equals","value":1}"#
        for _ in 0..<50 { shallow = #"{"operator":"and","conditions":[\#(shallow)]}"# }
        let ok = #"{"operation":"search_by_conditions","database":"dev","table":"dog","get_attributes":["name"],"conditions":[\#(shallow)]}"#
        try await expectAnswered([
            (body, 400, #"{"error":"Condition groups nested too deeply (limit 100)"}"#),
            (ok, 200, #"[{"name":"Penny"}]"#),
        ])
    }

    @Test func deeplyNestedGeometryCollectionsAreNotGeometries() async throws {
        var geometry = #"{"type":"Point","coordinates":[0,0]}"#
        for _ in 0..<200 { geometry = #"{"type":"GeometryCollection","geometries":[\#(geometry)]}"# }
        // Answered as any other invalid geometry is.
        let invalid = #"{"type":"GeometryCollection","geometries":[{"type":"Nope"}]}"#
        try await expectAnswered([
            (Self.sql("SELECT geoArea('\(invalid)') AS a"), 200, "[{}]"),
            (Self.sql("SELECT geoArea('\(geometry)') AS a"), 200, "[{}]"),
        ])
    }

    @Test func recordsAsDeepAsTheJSONLimitRoundTripThroughEveryReader() async throws {
        // The deepest value the JSON reader accepts inside an insert (the body's object, the
        // records array and the record take three of its 512 levels), inserted, then read
        // back by id, by SQL and through the index; one level more is refused.
        let depth = 509
        let deep = String(repeating: "[", count: depth) + "1" + String(repeating: "]", count: depth)
        let tooDeepPrefix = #"{"operation":"insert","database":"dev","table":"dog","records":[{"id":3,"deep":"#
        try await expectAnswered([
            (#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":2,"deep":\#(deep)}]}"#, 200,
             #"{"message":"inserted 1 of 1 records","inserted_hashes":[2],"skipped_hashes":[]}"#),
            (#"{"operation":"search_by_id","database":"dev","table":"dog","ids":[2],"get_attributes":["deep"]}"#, 200,
             #"[{"deep":\#(deep)}]"#),
            (Self.sql("SELECT deep FROM dev.dog WHERE id = 2"), 200, #"[{"deep":\#(deep)}]"#),
            (#"{"operation":"search_by_value","database":"dev","table":"dog","search_attribute":"deep","search_value":"*","get_attributes":["id"]}"#, 200,
             #"[{"id":1},{"id":2}]"#),
            (tooDeepPrefix + "[" + deep + "]}]}", 400,
             #"{"error":"Maximum nesting depth of 512 exceeded in JSON at position \#(tooDeepPrefix.utf8.count + depth)"}"#),
        ])
    }

    @Test func aConfigurationValueTooDeepForTheFileIsRefusedAndNothingWritten() async throws {
        let root = TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let lyre = try await LyreProcess(root: root, port: LyreProcess.freePort())
        defer { lyre.terminate() }
        let before = try await lyre.post(#"{"operation":"get_configuration"}"#)
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        let response = try await lyre.post(#"{"operation":"set_configuration","databases":[{"dev":{"path":\#(deep)}}]}"#)
        #expect(response.status == 400)
        #expect(response.text == #"{"error":"HarperDB config file validation error: a value is nested too deeply (limit 64)"}"#)
        let after = try await lyre.post(#"{"operation":"get_configuration"}"#)
        #expect(after.text == before.text)
    }

    @Test func aConfigurationFileNestedTooDeeplyStopsTheStartOnOneLine() throws {
        let root = TestApplication.temporaryRoot()
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let deep = String(repeating: "[", count: 900) + String(repeating: "]", count: 900)
        try ("logging:\n  level: warn\nextra: " + deep + "\n").write(toFile: root + "/harperdb-config.yaml", atomically: true, encoding: .utf8)
        let run = try CLITests.lyre(["run", "--root", root, "--port", "0"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("nested too deeply (limit 64)"), "\(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
    }
}
