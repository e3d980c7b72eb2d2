import LyreCore
import LyreTestSupport
import Testing

/// The `sql` operation under every role shape of the security matrix, and the permission
/// rules of sql.md §10 (with §3.3's timestamp rule and the §10.4 / §12.10 examples verbatim).
@Suite struct SecuritySQLTests {
    typealias Shape = SecurityMatrixTests.Shape

    /// `{"operation": "sql", "sql": <text>}`.
    static func sql(_ text: String) -> String {
        #"{"operation": "sql", "sql": "\#(text.replacingOccurrences(of: "\"", with: "\\\""))"}"#
    }

    static func expect(_ lyre: TestApplication, _ auth: String, _ text: String, _ status: Int, _ body: String? = nil,
                       sourceLocation: SourceLocation = #_sourceLocation) async {
        let r = await lyre.post(sql(text), authorization: auth)
        #expect(r.status == status, "\(text) → \(r)", sourceLocation: sourceLocation)
        if let body { #expect(r.text == body, "\(text)", sourceLocation: sourceLocation) }
    }

    static let dogDenied = SecurityMatrixTests.dogDenied
    static func tableDenied(_ rights: String...) -> String {
        TestApplication.refusal(access: "[" + TestApplication.tableRefusal("dev", "dog", table: rights) + "]")
    }
    static func attributeDenied(_ attributes: String, invalid: String = "[]") -> String {
        TestApplication.refusal(access: "[" + TestApplication.tableRefusal("dev", "dog", table: [], attributes: attributes) + "]",
                                invalid: invalid)
    }
    static func missing(_ attributes: String...) -> String {
        TestApplication.refusal(invalid: "[" + attributes.map { #""Attribute '\#($0)' does not exist on 'dev.dog'""# }.joined(separator: ",") + "]")
    }
    static let timestamps = #"{"error":"Internal timestamp attributes - '__createdtime_' and '__updatedtime__' - cannot be inserted to or updated by HDB users."}"#
    static let systemProtected = #"{"error":"The 'system' database, tables and records are used internally by HarperDB and cannot be updated or removed."}"#

    // MARK: The matrix

    static let select = "SELECT id, name, age FROM dev.dog WHERE id = 1"
    static let insert = "INSERT INTO dev.dog (id, name) VALUES (2, 'Rex')"
    static let update = "UPDATE dev.dog SET name = 'Penny B' WHERE id = 1"
    static let delete = "DELETE FROM dev.dog WHERE id = 1"
    static let readBack = "SELECT id, name FROM dev.dog ORDER BY id"

    static let selected = #"[{"id":1,"name":"Penny","age":7}]"#
    static let inserted = #"{"message":"inserted 1 of 1 records","inserted_hashes":[2],"skipped_hashes":[]}"#
    static let updated = #"{"message":"updated 1 of 1 records","update_hashes":[1],"skipped_hashes":[]}"#
    static let deleted = #"{"message":"1 of 1 record successfully deleted","deleted_hashes":[1],"skipped_hashes":[]}"#

    /// SELECT, INSERT, UPDATE, DELETE in that order, each with its status and exact body.
    static func expectations(_ shape: Shape) -> [(String, Int, String)] {
        switch shape {
        case .superUser, .attributeRestricted:
            [(select, 200, selected), (insert, 200, inserted), (update, 200, updated), (delete, 200, deleted)]
        case .readOnly:
            [(select, 200, selected), (insert, 403, tableDenied("insert")), (update, 403, tableDenied("update")),
             (delete, 403, tableDenied("delete"))]
        case .noDelete:
            [(select, 200, selected), (insert, 200, inserted), (update, 200, updated), (delete, 403, tableDenied("delete"))]
        case .noPermissions:
            [(select, 403, dogDenied), (insert, 403, dogDenied), (update, 403, dogDenied), (delete, 403, dogDenied)]
        }
    }

    @Test(arguments: Shape.allCases)
    func statements(shape: Shape) async throws {
        let (lyre, auth) = try await SecurityMatrixTests.setUp(shape)
        for (text, status, body) in Self.expectations(shape) {
            await Self.expect(lyre, auth, text, status, body)
        }
        // A refused write wrote nothing; an allowed one did.
        let after = await lyre.post(Self.sql(Self.readBack))
        let expected = switch shape {
        case .superUser, .attributeRestricted: #"[{"id":2,"name":"Rex"}]"#
        case .noDelete: #"[{"id":1,"name":"Penny B"},{"id":2,"name":"Rex"}]"#
        case .readOnly, .noPermissions: #"[{"id":1,"name":"Penny"}]"#
        }
        #expect(after.text == expected, "\(shape)")
    }

    @Test(arguments: Shape.allCases)
    func selectStar(shape: Shape) async throws {
        let (lyre, auth) = try await SecurityMatrixTests.setUp(shape)
        let r = await lyre.post(Self.sql("SELECT * FROM dev.dog"), authorization: auth)
        switch shape {
        case .attributeRestricted:
            // Only the readable attributes, in `*` order; the primary key inherits `read` (§10.2 step 6).
            #expect(r.status == 200)
            #expect(r.text == #"[{"id":1,"name":"Penny","age":7}]"#)
        case .noPermissions:
            #expect(r.status == 403)
            #expect(r.text == Self.dogDenied)
        default:
            #expect(r.status == 200)
            let keys = r.json.arrayValue?.first?.objectValue?.keys.map { $0 }
            #expect(keys == ["id", "__createdtime__", "__updatedtime__", "name", "age", "owner"])
        }
        let qualified = await lyre.post(Self.sql("SELECT d.* FROM dev.dog d WHERE d.id = 1"), authorization: auth)
        if shape == .attributeRestricted { #expect(qualified.text == #"[{"id":1,"name":"Penny","age":7}]"#) }
        let withColumn = await lyre.post(Self.sql("SELECT name AS n, * FROM dev.dog"), authorization: auth)
        // Explicit items first, the expansion after; a plain select keeps one key per attribute (§5.9.2).
        if shape == .attributeRestricted { #expect(withColumn.text == #"[{"n":"Penny","id":1,"age":7}]"#) }
    }

    @Test(arguments: Shape.allCases)
    func statementsWithoutTablesAndUnsupportedKinds(shape: Shape) async throws {
        let (lyre, auth) = try await SecurityMatrixTests.setUp(shape)
        await Self.expect(lyre, auth, "SELECT 2 + 2", 200, #"[{"2 + 2":4}]"#)
        if shape == .superUser {
            await Self.expect(lyre, auth, "CREATE TABLE dev.x (id INT)", 400, #"{"error":"unsupported SQL type create in SQL: [object Object]"}"#)
        } else {
            await Self.expect(lyre, auth, "CREATE TABLE dev.x (id INT)", 400, #"{"error":"Operation 'create' not found"}"#)
        }
    }

    // MARK: Attribute-level checks (§10.2 step 5)

    @Test func selectChecksEveryClause() async throws {
        let (lyre, auth) = try await SecurityMatrixTests.setUp(.attributeRestricted)
        let owner = Self.missing("owner")
        await Self.expect(lyre, auth, "SELECT id, owner FROM dev.dog", 403, owner)
        await Self.expect(lyre, auth, "SELECT name FROM dev.dog WHERE owner = 'Kyle'", 403, owner)
        await Self.expect(lyre, auth, "SELECT name FROM dev.dog ORDER BY owner", 403, owner)
        await Self.expect(lyre, auth, "SELECT UPPER(owner) AS o FROM dev.dog", 403, owner)
        await Self.expect(lyre, auth, "SELECT d.name FROM dev.dog d JOIN dev.dog e ON d.owner = e.id", 403, owner)
        await Self.expect(lyre, auth, "SELECT owner, name, color FROM dev.dog", 403, Self.missing("owner", "color"))
        // Timestamps are readable only when listed with read: true.
        await Self.expect(lyre, auth, "SELECT __createdtime__ FROM dev.dog", 403, Self.missing("__createdtime__"))
        // An ORDER BY name that is a select alias is not a column.
        await Self.expect(lyre, auth, "SELECT name AS owner FROM dev.dog ORDER BY owner", 200, #"[{"owner":"Penny"}]"#)
        // GROUP BY / HAVING columns are not checked (inferred); here they are the select list anyway.
        await Self.expect(lyre, auth, "SELECT age, COUNT(*) AS n FROM dev.dog GROUP BY age", 200, #"[{"age":7,"n":1}]"#)
        await Self.expect(lyre, auth, "SELECT d.name, e.age FROM dev.dog d JOIN dev.dog e ON d.id = e.id WHERE d.age > 1 ORDER BY e.name",
                          200, #"[{"name":"Penny","age":7}]"#)
    }

    @Test func writesCheckTheirColumns() async throws {
        let (lyre, auth) = try await SecurityMatrixTests.setUp(.attributeRestricted)
        await Self.expect(lyre, auth, "INSERT INTO dev.dog (id, name, age, owner) VALUES (5, 'Bo', 2, 'Ann')", 403,
                          Self.attributeDenied(#"[{"attribute_name":"age","required_permissions":["insert"]}]"#,
                                               invalid: #"["Attribute 'owner' does not exist on 'dev.dog'"]"#))
        await Self.expect(lyre, auth, "UPDATE dev.dog SET age = 8 WHERE id = 1", 403,
                          Self.attributeDenied(#"[{"attribute_name":"age","required_permissions":["update"]}]"#))
        // Columns read by SET expressions need `update` too.
        await Self.expect(lyre, auth, "UPDATE dev.dog SET name = name || age WHERE id = 1", 403,
                          Self.attributeDenied(#"[{"attribute_name":"age","required_permissions":["update"]}]"#))
        await Self.expect(lyre, auth, "UPDATE dev.dog SET name = owner WHERE id = 1", 403, Self.missing("owner"))
        // UPDATE's WHERE is not checked (inferred); DELETE's WHERE is, for visibility only.
        await Self.expect(lyre, auth, "UPDATE dev.dog SET name = 'Pen' WHERE owner = 'Kyle'", 200, Self.updated)
        await Self.expect(lyre, auth, "DELETE FROM dev.dog WHERE owner = 'Kyle'", 403, Self.missing("owner"))
        await Self.expect(lyre, auth, "DELETE FROM dev.dog WHERE age = 7", 200, Self.deleted)
        // Nothing refused was written.
        let left = await lyre.post(Self.sql("SELECT * FROM dev.dog"))
        #expect(left.text == "[]")
    }

    @Test func timestampsCannotBeWrittenByRestrictedUsers() async throws {
        let (lyre, auth) = try await SecurityMatrixTests.setUp(.attributeRestricted)
        await Self.expect(lyre, auth, "INSERT INTO dev.dog (id, name, __createdtime__) VALUES (6, 'Bo', 1)", 403, Self.timestamps)
        await Self.expect(lyre, auth, "UPDATE dev.dog SET __updatedtime__ = 1 WHERE id = 1", 403, Self.timestamps)
        // Even next to an attribute that is refused otherwise: the timestamp answer is immediate.
        await Self.expect(lyre, auth, "UPDATE dev.dog SET owner = 'x', __createdtime__ = 1 WHERE id = 1", 403, Self.timestamps)
        let none = await lyre.post(Self.sql("SELECT id FROM dev.dog WHERE id = 6"))
        #expect(none.text == "[]")
        // Super users are silently ignored (§3.3).
        await Self.expect(lyre, TestApplication.adminAuthorization, "UPDATE dev.dog SET __createdtime__ = 5 WHERE id = 1", 200, Self.updated)
    }

    // MARK: Several tables (§10.2 steps 3–4)

    /// dev.dog (restricted), dev.cat (hidden), other.breed (visible, no read), third.kind (readable).
    static func multiDatabase() async throws -> (TestApplication, String) {
        let (lyre, _) = try await SecurityMatrixTests.setUp(.superUser)
        for step in [
            #"{"operation": "create_database", "database": "other"}"#,
            #"{"operation": "create_table", "database": "other", "table": "breed", "primary_key": "id"}"#,
            #"{"operation": "create_database", "database": "third"}"#,
            #"{"operation": "create_table", "database": "third", "table": "kind", "primary_key": "id"}"#,
            #"{"operation": "insert", "database": "other", "table": "breed", "records": [{"id": 1, "label": "Lab"}]}"#,
            #"{"operation": "insert", "database": "third", "table": "kind", "records": [{"id": 1, "label": "pet"}]}"#,
        ] {
            let r = await lyre.post(step)
            guard r.status == 200 else { throw TestFailure("\(step): \(r)") }
        }
        let auth = try await lyre.addUser("joiner", password: "pw", role: "joiner", permission: #"""
            {"dev": {"tables": {"dog": {"read": true, "insert": false, "update": false, "delete": false, "attribute_permissions": [
                {"attribute_name": "name", "read": true, "insert": false, "update": false}]}}},
             "other": {"tables": {"breed": {"read": false, "insert": true, "update": false, "delete": false, "attribute_permissions": []}}},
             "third": {"tables": {"kind": {"read": true, "insert": false, "update": false, "delete": false, "attribute_permissions": []}}}}
            """#)
        return (lyre, auth)
    }

    @Test func findingsAcrossDatabasesAreReportedTogether() async throws {
        let (lyre, auth) = try await Self.multiDatabase()
        let breed = TestApplication.tableRefusal("other", "breed", table: ["read"])
        // Several databases: the table-level finding and the other tables' attribute findings, together.
        await Self.expect(lyre, auth, "SELECT d.name, d.owner, b.label FROM dev.dog d JOIN other.breed b ON d.id = b.id", 403,
                          TestApplication.refusal(access: "[\(breed)]", invalid: #"["Attribute 'owner' does not exist on 'dev.dog'"]"#))
        // security.md §7.6: a restricted table in a three-database join.
        await Self.expect(lyre, auth,
                          "SELECT d.name, b.id, k.label FROM dev.dog d JOIN other.breed b ON d.id = b.id JOIN third.kind k ON k.id = d.id",
                          403, TestApplication.refusal(access: "[\(breed)]"))
        // Invisible tables and databases are named; the attribute checks still run for the others.
        await Self.expect(lyre, auth, "SELECT d.owner FROM dev.dog d JOIN nope.x n ON d.id = n.id JOIN third.hidden h ON h.id = d.id", 403,
                          TestApplication.refusal(invalid: #"["database 'nope' does not exist","Table 'third.hidden' does not exist","Attribute 'owner' does not exist on 'dev.dog'"]"#))
        // One database: table-level findings are reported alone, before any attribute check.
        await Self.expect(lyre, auth, "SELECT d.owner FROM dev.dog d JOIN dev.cat c ON d.id = c.id", 403,
                          TestApplication.refusal(invalid: #"["Table 'dev.cat' does not exist"]"#))
        // Allowed across databases.
        await Self.expect(lyre, auth, "SELECT d.name, k.label FROM dev.dog d JOIN third.kind k ON k.id = d.id", 200,
                          #"[{"name":"Penny","label":"pet"}]"#)
        // An unqualified column counts for the first FROM table, even when it belongs to a joined one (inferred).
        await Self.expect(lyre, auth, "SELECT d.name, label FROM dev.dog d JOIN third.kind k ON k.id = d.id", 403,
                          Self.missing("label"))
    }

    @Test func wildcardsOverJoins() async throws {
        let (lyre, auth) = try await Self.multiDatabase()
        // The restricted table expands to its readable attributes, the unrestricted one to all of them.
        let star = await lyre.post(Self.sql("SELECT * FROM dev.dog d JOIN third.kind k ON k.id = d.id"), authorization: auth)
        #expect(star.status == 200)
        #expect(star.json.arrayValue?.first?.objectValue?.keys.map { $0 } == ["id", "name", "id1", "__createdtime__", "__updatedtime__", "label"])
        await Self.expect(lyre, auth, "SELECT k.label, d.* FROM dev.dog d JOIN third.kind k ON k.id = d.id", 200,
                          #"[{"label":"pet","id":1,"name":"Penny"}]"#)
        // A table without `read` is left to the table-level check.
        await Self.expect(lyre, auth, "SELECT * FROM dev.dog d JOIN other.breed b ON b.id = d.id", 403,
                          TestApplication.refusal(access: "[" + TestApplication.tableRefusal("other", "breed", table: ["read"]) + "]"))
    }

    // MARK: The system database (§10.1, security.md §7.6)

    @Test func systemDatabase() async throws {
        let (lyre, auth) = try await SecurityMatrixTests.setUp(.readOnly)
        let admin = TestApplication.adminAuthorization
        await Self.expect(lyre, admin, "SELECT role FROM system.hdb_role WHERE role = 'r_readOnly'", 200, #"[{"role":"r_readOnly"}]"#)
        await Self.expect(lyre, admin, "UPDATE system.hdb_user SET active = false WHERE username = 'u_readOnly'", 403, Self.systemProtected)
        await Self.expect(lyre, admin, "DELETE FROM system.hdb_role", 403, Self.systemProtected)
        await Self.expect(lyre, admin, "DELETE FROM system.nope", 403, Self.systemProtected)

        await Self.expect(lyre, auth, "SELECT * FROM system.hdb_user", 403,
                          TestApplication.refusal(access: "[" + TestApplication.tableRefusal("system", "hdb_user", table: ["read"]) + "]"))
        await Self.expect(lyre, auth, "INSERT INTO system.hdb_role (id) VALUES ('x')", 403,
                          TestApplication.refusal(access: "[" + TestApplication.tableRefusal("system", "hdb_role", table: ["insert"]) + "]"))
        await Self.expect(lyre, auth, "UPDATE system.hdb_user SET active = false", 403, Self.systemProtected)
        await Self.expect(lyre, auth, "DELETE FROM system.hdb_user WHERE username = 'admin'", 403, Self.systemProtected)
        // The user still works: nothing was changed.
        await Self.expect(lyre, auth, Self.select, 200, Self.selected)
    }

    // MARK: sql.md §10.4 and §12.10, verbatim

    static func conf() async throws -> (TestApplication, String) {
        let lyre = try TestApplication()
        for step in [
            #"{"operation": "create_database", "database": "conf"}"#,
            #"{"operation": "create_table", "database": "conf", "table": "pet", "primary_key": "id"}"#,
            #"{"operation": "create_table", "database": "conf", "table": "owner", "primary_key": "id"}"#,
            #"{"operation": "create_table", "database": "conf", "table": "empty", "primary_key": "id"}"#,
            #"""
            {"operation": "insert", "database": "conf", "table": "pet", "records": [
              {"id": 1, "name": "Rex", "species": "dog", "age": 3, "weight": 12.5, "owner_id": 10, "tags": ["good", "loud"], "vaccinated": true},
              {"id": 2, "name": "Tom", "species": "cat", "age": 7, "weight": 4.2, "owner_id": 11, "vaccinated": false},
              {"id": 3, "name": "bubbles", "species": "fish", "age": 1, "weight": 0.1, "owner_id": 10},
              {"id": 4, "name": "Luna", "species": "cat", "age": null, "weight": 3.9, "owner_id": 12, "meta": {"color": "black"}},
              {"id": 5, "name": "Zed", "species": "dog", "age": 11, "weight": 30, "owner_id": 99}]}
            """#,
            #"""
            {"operation": "insert", "database": "conf", "table": "owner", "records": [
              {"id": 10, "name": "Ana", "city": "Lima"}, {"id": 11, "name": "Ben", "city": "Oslo"},
              {"id": 12, "name": "Cai", "city": "Lima"}, {"id": 13, "name": "Dee", "city": null}]}
            """#,
        ] {
            let r = await lyre.post(step)
            guard r.status == 200 else { throw TestFailure("\(step): \(r)") }
        }
        let reader = try await lyre.addUser("reader", password: "pw-Reader-1", role: "conf_reader", permission: #"""
            {"super_user": false, "conf": {"tables": {
              "pet":   {"read": true, "insert": false, "update": false, "delete": false, "attribute_permissions": []},
              "owner": {"read": true, "insert": false, "update": false, "delete": false, "attribute_permissions": [
                         {"attribute_name": "name", "read": false, "insert": false, "update": false}]}}}}
            """#)
        return (lyre, reader)
    }

    @Test func specExamples() async throws {
        let (lyre, reader) = try await Self.conf()
        // §10.4
        await Self.expect(lyre, reader, "SELECT id, name FROM conf.owner", 403, #"""
            {"error":"This operation is not authorized due to role restrictions and/or invalid database items","unauthorized_access":[],"invalid_schema_items":["Attribute 'id' does not exist on 'conf.owner'","Attribute 'name' does not exist on 'conf.owner'"]}
            """#)
        await Self.expect(lyre, reader, "SELECT * FROM conf.owner", 200, "[]")
        await Self.expect(lyre, reader, "INSERT INTO conf.pet (id) VALUES (9)", 403, #"""
            {"error":"This operation is not authorized due to role restrictions and/or invalid database items","unauthorized_access":[{"schema":"conf","table":"pet","required_table_permissions":["insert"],"required_attribute_permissions":[]}],"invalid_schema_items":[]}
            """#)
        // §12.10
        await Self.expect(lyre, reader, "SELECT id, name FROM conf.pet WHERE id = 1", 200, #"[{"id":1,"name":"Rex"}]"#)
        await Self.expect(lyre, reader, "SELECT 2 + 2", 200, #"[{"2 + 2":4}]"#)
        await Self.expect(lyre, reader, "INSERT INTO conf.pet (id) VALUES (50)", 403, #"""
            {"error":"This operation is not authorized due to role restrictions and/or invalid database items","unauthorized_access":[{"schema":"conf","table":"pet","required_table_permissions":["insert"],"required_attribute_permissions":[]}],"invalid_schema_items":[]}
            """#)
        await Self.expect(lyre, reader, "DELETE FROM conf.pet WHERE id = 1", 403,
                          TestApplication.refusal(access: "[" + TestApplication.tableRefusal("conf", "pet", table: ["delete"]) + "]"))
        await Self.expect(lyre, reader, "SELECT id FROM conf.empty", 403,
                          TestApplication.refusal(invalid: #"["Table 'conf.empty' does not exist"]"#))
        await Self.expect(lyre, reader, "SELECT id FROM nope.pet", 403,
                          TestApplication.refusal(invalid: #"["database 'nope' does not exist"]"#))
        await Self.expect(lyre, reader, "CREATE TABLE conf.x (id INT)", 400, #"{"error":"Operation 'create' not found"}"#)
        // Nothing was written.
        let pets = await lyre.post(Self.sql("SELECT COUNT(*) AS n FROM conf.pet"))
        #expect(pets.text == #"[{"n":5}]"#)
    }
}
