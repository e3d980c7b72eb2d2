import LyreCore
import LyreTestSupport
import Testing

/// databases-and-tables.md §4–6, replayed with the spec's requests and exact responses.
@Suite struct SchemaConformanceTests {
    @Test func createDatabaseAndItsAlias() async throws {
        let lyre = try await TestServer()
        #expect(await lyre.post(#"{"operation":"create_database","database":"dev"}"#).text == #"{"message":"database 'dev' successfully created"}"#)
        #expect(await lyre.post(#"{"operation":"create_schema","schema":"dev2"}"#).text == #"{"message":"database 'dev2' successfully created"}"#)
        let again = await lyre.post(#"{"operation":"create_database","database":"dev"}"#)
        #expect(again.status == 400)
        #expect(again.text == #"{"error":"database 'dev' already exists"}"#)
        let system = await lyre.post(#"{"operation":"create_database","database":"system"}"#)
        #expect(system.text == #"{"error":"database 'system' already exists"}"#)
        let number = await lyre.post(#"{"operation":"create_schema","schema":1123}"#)
        #expect(number.status == 400)
        #expect(number.text == #"{"error":"'schema' must be a string"}"#)
    }

    @Test(arguments: [
        (#""""#, "'database' is not allowed to be empty"),
        (#""a/b""#, "'database' names cannot include backticks or forward slashes"),
        (#""a`b""#, "'database' names cannot include backticks or forward slashes"),
        (#""caf\u00e9""#, "'database' names cannot include backticks or forward slashes"),
        ("\"" + String(repeating: "x", count: 251) + "\"", "'database' length must be less than or equal to 250 characters long"),
    ])
    func namingRules(name: String, message: String) async throws {
        let lyre = try await TestServer()
        let r = await lyre.post(#"{"operation":"create_database","database":"# + name + "}")
        #expect(r.status == 400)
        #expect(r.json["error"] == .string(message))
    }

    @Test func unusualButValidNames() async throws {
        let lyre = try await TestServer()
        #expect(await lyre.post(#"{"operation":"create_database","database":"h*rper%1"}"#).status == 200)
        #expect(await lyre.post(#"{"operation":"create_table","database":"h*rper%1","table":"4","primary_key":"id"}"#).text
            == #"{"message":"table 'h*rper%1.4' successfully created."}"#)
        // Tables may be addressed by number.
        #expect(await lyre.post(#"{"operation":"insert","database":"h*rper%1","table":4,"records":[{"id":1}]}"#).status == 200)
    }

    @Test func dropDatabase() async throws {
        let lyre = try await TestServer()
        _ = await lyre.post(#"{"operation":"create_database","database":"dev"}"#)
        #expect(await lyre.post(#"{"operation":"drop_database","database":"dev"}"#).text == #"{"message":"successfully deleted 'dev'"}"#)
        let missing = await lyre.post(#"{"operation":"drop_database","database":"dev"}"#)
        #expect(missing.status == 404)
        #expect(missing.text == #"{"error":"database 'dev' does not exist"}"#)
        let none = await lyre.post(#"{"operation":"drop_schema"}"#)
        #expect(none.status == 400)
        #expect(none.text == #"{"error":"'database' is required"}"#)
        let system = await lyre.post(#"{"operation":"drop_database","database":"system"}"#)
        #expect(system.status == 403)
        #expect(system.text == #"{"error":"The 'system' database, tables and records are used internally by HarperDB and cannot be updated or removed."}"#)
    }

    @Test func createTableRulesAndImplicitDatabase() async throws {
        let lyre = try await TestServer()
        #expect(await lyre.post(#"{"operation":"create_table","table":"dog","primary_key":"id"}"#).text
            == #"{"message":"table 'data.dog' successfully created."}"#)
        // The database is created implicitly.
        #expect(await lyre.post(#"{"operation":"create_table","database":"new","table":"cat","hash_attribute":"id"}"#).status == 200)
        #expect(await lyre.post(#"{"operation":"describe_database","database":"new"}"#).status == 200)
        let exists = await lyre.post(#"{"operation":"create_table","table":"dog","primary_key":"id"}"#)
        #expect(exists.status == 400)
        #expect(exists.text == #"{"error":"Table 'dog' already exists in 'data'"}"#)
        #expect(await lyre.post(#"{"operation":"create_table","primary_key":"id"}"#).text == #"{"error":"'table' is required"}"#)
        #expect(await lyre.post(#"{"operation":"create_table","table":"x"}"#).text == #"{"error":"'primary_key' is required"}"#)
        #expect(await lyre.post(#"{"operation":"create_table","table":"x","primary_key":5}"#).text == #"{"error":"'primary_key' must be a string"}"#)
        let numbers = await lyre.post(#"{"operation":"create_table","database":1123,"table":1,"primary_key":"id"}"#)
        #expect(numbers.status == 400)
        #expect(numbers.json["error"]?.stringValue?.contains("'schema' must be a string. 'table' must be a string") == true)
        let residence = await lyre.post(#"{"operation":"create_table","table":"r","primary_key":"id","residence":["a"]}"#)
        #expect(residence.text == #"{"error":"Clustering does not appear to be enabled. Cannot insert table with property 'residence'."}"#)
    }

    @Test func describeTableShape() async throws {
        let lyre = try await TestServer()
        _ = await lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#)
        let empty = await lyre.post(#"{"operation":"describe_table","database":"dev","table":"dog"}"#)
        let dbSize = try #require(empty.json["db_size"]?.intValue)
        #expect(dbSize > 0)
        #expect(empty.text == #"{"schema":"dev","name":"dog","hash_attribute":"id","audit":true,"schema_defined":false,"attributes":[{"attribute":"id","indexed":true,"is_primary_key":true},{"attribute":"__createdtime__","indexed":true},{"attribute":"__updatedtime__","indexed":true}],"db_size":\#(dbSize),"record_count":0,"table_size":0,"db_audit_size":0}"#)
        _ = await lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":1,"dog_name":"Penny"}]}"#)
        let described = await lyre.post(#"{"operation":"describe_table","database":"dev","table":"dog"}"#).json
        #expect(described["record_count"] == 1)
        #expect(described["attributes"]?.arrayValue?.last == ["attribute": "dog_name", "indexed": true])
        #expect(described["last_updated_record"]?.isNumber == true)
        let missingTable = await lyre.post(#"{"operation":"describe_table","database":"dev","table":"blahh"}"#)
        #expect(missingTable.status == 404)
        #expect(missingTable.text == #"{"error":"Table 'dev.blahh' does not exist"}"#)
        let missingDB = await lyre.post(#"{"operation":"describe_table","database":"blahh","table":"x"}"#)
        #expect(missingDB.text == #"{"error":"database 'blahh' does not exist"}"#)
        #expect(await lyre.post(#"{"operation":"describe_table","database":"dev"}"#).text == #"{"error":"'table' is required"}"#)
        #expect(await lyre.post(#"{"operation":"describe_table","table":5}"#).text == #"{"error":"'table' must be a string"}"#)
    }

    /// Harper 4.x's `db_size`, `table_size` and `db_audit_size`, in bytes, from LMDB's page counts:
    /// the same figures `system_information` reports for the table and the database.
    @Test func describeSizes() async throws {
        let lyre = try await TestServer()
        _ = await lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#)
        _ = await lyre.post(#"{"operation":"create_table","database":"dev","table":"cat","primary_key":"id"}"#)
        let records = (1...300).map { #"{"id":\#($0),"name":"dog number \#($0) with a longer name"}"# }.joined(separator: ",")
        _ = await lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[\#(records)]}"#)
        // A search reads the index, so index changes waiting in the backlog are written first.
        _ = await lyre.post(#"{"operation":"search_by_value","database":"dev","table":"dog","search_attribute":"name","search_value":"dog*"}"#)
        let dog = await lyre.post(#"{"operation":"describe_table","database":"dev","table":"dog"}"#).json
        #expect(dog.objectValue?.keys == ["schema", "name", "hash_attribute", "audit", "schema_defined", "attributes", "db_size",
                                          "record_count", "table_size", "db_audit_size", "last_updated_record"])
        let info = await lyre.post(#"{"operation":"system_information","attributes":["table_size","metrics"]}"#).json
        let row = try #require(info["table_size"]?.arrayValue?.first { $0["table"] == "dog" })
        let tableSize = try #require(dog["table_size"]?.intValue)
        #expect(tableSize > 300 * 30 && tableSize % 4096 == 0)
        #expect(dog["table_size"] == row["table_size"])
        #expect(dog["db_audit_size"] == row["transaction_log_size"] && (dog["db_audit_size"]?.intValue ?? 0) > 0)
        #expect(dog["db_size"] == info["metrics"]?["dev"]?["size"])
        // The database's figures repeat on each of its tables, in every describe operation.
        let cat = await lyre.post(#"{"operation":"describe_table","database":"dev","table":"cat"}"#).json
        #expect(cat["table_size"] == 0 && cat["db_size"] == dog["db_size"] && cat["db_audit_size"] == dog["db_audit_size"])
        let database = await lyre.post(#"{"operation":"describe_database","database":"dev"}"#).json
        let all = await lyre.post(#"{"operation":"describe_all"}"#).json
        for described in [database["dog"], all["dev"]?["dog"]] {
            for key in ["db_size", "table_size", "db_audit_size"] { #expect(described?[key] == dog[key], "\(key)") }
        }
    }

    /// A role that is not super user may not describe `system`: 403 before the request's
    /// parameters are looked at (a missing or mistyped `table` does not answer first).
    @Test func systemMetadataIsRefusedFirst() async throws {
        let lyre = try await TestServer()
        _ = await lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#)
        let reader = try await lyre.lyre.addUser("reader", password: "pw", role: "reader",
                                                 permission: #"{"dev":{"tables":{"dog":{"read":true,"insert":false,"update":false,"delete":false}}}}"#)
        let refusal = TestApplication.refusal(access: #"["Your role does not have permission to view database metadata for 'system'"]"#)
        for request in [
            #"{"operation":"describe_table","database":"system"}"#,
            #"{"operation":"describe_table","schema":"system","table":5}"#,
            #"{"operation":"describe_table","database":"system","table":"hdb_user","exact_count":"yes"}"#,
            #"{"operation":"describe_schema","schema":"system"}"#,
            #"{"operation":"describe_database","database":"system","exact_count":"yes"}"#,
        ] {
            let r = await lyre.post(request, authorization: reader)
            #expect(r.status == 403, "\(request)")
            #expect(r.text == refusal, "\(request)")
        }
        // Super users still get the validation errors, and their own tables.
        #expect(await lyre.post(#"{"operation":"describe_table","database":"system"}"#).text == #"{"error":"'table' is required"}"#)
        #expect(await lyre.post(#"{"operation":"describe_table","database":"dev","table":"dog"}"#, authorization: reader).status == 200)
    }

    @Test func describeAllAndDatabase() async throws {
        let lyre = try await TestServer()
        #expect(await lyre.post(#"{"operation":"describe_all"}"#).text == #"{"data":{}}"#)
        _ = await lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#)
        let all = await lyre.post(#"{"operation":"describe_all"}"#).json
        #expect(all.objectValue?.keys == ["data", "dev"])
        #expect(all["dev"]?["dog"]?["name"] == "dog")
        #expect(all["system"] == nil)
        #expect(await lyre.post(#"{"operation":"describe_database","database":"data"}"#).text == "{}")
        let missing = await lyre.post(#"{"operation":"describe_schema","schema":"blahh"}"#)
        #expect(missing.status == 404)
        #expect(missing.text == #"{"error":"database 'blahh' does not exist"}"#)
        #expect(await lyre.post(#"{"operation":"describe_database","database":"dev","exact_count":"yes"}"#).text
            == #"{"error":"'exact_count' must be a boolean"}"#)
        // Super users may describe the system database explicitly.
        let system = await lyre.post(#"{"operation":"describe_database","database":"system"}"#).json
        #expect(system["hdb_user"]?["hash_attribute"] == "username")
        #expect(system["hdb_role"]?["hash_attribute"] == "id")
    }

    @Test func dropTable() async throws {
        let lyre = try await TestServer()
        _ = await lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#)
        _ = await lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":1}]}"#)
        #expect(await lyre.post(#"{"operation":"drop_table","database":"dev","table":"dog"}"#).text == #"{"message":"successfully deleted table 'dev.dog'"}"#)
        let again = await lyre.post(#"{"operation":"drop_table","database":"dev","table":"dog"}"#)
        #expect(again.status == 404)
        #expect(again.text == #"{"error":"Table 'dev.dog' does not exist"}"#)
        let system = await lyre.post(#"{"operation":"drop_table","database":"system","table":"hdb_user"}"#)
        #expect(system.status == 403)
        // Re-creating the table starts empty.
        _ = await lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#)
        #expect(await lyre.post(#"{"operation":"search_by_id","database":"dev","table":"dog","ids":[1],"get_attributes":["*"]}"#).text == "[]")
    }

    @Test func createAndDropAttribute() async throws {
        let lyre = try await TestServer()
        _ = await lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#)
        #expect(await lyre.post(#"{"operation":"create_attribute","database":"dev","table":"dog","attribute":"is_adorable"}"#).text
            == #"{"message":"attribute 'dev.dog.is_adorable' successfully created."}"#)
        let again = await lyre.post(#"{"operation":"create_attribute","database":"dev","table":"dog","attribute":"is_adorable"}"#)
        #expect(again.status == 400)
        #expect(again.text == #"{"error":"attribute 'is_adorable' already exists in dev.dog"}"#)
        #expect(await lyre.post(#"{"operation":"create_attribute","database":"dev","table":"dog","attribute":"a/b"}"#).text
            == #"{"error":"Attribute names cannot include backticks or forward slashes"}"#)
        #expect(await lyre.post(#"{"operation":"create_attribute","database":"dev","table":"nope","attribute":"x"}"#).status == 404)
        _ = await lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":1,"is_adorable":true,"name":"Penny"}]}"#)
        #expect(await lyre.post(#"{"operation":"drop_attribute","database":"dev","table":"dog","attribute":"is_adorable"}"#).text
            == #"{"message":"successfully deleted attribute 'is_adorable'"}"#)
        #expect(await lyre.post(#"{"operation":"search_by_id","database":"dev","table":"dog","ids":[1],"get_attributes":["*"]}"#).json[0]?["is_adorable"] == nil)
        #expect(await lyre.post(#"{"operation":"drop_attribute","database":"dev","table":"dog","attribute":"id"}"#).text
            == #"{"error":"You cannot drop a hash attribute"}"#)
        #expect(await lyre.post(#"{"operation":"drop_attribute","database":"dev","table":"dog","attribute":"__createdtime__"}"#).text
            == #"{"error":"cannot drop internal timestamp attribute: __createdtime__"}"#)
        #expect(await lyre.post(#"{"operation":"drop_attribute","database":"dev","table":"dog"}"#).text == #"{"error":"'attribute' is required"}"#)
        // Dropping an attribute that is not defined succeeds (inferred).
        #expect(await lyre.post(#"{"operation":"drop_attribute","database":"dev","table":"dog","attribute":"ghost"}"#).status == 200)
    }
}

extension Value {
    subscript(index: Int) -> Value? {
        guard case .array(let a) = self, a.indices.contains(index) else { return nil }
        return a[index]
    }
}
