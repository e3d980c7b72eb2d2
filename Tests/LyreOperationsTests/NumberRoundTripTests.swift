import LyreCore
import LyreTestSupport
import Testing

/// Numbers through insert → storage → search_by_id and SQL, printed as Harper (JavaScript's
/// `JSON.stringify` of what `JSON.parse` made of them) prints them, except integers that
/// fit an Int64, which Lyre keeps exact (docs/compatibility.md, "Numbers").
@Suite struct NumberRoundTripTests {
    static func numbersTable() async throws -> TestApplication {
        let lyre = try TestApplication()
        #expect(await lyre.post(#"{"operation":"create_table","database":"dev","table":"n","primary_key":"id"}"#).status == 200)
        let insert = await lyre.post(#"""
            {"operation":"insert","database":"dev","table":"n","records":[{"id":1,
             "beyond53":9007199254740993,"beyond53AsDouble":9007199254740993.0,"huge":1e300,"negativeZero":-0.0,
             "negativeZeroInteger":-0,"beyondInt64":123456789012345678901234567890,"int64Max":9223372036854775807,
             "pastInt64Max":9223372036854775808,"max":1.7976931348623157e308,"tiny":5e-324,"overflow":1e400,
             "e21":1e21,"belowE21":123456789012345680000,"fraction":0.1,"sum":0.30000000000000004,"exponent":1.5e-7}]}
            """#)
        #expect(insert.status == 200, "\(insert)")
        return lyre
    }

    @Test func searchByIDPrintsStoredNumbersAsJavaScriptExceptExactInt64Integers() async throws {
        let lyre = try await Self.numbersTable()
        let found = await lyre.post(#"""
            {"operation":"search_by_id","database":"dev","table":"n","ids":[1],"get_attributes":["beyond53","beyond53AsDouble",
             "huge","negativeZero","negativeZeroInteger","beyondInt64","int64Max","pastInt64Max","max","tiny","overflow","e21",
             "belowE21","fraction","sum","exponent"]}
            """#)
        #expect(found.text == #"""
            [{"beyond53":9007199254740993,"beyond53AsDouble":9007199254740992,"huge":1e+300,"negativeZero":0,\#
            "negativeZeroInteger":0,"beyondInt64":1.2345678901234568e+29,"int64Max":9223372036854775807,\#
            "pastInt64Max":9223372036854776000,"max":1.7976931348623157e+308,"tiny":5e-324,"overflow":null,"e21":1e+21,\#
            "belowE21":123456789012345680000,"fraction":0.1,"sum":0.30000000000000004,"exponent":1.5e-7}]
            """#)
    }

    @Test func largeAndNegativeZeroPrimaryKeysAreFoundByTheNumberJavaScriptWouldParse() async throws {
        let lyre = try TestApplication()
        #expect(await lyre.post(#"{"operation":"create_table","database":"dev","table":"k","primary_key":"id"}"#).status == 200)
        let insert = await lyre.post(#"{"operation":"insert","database":"dev","table":"k","records":[{"id":123456789012345678901234567890,"v":"big"},{"id":-0.0,"v":"zero"},{"id":1e300,"v":"huge"}]}"#)
        #expect(insert.text.contains(#""inserted_hashes":[1.2345678901234568e+29,0,1e+300]"#), "\(insert)")
        // Any text of the same double finds the record, as in JavaScript.
        let big = await lyre.post(#"{"operation":"search_by_id","database":"dev","table":"k","ids":[1.2345678901234568e29],"get_attributes":["id","v"]}"#)
        #expect(big.text == #"[{"id":1.2345678901234568e+29,"v":"big"}]"#)
        let zero = await lyre.post(#"{"operation":"search_by_id","database":"dev","table":"k","ids":[0],"get_attributes":["id","v"]}"#)
        #expect(zero.text == #"[{"id":0,"v":"zero"}]"#)
        let huge = await lyre.post(#"{"operation":"search_by_id","database":"dev","table":"k","ids":[1e+300],"get_attributes":["id","v"]}"#)
        #expect(huge.text == #"[{"id":1e+300,"v":"huge"}]"#)
    }

    @Test func sqlPrintsTheSameNumbers() async throws {
        let lyre = try await Self.numbersTable()
        let selected = await lyre.post(#"{"operation":"sql","sql":"SELECT beyond53, huge, negativeZero, beyondInt64, pastInt64Max, tiny, e21, exponent FROM dev.n"}"#)
        #expect(selected.text == #"""
            [{"beyond53":9007199254740993,"huge":1e+300,"negativeZero":0,"beyondInt64":1.2345678901234568e+29,"pastInt64Max":9223372036854776000,\#
            "tiny":5e-324,"e21":1e+21,"exponent":1.5e-7}]
            """#)
        // Literals follow the same rule (sql.md §3.5 has Harper's `123456789012345678` →
        // `123456789012345680`; Lyre keeps an Int64 literal exact, docs/compatibility.md).
        let literals = await lyre.post(#"{"operation":"sql","sql":"SELECT 123456789012345678 AS exact, 123456789012345678.0 AS double, 1e300 AS huge"}"#)
        #expect(literals.text == #"[{"exact":123456789012345678,"double":123456789012345680,"huge":1e+300}]"#)
    }
}
