import Foundation
import LyreCore
import LyreTestSupport
import Testing

/// Requests whose per-row work grew with the request's size (session 12): each took over a
/// minute on 20,000 rows in a debug build and answers in about a second now. No timing is
/// asserted; a regression runs into the suite's time limit.
@Suite struct SuperlinearRegressionTests {
    static let rows = 20_000
    static let items = 10_000

    static func sql(_ text: String) -> String {
        JSON.string(.object(JSONObject([("operation", .string("sql")), ("sql", .string(text))])))
    }

    /// A server with `dev.t`: `id` 0..<20,000, `x` = 2·id (indexed), `s` = "v<id>".
    static func withTable(_ body: (LyreProcess) async throws -> Void) async throws {
        let root = TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let lyre = try await LyreProcess(root: root, port: LyreProcess.freePort())
        defer { lyre.terminate() }
        _ = try await lyre.post(#"{"operation":"create_table","database":"dev","table":"t","primary_key":"id"}"#)
        for start in stride(from: 0, to: rows, by: 5_000) {
            let records = (start..<start + 5_000).map { #"{"id":\#($0),"x":\#($0 * 2),"s":"v\#($0)"}"# }
            let inserted = try await lyre.post(#"{"operation":"insert","database":"dev","table":"t","records":[\#(records.joined(separator: ","))]}"#)
            #expect(inserted.status == 200, "\(inserted)")
        }
        try await body(lyre)
    }

    @Test func longINListsAndORChainsAreOneLookupPerRow() async throws {
        // Every third number: 3,334 ids below 10,000 are multiples of 3; x = 2·id is a multiple
        // of 3 for every third id, of the first 15,000 ids (x < 30,000).
        let multiples = (0..<Self.items).map { String($0 * 3) }
        let list = multiples.joined(separator: ",")
        let strings = (0..<Self.items).map { "'v\($0 * 3)'" }.joined(separator: ",")
        try await Self.withTable { lyre in
            for (text, answer) in [
                ("SELECT COUNT(*) AS c FROM dev.t WHERE id IN (\(list))", #"[{"c":6667}]"#),
                ("SELECT COUNT(*) AS c FROM dev.t WHERE id NOT IN (\(list))", #"[{"c":13333}]"#),
                ("SELECT COUNT(*) AS c FROM dev.t WHERE s IN (\(strings))", #"[{"c":6667}]"#),
                // Strings and numbers do not equal each other; 1.0 is 1.
                ("SELECT COUNT(*) AS c FROM dev.t WHERE s IN (\(list), 'v1.0') OR id IN ('03', 1.0)", #"[{"c":1}]"#),
                ("SELECT COUNT(*) AS c FROM dev.t WHERE " + multiples.map { "x = \($0)" }.joined(separator: " OR "), #"[{"c":5000}]"#),
                ("SELECT COUNT(*) AS c FROM dev.t WHERE NOT (" + multiples.map { "s = 'v\($0)'" }.joined(separator: " OR ") + ")", #"[{"c":13333}]"#),
            ] {
                let response = try await lyre.post(Self.sql(text))
                #expect(response.status == 200 && response.text == answer, "\(text.prefix(80)): \(response)")
            }
        }
    }

    @Test func manyConditionsOnOneAttributeAndRepeatedGetAttributes() async throws {
        func conditions(_ comparator: String) -> String {
            (0..<Self.items).map { #"{"attribute":"x","comparator":"\#(comparator)","value":\#($0 * 3)}"# }.joined(separator: ",")
        }
        try await Self.withTable { lyre in
            let any = try await lyre.post(#"{"operation":"search_by_conditions","database":"dev","table":"t","operator":"or","get_attributes":["id"],"limit":2,"conditions":[\#(conditions("equals"))]}"#)
            #expect(any.text == #"[{"id":0},{"id":3}]"#, "\(any)")
            let none = try await lyre.post(#"{"operation":"search_by_conditions","database":"dev","table":"t","operator":"and","get_attributes":["id"],"offset":14998,"conditions":[\#(conditions("not_equal"))]}"#)
            #expect(none.text == #"[{"id":19998},{"id":19999}]"#, "\(none)")
            // A key once per record, at its first place, however often it is asked for.
            let names = (Array(repeating: #""s""#, count: Self.items) + [#""id""#, #""s""#]).joined(separator: ",")
            let repeated = try await lyre.post(#"{"operation":"search_by_value","database":"dev","table":"t","search_attribute":"id","search_value":"*","get_attributes":[\#(names)],"offset":19998}"#)
            #expect(repeated.text == #"[{"s":"v19998","id":19998},{"s":"v19999","id":19999}]"#, "\(repeated)")
        }
    }
}
