import LyreCore
import LyreTestSupport
import Testing

/// The seed walkthrough (spec/walkthrough.md), with Harper's exact responses.
@Suite struct WalkthroughTests {
    @Test func firstFiveSteps() async throws {
        let lyre = try await TestServer()

        let step1 = await lyre.post(#"{ "operation": "create_database", "database": "dev" }"#)
        #expect(step1.status == 200)
        #expect(step1.text == #"{"message":"database 'dev' successfully created"}"#)

        let step2 = await lyre.post(#"{ "operation": "create_table", "database": "dev", "table": "dog", "primary_key": "id" }"#)
        #expect(step2.status == 200)
        #expect(step2.text == #"{"message":"table 'dev.dog' successfully created."}"#)

        let step3 = await lyre.post(#"""
            { "operation": "insert", "database": "dev", "table": "dog",
              "records": [ { "id": 1, "dog_name": "Penny", "owner_name": "Kyle", "breed_id": 154, "age": 7, "weight_lbs": 38 } ] }
            """#)
        #expect(step3.status == 200)
        #expect(step3.text == #"{"message":"inserted 1 of 1 records","inserted_hashes":[1],"skipped_hashes":[]}"#)

        let step4 = await lyre.post(#"{ "operation": "search_by_id", "database": "dev", "table": "dog", "ids": [1], "get_attributes": ["dog_name", "owner_name"] }"#)
        #expect(step4.status == 200)
        #expect(step4.text == #"[{"dog_name":"Penny","owner_name":"Kyle"}]"#)

        let step5 = await lyre.post(#"{ "operation": "update", "database": "dev", "table": "dog", "records": [ { "id": 1, "dog_name": "Penny B" } ] }"#)
        #expect(step5.status == 200)
        #expect(step5.text == #"{"message":"updated 1 of 1 records","update_hashes":[1],"skipped_hashes":[]}"#)

        // Only the named attributes change.
        let after = await lyre.post(#"{ "operation": "search_by_id", "database": "dev", "table": "dog", "ids": [1], "get_attributes": ["dog_name", "owner_name", "age"] }"#)
        #expect(after.text == #"[{"dog_name":"Penny B","owner_name":"Kyle","age":7}]"#)
    }
}
