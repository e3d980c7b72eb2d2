import LyreCore
import LyreTestSupport
import Testing

@Suite struct StatusTests {
    @Test func setGetClearAndEmptyObjectWhenUnsetInferred() async throws {
        let h = try Harness()
        let set = await h.post(#"{"operation":"set_status","id":"primary","status":"active"}"#)
        #expect(set.status == 200)
        #expect(set.json.objectValue?.keys == ["id", "status", "__createdtime__", "__updatedtime__"])
        #expect(set.json.withoutTimes == (try JSON.parse(#"{"id":"primary","status":"active"}"#)))
        _ = await h.post(#"{"operation":"set_status","id":"maintenance","status":"scheduled"}"#)
        let one = await h.post(#"{"operation":"get_status","id":"primary"}"#)
        #expect(one.json.withoutTimes == (try JSON.parse(#"{"id":"primary","status":"active"}"#)))
        let all = await h.post(#"{"operation":"get_status"}"#)
        #expect(all.json.withoutTimes == (try JSON.parse(#"[{"id":"primary","status":"active"},{"id":"maintenance","status":"scheduled"}]"#)))
        let cleared = await h.post(#"{"operation":"clear_status","id":"primary"}"#)
        #expect(cleared.text == #"{"message":"Status successfully cleared"}"#)
        let gone = await h.post(#"{"operation":"get_status","id":"primary"}"#)
        #expect(gone.text == "{}")
    }

    @Test func defaultIdIsPrimary() async throws {
        let h = try Harness()
        let set = await h.post(#"{"operation":"set_status","status":"up"}"#)
        #expect(set.json["id"] == "primary")
    }

    @Test func validation() async throws {
        let h = try Harness()
        let cases: [(String, String)] = [
            (#""id":"other","status":"x""#, "'id' must be one of [primary, maintenance, availability]"),
            (#""id":"primary""#, "'status' is required"),
            (#""id":"primary","status":"\#(String(repeating: "a", count: 513))""#, "'status' length must be less than or equal to 512 characters long"),
            (#""id":"availability","status":"Maybe""#, #"Status "availability" only accepts these values: Available, Unavailable"#),
        ]
        for (fields, message) in cases {
            let r = await h.post(#"{"operation":"set_status",\#(fields)}"#)
            #expect(r.status == 400)
            #expect(r.json == .object(JSONObject([("error", .string(message))])))
        }
        #expect(await h.post(#"{"operation":"set_status","id":"availability","status":"Available"}"#).status == 200)
    }
}
