import LyreCore
import LyreTestSupport
import Testing

/// nosql.md §1–7.2 replayed with the spec's requests and exact responses.
@Suite struct RecordConformanceTests {
    private func dogs() async throws -> TestServer {
        let lyre = try await TestServer()
        _ = await lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#)
        return lyre
    }

    @Test func insertReportsWrittenAndSkippedKeysInRequestOrder() async throws {
        let lyre = try await dogs()
        let r = await lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":8,"dog_name":"Bruno","breed_id":12,"age":4},{"id":9,"dog_name":"Maple","breed_id":31,"age":2}]}"#)
        #expect(r.text == #"{"message":"inserted 2 of 2 records","inserted_hashes":[8,9],"skipped_hashes":[]}"#)
        let dup = await lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":212},{"id":212},{"id":8}]}"#)
        #expect(dup.text == #"{"message":"inserted 1 of 3 records","inserted_hashes":[212],"skipped_hashes":[212,8]}"#)
    }

    @Test func typesOfKeysAreSignificant() async throws {
        let lyre = try await dogs()
        let r = await lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":1},{"id":"1"},{"id":"011"},{"id":11}]}"#)
        #expect(r.text == #"{"message":"inserted 4 of 4 records","inserted_hashes":[1,"1","011",11],"skipped_hashes":[]}"#)
        let found = await lyre.post(#"{"operation":"search_by_id","database":"dev","table":"dog","ids":["1",11,"11"],"get_attributes":["id"]}"#)
        #expect(found.text == #"[{"id":"1"},{"id":11}]"#)
    }

    @Test func generatedKeysAreIntegers() async throws {
        let lyre = try await dogs()
        let r = await lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"name":"Luna"},{"id":null,"name":"Rex"}]}"#)
        #expect(r.text == #"{"message":"inserted 2 of 2 records","inserted_hashes":[1,2],"skipped_hashes":[]}"#)
    }

    @Test func storedValuesComeBackUnchanged() async throws {
        let lyre = try await dogs()
        _ = await lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":1,"address":{"house":30,"street":"South St"},"tags":["a",2,true],"zero":0,"no":false,"nothing":null,"empty":"","space":" ","pi":3.25,"text":"line\nbreak \"quoted\" é 😀"}]}"#)
        let r = await lyre.post(#"{"operation":"search_by_id","database":"dev","table":"dog","ids":[1],"get_attributes":["address","tags","zero","no","nothing","empty","space","pi","text"]}"#)
        #expect(r.text == #"[{"address":{"house":30,"street":"South St"},"tags":["a",2,true],"zero":0,"no":false,"nothing":null,"empty":"","space":" ","pi":3.25,"text":"line\nbreak \"quoted\" é 😀"}]"#)
        // An attribute another record has is returned as null where missing (inferred).
        _ = await lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":2}]}"#)
        #expect(await lyre.post(#"{"operation":"search_by_id","database":"dev","table":"dog","ids":[2],"get_attributes":["id","pi"]}"#).text
            == #"[{"id":2,"pi":null}]"#)
    }

    @Test func timestampsAreKeptByTheServer() async throws {
        let lyre = try await dogs()
        _ = await lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":1,"__createdtime__":5,"__updatedtime__":6}]}"#)
        let r = await lyre.post(#"{"operation":"search_by_id","database":"dev","table":"dog","ids":[1],"get_attributes":["__createdtime__","__updatedtime__"]}"#).json
        let created = try #require(r[0]?["__createdtime__"]?.doubleValue)
        #expect(created > 1_700_000_000_000)
        #expect(r[0]?["__updatedtime__"]?.doubleValue == created)
    }

    @Test func updateMergesAndSkipsMissingKeys() async throws {
        let lyre = try await dogs()
        _ = await lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":1,"weight_lbs":50,"name":"A"},{"id":2,"weight_lbs":30}]}"#)
        let r = await lyre.post(#"{"operation":"update","database":"dev","table":"dog","records":[{"id":1,"weight_lbs":55},{"id":100,"owner":"Kim"}]}"#)
        #expect(r.text == #"{"message":"updated 1 of 2 records","update_hashes":[1],"skipped_hashes":[100]}"#)
        let after = await lyre.post(#"{"operation":"search_by_id","database":"dev","table":"dog","ids":[1,100],"get_attributes":["id","weight_lbs","name"]}"#)
        #expect(after.text == #"[{"id":1,"weight_lbs":55,"name":"A"}]"#)
        let noKey = await lyre.post(#"{"operation":"update","database":"dev","table":"dog","records":[{"id":2,"a":1},{"weight_lbs":1}]}"#)
        #expect(noKey.status == 400)
        #expect(noKey.text == #"{"error":"a valid hash attribute must be provided with update record, check log for more info"}"#)
        // Nothing of the rejected batch was written: not even its new attribute.
        #expect(await lyre.post(#"{"operation":"search_by_id","database":"dev","table":"dog","ids":[2],"get_attributes":["a"]}"#).text == #"{"error":"unknown attribute 'a'"}"#)
    }

    @Test func upsertHasNoSkippedHashes() async throws {
        let lyre = try await dogs()
        _ = await lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":8,"name":"Bruno"},{"id":10,"name":"x"}]}"#)
        let r = await lyre.post(#"{"operation":"upsert","database":"dev","table":"dog","records":[{"id":8,"weight_lbs":40},{"id":10,"name":"Rex","age":3},{"name":"Luna","age":5}]}"#)
        #expect(r.text == #"{"message":"upserted 3 of 3 records","upserted_hashes":[8,10,11]}"#)
        #expect(await lyre.post(#"{"operation":"search_by_id","database":"dev","table":"dog","ids":[8],"get_attributes":["name","weight_lbs"]}"#).text
            == #"[{"name":"Bruno","weight_lbs":40}]"#)
    }

    @Test func deleteMessagesUseSingularForOne() async throws {
        let lyre = try await dogs()
        _ = await lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":1},{"id":2},{"id":3}]}"#)
        #expect(await lyre.post(#"{"operation":"delete","database":"dev","table":"dog","ids":[1,2]}"#).text
            == #"{"message":"2 of 2 records successfully deleted","deleted_hashes":[1,2],"skipped_hashes":[]}"#)
        #expect(await lyre.post(#"{"operation":"delete","database":"dev","table":"dog","hash_values":[3]}"#).text
            == #"{"message":"1 of 1 record successfully deleted","deleted_hashes":[3],"skipped_hashes":[]}"#)
        #expect(await lyre.post(#"{"operation":"delete","database":"dev","table":"dog","ids":[3]}"#).text
            == #"{"message":"0 of 1 record successfully deleted","deleted_hashes":[],"skipped_hashes":[3]}"#)
        #expect(await lyre.post(#"{"operation":"delete","database":"dev","table":"dog","ids":[]}"#).text
            == #"{"message":"0 of 0 records successfully deleted","deleted_hashes":[],"skipped_hashes":[]}"#)
        #expect(await lyre.post(#"{"operation":"delete","database":"dev","table":"dog"}"#).text == #"{"error":"'hash_values' is required"}"#)
        #expect(await lyre.post(#"{"operation":"delete","database":"dev","table":"dog","ids":4}"#).text == #"{"error":"'hash_values' must be an array"}"#)
        #expect(await lyre.post(#"{"operation":"delete","database":"dev","table":"cat","ids":[1]}"#).status == 404)
    }

    @Test(arguments: [
        (#"{"operation":"insert","database":"dev","table":"dog"}"#, 400, "'records' is required"),
        (#"{"operation":"insert","database":"dev","records":[]}"#, 400, "'table' is required"),
        (#"{"operation":"insert","database":"dev","table":"dog","records":{}}"#, 400, "'records' must be an array"),
        (#"{"operation":"insert","database":"dev","table":"dog","records":[1]}"#, 400, "'records[0]' must be of type object"),
        (#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":1,"":2}]}"#, 400, "Invalid attribute name: ''"),
        (#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":1,"null":2,"undefined":3}]}"#, 400, "Invalid attribute name: 'null'. Invalid attribute name: 'undefined'"),
        (#"{"operation":"insert","database":"nope","table":"dog","records":[{"id":1}]}"#, 400, "database 'nope' does not exist"),
        (#"{"operation":"insert","database":"dev","table":"cat","records":[{"id":1}]}"#, 400, "Table 'dev.cat' does not exist"),
        (#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":"null"}]}"#, 400, "Invalid hash value: 'null' is not a valid hash attribute value, check log for more info"),
        (#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":1,"a/b":2}]}"#, 400, "Attribute names cannot include backticks or forward slashes"),
        (#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":1,"   ":2}]}"#, 400, "transaction aborted due to record(s) with an attribute name that is null, undefined or empty string"),
        (#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":true}]}"#, 400, "Invalid primary key type: boolean"),
        (#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":{"a":1}}]}"#, 400, "Invalid primary key type: object"),
    ])
    func writeValidationWritesNothing(request: String, status: Int, message: String) async throws {
        let lyre = try await dogs()
        // A valid record first in the same batch: the whole batch must be refused.
        let r = await lyre.post(request)
        #expect(r.status == status)
        #expect(r.json["error"] == .string(message))
        let count = await lyre.post(#"{"operation":"describe_table","database":"dev","table":"dog"}"#).json["record_count"]
        #expect(count == 0)
    }

    @Test func aBatchWithOneBadRecordWritesNothing() async throws {
        let lyre = try await dogs()
        let r = await lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":1,"ok":true},{"id":2,"bad`name":1}]}"#)
        #expect(r.status == 400)
        let table = await lyre.post(#"{"operation":"describe_table","database":"dev","table":"dog"}"#).json
        #expect(table["record_count"] == 0)
        // Nor did it add the attributes of its good records.
        #expect(table["attributes"]?.arrayValue?.count == 3)
        let big = await lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":3},{"id":""# + String(repeating: "k", count: 700) + #""}]}"#)
        #expect(big.status == 400)
        #expect(big.json["error"]?.stringValue?.hasPrefix("Primary key size is too large: ") == true)
        #expect(await lyre.post(#"{"operation":"search_by_id","database":"dev","table":"dog","ids":[3],"get_attributes":["id"]}"#).text == "[]")
    }

    @Test func searchByIDOrderAndErrors() async throws {
        let lyre = try await dogs()
        _ = await lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":1,"dog_name":"Rosie","breed_id":154},{"id":2,"dog_name":"Scout","breed_id":346}]}"#)
        #expect(await lyre.post(#"{"operation":"search_by_hash","schema":"dev","table":"dog","hash_values":[2,1,77],"get_attributes":["dog_name","breed_id"],"hash_attribute":"id"}"#).text
            == #"[{"dog_name":"Scout","breed_id":346},{"dog_name":"Rosie","breed_id":154}]"#)
        #expect(await lyre.post(#"{"operation":"search_by_id","database":"dev","table":"dog","ids":[77],"get_attributes":["*"]}"#).text == "[]")
        let star = await lyre.post(#"{"operation":"search_by_id","database":"dev","table":"dog","ids":[1],"get_attributes":["*"]}"#).json
        #expect(star[0]?.objectValue?.keys == ["id", "__createdtime__", "__updatedtime__", "dog_name", "breed_id"])
        let cases: [(String, Int, String)] = [
            (#"{"operation":"search_by_id","database":"dev","table":"dog","get_attributes":["*"]}"#, 400, "'hash_values' is required"),
            (#"{"operation":"search_by_id","database":"dev","table":"dog","ids":4,"get_attributes":["*"]}"#, 400, "'hash_values' must be an array"),
            (#"{"operation":"search_by_id","database":"dev","table":"dog","ids":[{"a":1}],"get_attributes":["*"]}"#, 400, "'hash_values' must be strings or numbers"),
            (#"{"operation":"search_by_id","database":"dev","table":"dog","ids":[1]}"#, 400, "'get_attributes' is required"),
            (#"{"operation":"search_by_id","database":"dev","table":"dog","ids":[1],"get_attributes":"*"}"#, 400, "'get_attributes' must be an array"),
            (#"{"operation":"search_by_id","database":"dev","table":"dog","ids":[1],"get_attributes":[]}"#, 400, "'get_attributes' must contain at least 1 item"),
            (#"{"operation":"search_by_id","database":"dev","ids":[1],"get_attributes":["*"]}"#, 400, "'table' is required"),
            (#"{"operation":"search_by_id","database":"dev","table":"dog","ids":[1],"get_attributes":["nope"]}"#, 400, "unknown attribute 'nope'"),
            (#"{"operation":"search_by_id","database":"dev","table":"dog","ids":[1],"get_attributes":["a","b","c"]}"#, 400, "unknown attribute 'a, b and c'"),
            (#"{"operation":"search_by_id","database":"callABC","table":"dog","ids":[1],"get_attributes":["*"]}"#, 404, "database 'callABC' does not exist"),
            (#"{"operation":"search_by_id","database":"dev","table":"aggrABC","ids":[1],"get_attributes":["*"]}"#, 404, "Table 'dev.aggrABC' does not exist"),
            (#"{"operation":"search_by_id","database":"dev","table":"dog"}"#, 400, "'hash_values' is required. 'get_attributes' is required"),
        ]
        for (request, status, message) in cases {
            let r = await lyre.post(request)
            #expect(r.status == status, "\(request)")
            #expect(r.json["error"] == .string(message), "\(request)")
        }
    }

    @Test func systemTablesAreProtected() async throws {
        let lyre = try await TestServer()
        let job = await lyre.post(#"{"operation":"insert","database":"system","table":"hdb_job","records":[{"id":"x"}]}"#)
        #expect(job.status == 403)
        #expect(job.text == #"{"error":"This operation is not authorized due to role restrictions and/or invalid database items","unauthorized_access":[{"schema":"system","table":"hdb_job","required_table_permissions":["insert"],"required_attribute_permissions":[]}],"invalid_schema_items":[]}"#)
        let update = await lyre.post(#"{"operation":"update","database":"system","table":"hdb_info","records":[{"info_id":"x"}]}"#)
        #expect(update.status == 403)
        #expect(update.json["error"] == "The 'system' database, tables and records are used internally by HarperDB and cannot be updated or removed.")
        // A super user may read system tables (passwords are hashed).
        let users = await lyre.post(#"{"operation":"search_by_id","database":"system","table":"hdb_user","ids":["admin"],"get_attributes":["username","active","password"]}"#).json
        #expect(users[0]?["username"] == "admin")
        #expect(users[0]?["password"]?.stringValue?.hasPrefix("pbkdf2-sha256$") == true)
    }

    @Test func requestShapeErrors() async throws {
        let lyre = try await TestServer()
        #expect(await lyre.post("").text == #"{"error":"Invalid JSON."}"#)
        #expect(await lyre.post("[]").text == #"{"error":"Invalid JSON."}"#)
        #expect(await lyre.post("{}").text == #"{"error":"Invalid JSON."}"#)
        #expect(await lyre.post(#"{"table":"x"}"#).text == #"{"error":"Request body must include an 'operation' property."}"#)
        #expect(await lyre.post(#"{"operation":""}"#).status == 400)
        let bad = await lyre.post(#"{"operation": "#)
        #expect(bad.status == 400)
        let unknown = await lyre.post(#"{"operation":"create_backup"}"#)
        #expect(unknown.status == 400)
        #expect(unknown.text == #"{"error":"Operation 'create_backup' not found"}"#)
        // Authentication comes before the operation lookup.
        let anonymous = await lyre.post(#"{"operation":"create_backup"}"#, authorization: nil)
        #expect(anonymous.status == 401)
        #expect(anonymous.text == #"{"error":"Must login"}"#)
        let wrong = await lyre.post(#"{"operation":"describe_all"}"#, authorization: TestApplication.basic("admin", "nope"))
        #expect(wrong.text == #"{"error":"Login failed"}"#)
        let nobody = await lyre.post(#"{"operation":"describe_all"}"#, authorization: TestApplication.basic("nobody", "nope"))
        #expect(nobody.text == #"{"error":"Login failed"}"#)
        // Harper's quirk: body credentials without an Authorization header.
        let body = await lyre.post(#"{"operation":"describe_all","username":"admin","password":"password"}"#, authorization: nil)
        #expect(body.status == 200)
    }
}
