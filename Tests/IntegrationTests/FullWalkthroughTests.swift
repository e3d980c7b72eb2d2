import Foundation
import LyreCore
import LyreTestSupport
import Testing

/// spec/walkthrough.md, all nine steps, against the real `lyre` binary: the tour a
/// newcomer runs first. Exact texts where the walkthrough gives them.
@Suite(.serialized) struct FullWalkthroughTests {
    @Test func allNineSteps() async throws {
        let root = TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var lyre = try await LyreProcess(root: root, port: LyreProcess.freePort())
        defer { lyre.terminate() }

        // 1–5.
        #expect(try await lyre.post(#"{ "operation": "create_database", "database": "dev" }"#).text
            == #"{"message":"database 'dev' successfully created"}"#)
        #expect(try await lyre.post(#"{ "operation": "create_table", "database": "dev", "table": "dog", "primary_key": "id" }"#).text
            == #"{"message":"table 'dev.dog' successfully created."}"#)
        #expect(try await lyre.post(#"{ "operation": "insert", "database": "dev", "table": "dog", "records": [ { "id": 1, "dog_name": "Penny", "owner_name": "Kyle", "breed_id": 154, "age": 7, "weight_lbs": 38 } ] }"#).text
            == #"{"message":"inserted 1 of 1 records","inserted_hashes":[1],"skipped_hashes":[]}"#)
        #expect(try await lyre.post(#"{ "operation": "search_by_id", "database": "dev", "table": "dog", "ids": [1], "get_attributes": ["dog_name", "owner_name"] }"#).text
            == #"[{"dog_name":"Penny","owner_name":"Kyle"}]"#)
        let sql = try await lyre.post(#"{ "operation": "sql", "sql": "SELECT * FROM dev.dog WHERE id = 1" }"#)
        #expect(sql.status == 200)
        let row = try #require(sql.json.arrayValue?.first)
        for (key, value) in [("id", Value.int(1)), ("dog_name", "Penny"), ("owner_name", "Kyle"), ("age", 7), ("weight_lbs", 38), ("breed_id", 154)] {
            #expect(row[key] == value, "\(key)")
        }
        #expect(row["__createdtime__"]?.isNumber == true)
        let byValue = try await lyre.post(#"{ "operation": "search_by_value", "database": "dev", "table": "dog", "search_attribute": "owner_name", "search_value": "Kyle", "get_attributes": ["id"] }"#)
        #expect(byValue.text == #"[{"id":1}]"#)
        #expect(try await lyre.post(#"{ "operation": "update", "database": "dev", "table": "dog", "records": [ { "id": 1, "dog_name": "Penny B" } ] }"#).text
            == #"{"message":"updated 1 of 1 records","update_hashes":[1],"skipped_hashes":[]}"#)
        #expect(try await lyre.post(#"{ "operation": "search_by_id", "database": "dev", "table": "dog", "ids": [1], "get_attributes": ["dog_name", "age", "owner_name"] }"#).text
            == #"[{"dog_name":"Penny B","age":7,"owner_name":"Kyle"}]"#)

        // 6. Jobs and logs.
        let load = try await lyre.post(#"{ "operation": "csv_data_load", "database": "dev", "table": "dog", "action": "insert", "data": "id,dog_name,age\n2,Rex,3\n3,Luna,5\n" }"#)
        let jobID = try #require(load.json["job_id"]?.stringValue)
        #expect(load.json["message"] == .string("Starting job with id \(jobID)"))
        var status: Value?
        for _ in 0..<200 {
            let job = try await lyre.post(#"{ "operation": "get_job", "id": "\#(jobID)" }"#)
            status = job.json[0]?["status"]
            if status == "COMPLETE" || status == "ERROR" { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(status == "COMPLETE")
        let logs = try await lyre.post(#"{ "operation": "read_log", "limit": 100, "level": "error" }"#)
        #expect(logs.status == 200)
        #expect(logs.json.arrayValue != nil)

        // 7. Configuration and restart: the server answers again, with the new configuration and all data.
        let set = try await lyre.post(#"{ "operation": "set_configuration", "logging_level": "trace", "clustering_enabled": true }"#)
        #expect(set.status == 200)
        #expect(set.json["message"]?.stringValue?.hasPrefix("Configuration successfully set.") == true)
        let restart = try await lyre.post(#"{ "operation": "restart" }"#)
        #expect(restart.text == #"{"message":"Restarting HarperDB. This may take up to 60 seconds."}"#)
        #expect(restart.header("Connection") == "close")
        var answered = false
        for _ in 0..<40 {
            try await Task.sleep(for: .milliseconds(50))
            if let again = try? await lyre.post(#"{ "operation": "get_configuration" }"#), again.status == 200 {
                #expect(again.json["logging"]?["level"] == "trace")
                #expect(again.json["clustering"]?["enabled"] == true)
                answered = true
                break
            }
        }
        #expect(answered, "the server must answer again within 2 seconds of a restart")
        #expect(try await lyre.post(#"{ "operation": "search_by_id", "database": "dev", "table": "dog", "ids": [1, 2, 3], "get_attributes": ["id"] }"#).text
            == #"[{"id":1},{"id":2},{"id":3}]"#)

        // 8. Security, with the guide's exact role (no `attribute_permissions`).
        let role = try await lyre.post(#"{ "operation": "add_role", "role": "developer", "permission": { "dev": { "tables": { "dog": { "read": true, "insert": true, "update": true, "delete": false } } } } }"#)
        #expect(role.status == 200)
        #expect(try await lyre.post(#"{ "operation": "add_user", "role": "developer", "username": "hdb_user", "password": "password", "active": true }"#).text
            == #"{"message":"hdb_user successfully added"}"#)
        let tokens = try await lyre.post(#"{ "operation": "create_authentication_tokens", "username": "hdb_user", "password": "password" }"#)
        let token = try #require(tokens.json["operation_token"]?.stringValue)
        #expect(tokens.json["refresh_token"]?.stringValue != nil)
        let bearer = "Bearer \(token)"
        let read = try await lyre.post(#"{ "operation": "search_by_id", "database": "dev", "table": "dog", "ids": [1], "get_attributes": ["dog_name"] }"#, authorization: bearer)
        #expect(read.text == #"[{"dog_name":"Penny B"}]"#)
        let inserted = try await lyre.post(#"{ "operation": "insert", "database": "dev", "table": "dog", "records": [ { "id": 4, "dog_name": "Max" } ] }"#, authorization: bearer)
        #expect(inserted.text == #"{"message":"inserted 1 of 1 records","inserted_hashes":[4],"skipped_hashes":[]}"#)
        let refused = try await lyre.post(#"{ "operation": "delete", "database": "dev", "table": "dog", "ids": [1] }"#, authorization: bearer)
        #expect(refused.status == 403)
        #expect(try await lyre.post(#"{ "operation": "search_by_id", "database": "dev", "table": "dog", "ids": [1], "get_attributes": ["id"] }"#).text == #"[{"id":1}]"#)

        // 9. Advanced operations.
        let backup = try await lyre.post(#"{ "operation": "get_backup", "database": "dev" }"#)
        #expect(backup.status == 200)
        #expect(backup.header("Content-Type") == "application/octet-stream")
        #expect(backup.body.count > 0)
        let audit = try await lyre.post(#"{ "operation": "read_audit_log", "database": "dev", "table": "dog" }"#)
        let operations = audit.json.arrayValue?.compactMap { $0["operation"]?.stringValue } ?? []
        #expect(operations.contains("insert"))
        #expect(operations.contains("update"))
        #expect(try await lyre.post(#"{ "operation": "set_license", "key": "abc-123", "company": "Lyre Inc" }"#).text
            == #"{"message":"Wrote license key file.  Registration successful."}"#)
        #expect(try await lyre.post(#"{ "operation": "registration_info" }"#).json["registered"] == true)

        // And the data is still there after a real restart of the process.
        lyre.terminate()
        lyre = try await LyreProcess(root: root, port: LyreProcess.freePort())
        #expect(try await lyre.post(#"{ "operation": "sql", "sql": "SELECT id, dog_name FROM dev.dog ORDER BY id" }"#).text
            == #"[{"id":1,"dog_name":"Penny B"},{"id":2,"dog_name":"Rex"},{"id":3,"dog_name":"Luna"},{"id":4,"dog_name":"Max"}]"#)
    }
}
