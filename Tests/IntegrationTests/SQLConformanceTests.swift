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
        // turf's circle (destination points: asin, atan2) as Node computes it; with the C
        // library 4 of the 64 vertices differ in the last digit.
        let circle = await Self.sql(lyre, "SELECT geoCircle('[2.3522,48.8566]', 5) AS c")
        let ring = try #require(circle.json[0]?["c"]?["geometry"]?["coordinates"]?[0])
        #expect(JSON.string(ring) == #"[[2.3522,48.90156601818623],[2.3454952159573823,48.90134930027313],[2.3388551755939595,48.90070123925237],[2.332343992402489,48.89962809290911],[2.3260245258302117,48.89814022318865],[2.3199577700034415,48.89625199536501],[2.314202261151153,48.89398163829628],[2.3088135096341147,48.89135106716648],[2.3038434622126713,48.888385670487274],[2.299339999852273,48.88511406348593],[2.29534647597621,48.881567810335916],[2.291901299635319,48.877781117989855],[2.2890375675809307,48.87379050464781],[2.28678274870667,48.869634446134334],[2.2851584237737907,48.865353003664545],[2.2841800827607655,48.860987436648536],[2.283856981587797,48.85657980431614],[2.2841920593679474,48.85217256003757],[2.2851819167353478,48.84780814227045],[2.286816855204018,48.843528566079804],[2.2890809769241023,48.83937501915591],[2.2919523436314937,48.835387466195236],[2.2954031930368406,48.831604265413944],[2.2994002103752798,48.82806180083346],[2.303904852342912,48.82479413381402],[2.308873720183312,48.82183267711785],[2.3142589782601775,48.81920589456081],[2.3200088140628474,48.81693902906166],[2.326067935241823,48.81505386162508],[2.332378098963067,48.81356850349989],[2.3388786686039107,48.81249722344057],[2.3455071925907554,48.81185031167191],[2.3522,48.81163398181378],[2.358892807409244,48.81185031167191],[2.365521331396089,48.81249722344057],[2.3720219010369323,48.81356850349989],[2.378332064758176,48.81505386162508],[2.3843911859371523,48.81693902906166],[2.3901410217398222,48.81920589456081],[2.3955262798166874,48.82183267711785],[2.4004951476570873,48.82479413381402],[2.4049997896247195,48.82806180083346],[2.4089968069631587,48.831604265413944],[2.4124476563685056,48.835387466195236],[2.4153190230758974,48.83937501915591],[2.4175831447959815,48.843528566079804],[2.419218083264652,48.84780814227045],[2.4202079406320522,48.85217256003757],[2.4205430184122023,48.85657980431614],[2.4202199172392342,48.860987436648536],[2.4192415762262085,48.865353003664545],[2.417617251293329,48.869634446134334],[2.4153624324190686,48.87379050464781],[2.4124987003646807,48.877781117989855],[2.4090535240237894,48.881567810335916],[2.405060000147726,48.88511406348593],[2.4005565377873284,48.888385670487274],[2.395586490365885,48.89135106716648],[2.3901977388488467,48.89398163829628],[2.384442229996558,48.89625199536501],[2.3783754741697876,48.89814022318865],[2.372056007597511,48.89962809290911],[2.36554482440604,48.90070123925237],[2.358904784042617,48.90134930027313],[2.3522,48.90156601818623]]"#)
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
