import LyreCore
import LyreTestSupport
import Testing

/// sql.md §12 replayed over HTTP against the real server, with exact JSON where the spec gives it.
@Suite struct SQLConformanceTests {
    static let setup = [
        #"{"operation":"create_database","database":"conf"}"#,
        #"{"operation":"create_table","database":"conf","table":"pet","primary_key":"id"}"#,
        #"{"operation":"create_table","database":"conf","table":"owner","primary_key":"id"}"#,
        #"{"operation":"create_table","database":"conf","table":"empty","primary_key":"id"}"#,
        #"{"operation":"insert","database":"conf","table":"pet","records":[{"id":1,"name":"Rex","species":"dog","age":3,"weight":12.5,"owner_id":10,"tags":["good","loud"],"vaccinated":true},{"id":2,"name":"Tom","species":"cat","age":7,"weight":4.2,"owner_id":11,"vaccinated":false},{"id":3,"name":"bubbles","species":"fish","age":1,"weight":0.1,"owner_id":10},{"id":4,"name":"Luna","species":"cat","age":null,"weight":3.9,"owner_id":12,"meta":{"color":"black"}},{"id":5,"name":"Zed","species":"dog","age":11,"weight":30,"owner_id":99}]}"#,
        #"{"operation":"insert","database":"conf","table":"owner","records":[{"id":10,"name":"Ana","city":"Lima"},{"id":11,"name":"Ben","city":"Oslo"},{"id":12,"name":"Cai","city":"Lima"},{"id":13,"name":"Dee","city":null}]}"#,
    ]

    static func server() async throws -> TestServer {
        let lyre = try await TestServer()
        for request in setup {
            let r = await lyre.post(request)
            #expect(r.status == 200, "\(request): \(r)")
        }
        return lyre
    }

    static func sql(_ lyre: TestServer, _ text: String) async -> TestResponse {
        await lyre.post(.object(JSONObject([("operation", "sql"), ("sql", .string(text))])))
    }

    /// The statement cases live in `LyreOperationsTests/Resources/statements/*.test` (run
    /// in-process by `SQLStatementTests`); here a few go through the real server's HTTP path.
    @Test func statementsOverHTTP() async throws {
        let lyre = try await Self.server()
        let cases: [(String, Int, String)] = [
            ("SELECT id, name FROM conf.pet ORDER BY id", 200, #"[{"id":1,"name":"Rex"},{"id":2,"name":"Tom"},{"id":3,"name":"bubbles"},{"id":4,"name":"Luna"},{"id":5,"name":"Zed"}]"#),
            ("SELECT p.name AS pet, o.name AS owner FROM conf.pet p LEFT JOIN conf.owner o ON p.owner_id = o.id WHERE p.id = 5", 200, #"[{"pet":"Zed","owner":null}]"#),
            ("SELECT ROUND(AVG(weight), 2) AS avg_w FROM conf.pet", 200, #"[{"avg_w":10.14}]"#),
            ("SELECT Name FROM conf.pet", 400, #"{"error":"unknown column Name"}"#),
            ("SELECT id FROM conf.nope", 404, #"{"error":"Table 'conf.nope' does not exist"}"#),
        ]
        for (text, status, body) in cases {
            let r = await Self.sql(lyre, text)
            #expect(r.status == status && r.text == body, "\(text) → \(r)")
        }
        let missing = await lyre.post(#"{"operation":"sql"}"#)
        #expect(missing.status == 400 && missing.text == #"{"error":"The 'sql' parameter is missing from the request body"}"#)
        let anon = await Self.sql(lyre, "INSERT INTO conf.pet (name) VALUES ('Anon')")
        #expect(anon.json["message"] == "inserted 1 of 1 records")
        #expect(anon.json["inserted_hashes"]?.arrayValue?.count == 1)
    }

    /// Geo results are Harper's to the last digit (turf.js on V8's math), also where the C
    /// library's sin/cos/atan2 would change it (glibc: 12238.95036992048, 7604.9311830910483,
    /// 16592.700554481959, and a distance of exactly 4364.91214886648, so `near` true).
    @Test func geoDigitsOverHTTP() async throws {
        let lyre = try await TestServer()
        let r = await Self.sql(lyre, #"SELECT geoDistance('[-58.6869,56.5061]', '[46.6953,-13.9513]') AS km, geoDistance('[-58.6869,56.5061]', '[46.6953,-13.9513]', 'miles') AS mi, geoLength('{"type":"LineString","coordinates":[[72.1471,-87.8998],[-75.9506,-52.5418],[-58.6869,56.5061]]}') AS len, geoNear('[72.1471,-87.8998]', '[-75.9506,-52.5418]', 4364.91214886648) AS near"#)
        #expect(r.status == 200)
        #expect(r.text == #"[{"km":12238.950369920478,"mi":7604.931183091047,"len":16592.700554481962,"near":false}]"#)
    }

    @Test func walkthroughSelectStar() async throws {
        let lyre = try await TestServer()
        _ = await lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#)
        _ = await lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":1,"dog_name":"Penny","owner_name":"Kyle","age":7,"weight_lbs":38,"breed_id":154},{"id":2,"dog_name":"Harper","owner_name":"Stephen","age":7,"weight_lbs":55,"breed_id":346}]}"#)
        let r = await Self.sql(lyre, "SELECT * FROM dev.dog WHERE id = 1")
        #expect(r.status == 200)
        let row = try #require(r.json[0]?.objectValue)
        #expect(row.keys == ["id", "__createdtime__", "__updatedtime__", "dog_name", "owner_name", "age", "weight_lbs", "breed_id"])
        #expect(row["dog_name"] == "Penny" && row["owner_name"] == "Kyle" && row["age"] == 7 && row["breed_id"] == 154)
        #expect(r.json.arrayValue?.count == 1)
    }
}
