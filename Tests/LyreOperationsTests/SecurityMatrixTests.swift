import LyreCore
import LyreTestSupport
import Testing

/// Every role shape × every data operation registered today, with exact refusals
/// (security.md §6.2, §7). Search and SQL operations call the same hooks
/// (`Authorization.checkTable`, `Authorization.readableAttributes`) and can join the matrix.
@Suite struct SecurityMatrixTests {
    enum Shape: String, CaseIterable, Sendable {
        case superUser, readOnly, noDelete, attributeRestricted, noPermissions

        var permission: String {
            switch self {
            case .superUser: #"{"super_user": true}"#
            case .readOnly: #"{"dev": {"tables": {"dog": {"read": true, "insert": false, "update": false, "delete": false, "attribute_permissions": []}}}}"#
            case .noDelete: #"{"dev": {"tables": {"dog": {"read": true, "insert": true, "update": true, "delete": false, "attribute_permissions": []}}}}"#
            case .attributeRestricted: #"""
                {"dev": {"tables": {"dog": {"read": true, "insert": true, "update": true, "delete": true, "attribute_permissions": [
                  {"attribute_name": "name", "read": true, "insert": true, "update": true},
                  {"attribute_name": "age", "read": true, "insert": false, "update": false}]}}}}
                """#
            case .noPermissions: #"{"super_user": false}"#
            }
        }
    }

    static let dogDenied = TestApplication.refusal(invalid: #"["database 'dev' does not exist"]"#)
    static func tableDenied(_ rights: String...) -> String {
        TestApplication.refusal(access: "[" + TestApplication.tableRefusal("dev", "dog", table: rights) + "]")
    }

    /// A root with `dev.dog` (id 1 Penny) and a hidden `dev.cat`, and a user of the given shape.
    static func setUp(_ shape: Shape) async throws -> (TestApplication, String) {
        let lyre = try TestApplication()
        for step in [
            #"{"operation": "create_database", "database": "dev"}"#,
            #"{"operation": "create_table", "database": "dev", "table": "dog", "primary_key": "id"}"#,
            #"{"operation": "create_table", "database": "dev", "table": "cat", "primary_key": "id"}"#,
            #"{"operation": "insert", "database": "dev", "table": "dog", "records": [{"id": 1, "name": "Penny", "age": 7, "owner": "Kyle"}]}"#,
        ] {
            let r = await lyre.post(step)
            guard r.status == 200 else { throw TestFailure("\(step): \(r)") }
        }
        let auth = try await lyre.addUser("u_\(shape.rawValue)", password: "pw", role: "r_\(shape.rawValue)", permission: shape.permission)
        return (lyre, auth)
    }

    /// What an operation answers: status and exact body, or just the status for allowed writes.
    struct Expected: Sendable {
        var status: Int
        var body: String?
    }

    static func check(_ lyre: TestApplication, _ auth: String, _ op: String, _ expected: Expected,
                      sourceLocation: SourceLocation = #_sourceLocation) async {
        let r = await lyre.post(op, authorization: auth)
        #expect(r.status == expected.status, "\(op) → \(r)", sourceLocation: sourceLocation)
        if let body = expected.body { #expect(r.text == body, "\(op)", sourceLocation: sourceLocation) }
    }

    static let insert = #"{"operation": "insert", "database": "dev", "table": "dog", "records": [{"id": 2, "name": "Rex"}]}"#
    static let update = #"{"operation": "update", "database": "dev", "table": "dog", "records": [{"id": 1, "name": "Penny B"}]}"#
    static let upsert = #"{"operation": "upsert", "database": "dev", "table": "dog", "records": [{"id": 3, "name": "Ace"}]}"#
    static let search = #"{"operation": "search_by_id", "database": "dev", "table": "dog", "ids": [1], "get_attributes": ["name", "age"]}"#
    static let delete = #"{"operation": "delete", "database": "dev", "table": "dog", "ids": [1]}"#
    static let describeTable = #"{"operation": "describe_table", "database": "dev", "table": "dog"}"#
    static let describeDatabase = #"{"operation": "describe_database", "database": "dev"}"#

    static func expectations(_ shape: Shape) -> [(String, Expected)] {
        let ok = Expected(status: 200)
        switch shape {
        case .superUser, .attributeRestricted:
            return [(insert, ok), (update, ok), (upsert, ok),
                    (search, Expected(status: 200, body: #"[{"name":"Penny B","age":7}]"#)),
                    (describeTable, ok), (describeDatabase, ok), (delete, ok)]
        case .readOnly:
            return [(insert, Expected(status: 403, body: tableDenied("insert"))),
                    (update, Expected(status: 403, body: tableDenied("update"))),
                    (upsert, Expected(status: 403, body: tableDenied("insert", "update"))),
                    (search, Expected(status: 200, body: #"[{"name":"Penny","age":7}]"#)),
                    (describeTable, ok), (describeDatabase, ok),
                    (delete, Expected(status: 403, body: tableDenied("delete")))]
        case .noDelete:
            return [(insert, ok), (update, ok), (upsert, ok),
                    (search, Expected(status: 200, body: #"[{"name":"Penny B","age":7}]"#)),
                    (describeTable, ok), (describeDatabase, ok),
                    (delete, Expected(status: 403, body: tableDenied("delete")))]
        case .noPermissions:
            return [(insert, Expected(status: 403, body: dogDenied)), (update, Expected(status: 403, body: dogDenied)),
                    (upsert, Expected(status: 403, body: dogDenied)), (search, Expected(status: 403, body: dogDenied)),
                    (describeTable, Expected(status: 403, body: TestApplication.refusal(invalid: #"["Table 'dev.dog' does not exist"]"#))),
                    (describeDatabase, Expected(status: 403, body: dogDenied)),
                    (delete, Expected(status: 403, body: dogDenied))]
        }
    }

    @Test(arguments: Shape.allCases)
    func dataOperations(shape: Shape) async throws {
        let (lyre, auth) = try await Self.setUp(shape)
        for (op, expected) in Self.expectations(shape) {
            await Self.check(lyre, auth, op, expected)
        }
        // A refused write wrote nothing; an allowed one did.
        let after = await lyre.post(#"{"operation": "search_by_id", "database": "dev", "table": "dog", "ids": [2, 3], "get_attributes": ["id"]}"#)
        let wrote = shape != .readOnly && shape != .noPermissions
        #expect(after.text == (wrote ? #"[{"id":2},{"id":3}]"# : "[]"))
    }

    @Test(arguments: Shape.allCases)
    func describeIsFiltered(shape: Shape) async throws {
        let (lyre, auth) = try await Self.setUp(shape)
        let all = await lyre.post(#"{"operation": "describe_all"}"#, authorization: auth)
        #expect(all.status == 200)
        let dev = all.json["dev"]
        switch shape {
        case .superUser:
            #expect(dev?.objectValue?.keys == ["cat", "dog"])
        case .noPermissions:
            #expect(all.text == "{}")
        default:
            #expect(dev?.objectValue?.keys == ["dog"])
        }
        let table = await lyre.post(Self.describeTable, authorization: auth)
        let attributes = table.json["attributes"]?.arrayValue?.compactMap { $0["attribute"]?.stringValue }
        switch shape {
        case .attributeRestricted: #expect(Set(attributes ?? []) == ["id", "name", "age"])
        case .noPermissions: #expect(table.status == 403)
        default: #expect(Set(attributes ?? []).isSuperset(of: ["id", "name", "age", "owner"]))
        }
        let system = await lyre.post(#"{"operation": "describe_database", "database": "system"}"#, authorization: auth)
        if shape == .superUser {
            #expect(system.status == 200)
        } else {
            #expect(system.status == 403)
            #expect(system.text == TestApplication.refusal(access: #"["Your role does not have permission to view database metadata for 'system'"]"#))
        }
    }

    @Test func attributeLevelRefusals() async throws {
        let (lyre, auth) = try await Self.setUp(.attributeRestricted)
        let r = await lyre.post(#"{"operation": "insert", "database": "dev", "table": "dog", "records": [{"id": 5, "name": "Bo", "age": 2, "owner": "Ann"}]}"#, authorization: auth)
        #expect(r.status == 403)
        #expect(r.text == TestApplication.refusal(
            access: "[" + TestApplication.tableRefusal("dev", "dog", table: [],
                attributes: #"[{"attribute_name":"age","required_permissions":["insert"]}]"#) + "]",
            invalid: #"["Attribute 'owner' does not exist on 'dev.dog'"]"#))
        let nothing = await lyre.post(#"{"operation": "search_by_id", "database": "dev", "table": "dog", "ids": [5], "get_attributes": ["id"]}"#)
        #expect(nothing.text == "[]")

        let upsert = await lyre.post(#"{"operation": "upsert", "database": "dev", "table": "dog", "records": [{"id": 1, "age": 8}]}"#, authorization: auth)
        #expect(upsert.text == TestApplication.refusal(access: "[" + TestApplication.tableRefusal("dev", "dog", table: [],
            attributes: #"[{"attribute_name":"age","required_permissions":["insert","update"]}]"#) + "]"))

        let search = await lyre.post(#"{"operation": "search_by_id", "database": "dev", "table": "dog", "ids": [1], "get_attributes": ["owner"]}"#, authorization: auth)
        #expect(search.text == TestApplication.refusal(invalid: #"["Attribute 'owner' does not exist on 'dev.dog'"]"#))

        let stamp = await lyre.post(#"{"operation": "update", "database": "dev", "table": "dog", "records": [{"id": 1, "__updatedtime__": 1}]}"#, authorization: auth)
        #expect(stamp.status == 403)
        #expect(stamp.text == #"{"error":"Internal timestamp attributes - '__createdtime_' and '__updatedtime__' - cannot be inserted to or updated by HDB users."}"#)
    }

    @Test func systemDatabaseRules() async throws {
        let (lyre, auth) = try await Self.setUp(.readOnly)
        let read = await lyre.post(#"{"operation": "search_by_id", "database": "system", "table": "hdb_user", "ids": ["admin"], "get_attributes": ["*"]}"#, authorization: auth)
        #expect(read.status == 403)
        #expect(read.text == TestApplication.refusal(access: "[" + TestApplication.tableRefusal("system", "hdb_user", table: ["read"]) + "]"))
        let insert = await lyre.post(#"{"operation": "insert", "database": "system", "table": "hdb_user", "records": [{"username": "x"}]}"#, authorization: auth)
        #expect(insert.text == TestApplication.refusal(access: "[" + TestApplication.tableRefusal("system", "hdb_user", table: ["insert"]) + "]"))
        let delete = await lyre.post(#"{"operation": "delete", "database": "system", "table": "hdb_user", "ids": ["admin"]}"#, authorization: auth)
        #expect(delete.status == 403)
        #expect(delete.text == #"{"error":"The 'system' database, tables and records are used internally by HarperDB and cannot be updated or removed."}"#)
    }

    @Test func superUserOnlyAndStructureUsers() async throws {
        let (lyre, auth) = try await Self.setUp(.readOnly)
        let create = await lyre.post(#"{"operation": "create_table", "database": "dev", "table": "x", "primary_key": "id"}"#, authorization: auth)
        #expect(create.status == 403)
        #expect(create.text == TestApplication.refusal(access: #"["Operation 'createTable' is restricted to 'super_user' roles"]"#))
        let users = await lyre.post(#"{"operation": "list_users"}"#, authorization: auth)
        #expect(users.text == TestApplication.refusal(access: #"["Operation 'listUsersExternal' is restricted to 'super_user' roles"]"#))

        let structure = try await lyre.addUser("builder", password: "pw", role: "builder", permission: #"{"structure_user": ["dev"]}"#)
        let made = await lyre.post(#"{"operation": "create_table", "database": "dev", "table": "bird", "primary_key": "id"}"#, authorization: structure)
        #expect(made.status == 200)
        let elsewhere = await lyre.post(#"{"operation": "create_table", "database": "data", "table": "bird", "primary_key": "id"}"#, authorization: structure)
        #expect(elsewhere.text == TestApplication.refusal(access: #"["User does not have access to perform 'create_table' against schema 'data'"]"#))
        let database = await lyre.post(#"{"operation": "create_database", "database": "other"}"#, authorization: structure)
        #expect(database.text == TestApplication.refusal(access: #"["Operation 'createSchema' is restricted to 'super_user' roles"]"#))
        let write = await lyre.post(#"{"operation": "insert", "database": "dev", "table": "bird", "records": [{"id": 1}]}"#, authorization: structure)
        #expect(write.status == 200)
    }
}
