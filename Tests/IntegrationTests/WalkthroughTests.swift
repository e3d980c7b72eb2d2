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

    /// Step 8 with the getting-started guide's exact `add_role` JSON, which has no
    /// `attribute_permissions` (accepted as no attribute restrictions, docs/compatibility.md):
    /// the developer reads and inserts, and is refused a delete that then removes nothing.
    @Test func stepEightExactlyAsTheGuide() async throws {
        let lyre = try await TestServer()
        _ = await lyre.post(#"{ "operation": "create_database", "database": "dev" }"#)
        _ = await lyre.post(#"{ "operation": "create_table", "database": "dev", "table": "dog", "primary_key": "id" }"#)
        _ = await lyre.post(#"{ "operation": "insert", "database": "dev", "table": "dog", "records": [ { "id": 1, "dog_name": "Penny", "owner_name": "Kyle" } ] }"#)

        let role = await lyre.post(#"""
            { "operation": "add_role", "role": "developer",
              "permission": { "dev": { "tables": { "dog": { "read": true, "insert": true, "update": true, "delete": false } } } } }
            """#)
        #expect(role.status == 200, "\(role)")
        #expect(role.json.objectValue?.keys == ["role", "permission", "id", "__updatedtime__", "__createdtime__"])
        #expect(role.json["permission"].map(JSON.string) == #"{"dev":{"tables":{"dog":{"read":true,"insert":true,"update":true,"delete":false}}}}"#)
        let user = await lyre.post(#"{ "operation": "add_user", "role": "developer", "username": "hdb_user", "password": "password", "active": true }"#)
        #expect(user.text == #"{"message":"hdb_user successfully added"}"#)
        let tokens = await lyre.post(#"{ "operation": "create_authentication_tokens", "username": "hdb_user", "password": "password" }"#,
                                     authorization: nil)
        let bearer = "Bearer " + (try #require(tokens.json["operation_token"]?.stringValue))
        #expect(tokens.json["refresh_token"]?.stringValue != nil)

        let read = await lyre.post(#"{ "operation": "search_by_id", "database": "dev", "table": "dog", "ids": [1], "get_attributes": ["dog_name", "owner_name"] }"#,
                                   authorization: bearer)
        #expect(read.text == #"[{"dog_name":"Penny","owner_name":"Kyle"}]"#)
        let star = await lyre.post(#"{ "operation": "search_by_id", "database": "dev", "table": "dog", "ids": [1], "get_attributes": ["*"] }"#,
                                   authorization: bearer)
        #expect(star.json[0]?.objectValue?.keys == ["id", "__createdtime__", "__updatedtime__", "dog_name", "owner_name"])
        let insert = await lyre.post(#"{ "operation": "insert", "database": "dev", "table": "dog", "records": [ { "id": 2, "dog_name": "Rex" } ] }"#,
                                     authorization: bearer)
        #expect(insert.text == #"{"message":"inserted 1 of 1 records","inserted_hashes":[2],"skipped_hashes":[]}"#)
        let delete = await lyre.post(#"{ "operation": "delete", "database": "dev", "table": "dog", "ids": [1] }"#, authorization: bearer)
        #expect(delete.status == 403)
        #expect(delete.text == TestApplication.refusal(access: "[" + TestApplication.tableRefusal("dev", "dog", table: ["delete"]) + "]"))
        #expect(await lyre.post(#"{ "operation": "search_by_id", "database": "dev", "table": "dog", "ids": [1, 2], "get_attributes": ["id"] }"#).text
            == #"[{"id":1},{"id":2}]"#)
    }
}
