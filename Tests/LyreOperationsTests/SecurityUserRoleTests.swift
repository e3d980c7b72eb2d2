import LyreCore
import LyreTestSupport
import Testing

/// The user and role operations replayed from security.md §3–4 with exact JSON.
@Suite struct SecurityUserRoleTests {
    static func devRoot() async throws -> TestApplication {
        let lyre = try TestApplication()
        _ = await lyre.post(#"{"operation": "create_database", "database": "dev"}"#)
        _ = await lyre.post(#"{"operation": "create_table", "database": "dev", "table": "dog", "primary_key": "id"}"#)
        _ = await lyre.post(#"{"operation": "insert", "database": "dev", "table": "dog", "records": [{"id": 1, "name": "Penny"}]}"#)
        return lyre
    }

    static let developerPermission = #"{"super_user":false,"structure_user":false,"dev":{"tables":{"dog":{"read":true,"insert":true,"update":true,"delete":false,"attribute_permissions":[{"attribute_name":"name","read":true,"insert":true,"update":true}]}}}}"#

    @Test func addRoleAnswersTheStoredRole() async throws {
        let lyre = try await Self.devRoot()
        let r = await lyre.post(#"{"operation": "add_role", "role": "developer", "permission": \#(Self.developerPermission)}"#)
        #expect(r.status == 200)
        #expect(r.json.objectValue?.keys == ["role", "permission", "id", "__updatedtime__", "__createdtime__"])
        #expect(r.json["id"] == "developer")
        #expect(r.json["permission"].map(JSON.string) == Self.developerPermission)

        let again = await lyre.post(#"{"operation": "add_role", "role": "developer", "permission": {"super_user": false}}"#)
        #expect(again.status == 409)
        #expect(again.text == #"{"error":"A role with name 'developer' already exists"}"#)

        let roles = await lyre.post(#"{"operation": "list_roles"}"#)
        #expect(roles.json.arrayValue?.count == 2)
        #expect(roles.json.arrayValue?.first?.objectValue?.keys == ["__createdtime__", "__updatedtime__", "id", "permission", "role"])
    }

    @Test func addRoleValidation() async throws {
        let lyre = try await Self.devRoot()
        let r = await lyre.post(#"""
            {"operation": "add_role", "role": "developer", "permission": {"super_user": false,
              "crapschema": {"tables": {}},
              "dev": {"tables": {"craptable": {"read": true, "insert": true, "update": true, "delete": true, "attribute_permissions": []},
                                 "dog": {"read": true, "insert": true, "update": true, "delete": true, "attribute_permissions": [
                                   {"attribute_name": "crapattribute", "read": true, "insert": true, "update": true}]}}}}}
            """#)
        #expect(r.status == 400)
        #expect(r.text == #"{"error":"Errors in the role permissions JSON provided","main_permissions":["database 'crapschema' does not exist","Table 'dev.craptable' does not exist"],"schema_permissions":{"dev_dog":["Invalid attribute 'crapattribute' in 'attribute_permissions'"]}}"#)
    }

    @Test func alterAndDropRole() async throws {
        let lyre = try await Self.devRoot()
        _ = await lyre.post(#"{"operation": "add_role", "role": "developer", "permission": \#(Self.developerPermission)}"#)
        let altered = await lyre.post(#"{"operation": "alter_role", "id": "developer", "role": "another_developer", "permission": {"super_user": false}}"#)
        #expect(altered.status == 200)
        #expect(altered.json.objectValue?.keys == ["id", "role", "permission", "__updatedtime__"])
        let unknown = await lyre.post(#"{"operation": "alter_role", "id": "nope", "permission": {"super_user": false}}"#)
        #expect(unknown.status == 400)
        #expect(unknown.text == #"{"error":"Invalid role id"}"#)

        _ = await lyre.post(#"{"operation": "add_user", "role": "another_developer", "username": "dev1", "password": "pw", "active": true}"#)
        let busy = await lyre.post(#"{"operation": "drop_role", "id": "developer"}"#)
        #expect(busy.status == 409)
        #expect(busy.text == #"{"error":"Cannot drop role another_developer as it has active user(s) tied to this role"}"#)

        _ = await lyre.post(#"{"operation": "alter_user", "username": "dev1", "active": false}"#)
        let dropped = await lyre.post(#"{"operation": "drop_role", "id": "developer"}"#)
        #expect(dropped.text == #"{"message":"another_developer successfully deleted"}"#)
        let missing = await lyre.post(#"{"operation": "drop_role", "id": "developer"}"#)
        #expect(missing.status == 404)
        #expect(missing.text == #"{"error":"Role not found"}"#)
        let blank = await lyre.post(#"{"operation": "drop_role"}"#)
        #expect(blank.text == #"{"error":"Id can't be blank"}"#)
    }

    @Test func addUserErrors() async throws {
        let lyre = try await Self.devRoot()
        _ = await lyre.post(#"{"operation": "add_role", "role": "developer", "permission": {"super_user": false}}"#)
        let cases: [(String, Int, String)] = [
            (#"{"role": "developer", "username": "u", "password": "p", "active": true}"#, 200, #"{"message":"u successfully added"}"#),
            (#"{"role": "developer", "username": "u", "password": "p", "active": true}"#, 409, #"{"error":"User u already exists"}"#),
            (#"{"role": "dev eloper", "username": "v", "password": "p", "active": true}"#, 400, #"{"error":"Role is invalid"}"#),
            (#"{"role": "nobody", "username": "v", "password": "p", "active": true}"#, 404, #"{"error":"nobody role not found"}"#),
            (#"{"role": "developer", "username": "v", "password": "p", "active": "yes"}"#, 400, #"{"error":"Active must be a boolean"}"#),
            (#"{"role": "developer"}"#, 400, #"{"error":"Username can't be blank,Password can't be blank,Active can't be blank"}"#),
        ]
        for (body, status, text) in cases {
            let r = await lyre.post("{\"operation\": \"add_user\"," + body.dropFirst())
            #expect(r.status == status, "\(body)")
            #expect(r.text == text, "\(body)")
        }
    }

    @Test func alterUserTakesEffectAtOnce() async throws {
        let lyre = try await Self.devRoot()
        let auth = try await lyre.addUser("dev1", password: "old", role: "developer", permission: #"{"super_user": false}"#)
        #expect(await lyre.post(#"{"operation": "user_info"}"#, authorization: auth).status == 200)

        let changed = await lyre.post(#"{"operation": "alter_user", "username": "dev1", "password": "new"}"#)
        #expect(changed.text == #"{"message":"updated 1 of 1 records","update_hashes":["dev1"],"skipped_hashes":[]}"#)
        #expect(await lyre.post(#"{"operation": "user_info"}"#, authorization: auth).text == #"{"error":"Login failed"}"#)
        let newAuth = TestApplication.basic("dev1", "new")
        #expect(await lyre.post(#"{"operation": "user_info"}"#, authorization: newAuth).status == 200)

        _ = await lyre.post(#"{"operation": "alter_user", "username": "dev1", "active": false}"#)
        #expect(await lyre.post(#"{"operation": "user_info"}"#, authorization: newAuth).text
            == #"{"error":"Cannot complete request: User is inactive"}"#)

        let cases: [(String, Int, String)] = [
            (#"{"password": "x"}"#, 400, #"{"error":"username is required"}"#),
            (#"{"username": "dev1"}"#, 400, #"{"error":"nothing to update, must supply active, role or password to update"}"#),
            (#"{"username": "dev1", "password": "  "}"#, 400, #"{"error":"password cannot be an empty string"}"#),
            (#"{"username": "dev1", "active": "no"}"#, 400, #"{"error":"active must be true or false"}"#),
            (#"{"username": "dev1", "role": ""}"#, 400, #"{"error":"If role is specified, it cannot be empty."}"#),
            (#"{"username": "dev1", "role": "blahblah"}"#, 404, #"{"error":"Update failed.  Requested 'blahblah' role not found."}"#),
            (#"{"username": "nobody", "active": true}"#, 200, #"{"message":"updated 0 of 1 records","update_hashes":[],"skipped_hashes":["nobody"]}"#),
        ]
        for (body, status, text) in cases {
            let r = await lyre.post("{\"operation\": \"alter_user\"," + body.dropFirst())
            #expect(r.status == status, "\(body)")
            #expect(r.text == text, "\(body)")
        }
    }

    /// Harper 4.x's `alterUser` (security/user.js) counts a null `password`, `role` or
    /// `active` as not supplied in its checks (so nulls alone are "nothing to update"), but
    /// then writes the nulls into the user record, leaving the user without a password or a
    /// role. Lyre keeps the stored ones (docs/compatibility.md, "Users").
    @Test func alterUserTakesANullPasswordOrRoleAsNotGivenAndKeepsTheStoredOnes() async throws {
        let lyre = try await Self.devRoot()
        let auth = try await lyre.addUser("dev1", password: "old", role: "developer", permission: #"{"super_user": false}"#)
        _ = await lyre.post(#"{"operation": "add_role", "role": "reader", "permission": {"super_user": false}}"#)
        let nothing = #"{"error":"nothing to update, must supply active, role or password to update"}"#
        for body in [#""password": null"#, #""role": null"#, #""password": null, "role": null, "active": null"#] {
            let r = await lyre.post(#"{"operation": "alter_user", "username": "dev1", \#(body)}"#)
            #expect(r.status == 400, "\(body)")
            #expect(r.text == nothing, "\(body)")
        }
        let updated = #"{"message":"updated 1 of 1 records","update_hashes":["dev1"],"skipped_hashes":[]}"#
        let both = await lyre.post(#"{"operation": "alter_user", "username": "dev1", "password": null, "role": null, "active": true}"#)
        #expect(both.text == updated)
        let info = await lyre.post(#"{"operation": "user_info"}"#, authorization: auth)
        #expect(info.status == 200, "the old password still works")
        #expect(info.json["role"]?["role"] == "developer")
        // A null password next to a new role changes the role only, and the other way round.
        #expect(await lyre.post(#"{"operation": "alter_user", "username": "dev1", "password": null, "role": "reader"}"#).text == updated)
        #expect(await lyre.post(#"{"operation": "user_info"}"#, authorization: auth).json["role"]?["role"] == "reader")
        #expect(await lyre.post(#"{"operation": "alter_user", "username": "dev1", "password": "new", "role": null}"#).text == updated)
        let renewed = await lyre.post(#"{"operation": "user_info"}"#, authorization: TestApplication.basic("dev1", "new"))
        #expect(renewed.json["role"]?["role"] == "reader")
        #expect(await lyre.post(#"{"operation": "user_info"}"#, authorization: auth).status == 401)
    }

    @Test func listUsersAndUserInfoNeverShowSecrets() async throws {
        let lyre = try await Self.devRoot()
        _ = try await Self.tokensFor(lyre)
        let list = await lyre.post(#"{"operation": "list_users"}"#)
        #expect(list.status == 200)
        let admin = try #require(list.json.arrayValue?.first)
        #expect(admin.objectValue?.keys == ["__createdtime__", "__updatedtime__", "active", "role", "username"])
        #expect(admin["role"]?["id"] == "super_user")
        #expect(admin["role"]?["permission"]?["super_user"] == true)
        #expect(admin["role"]?["permission"]?["system"]?["tables"]?.objectValue?.count == 10)
        #expect(admin["role"]?["permission"]?["system"]?["tables"]?["hdb_user"].map(JSON.string)
            == #"{"read":true,"insert":false,"update":false,"delete":false,"attribute_permissions":[]}"#)
        for secret in ["password", "refresh_token", "hash_function", "hash"] {
            #expect(!list.text.contains("\"\(secret)\""))
        }

        let info = await lyre.post(#"{"operation": "user_info"}"#)
        #expect(info.json["username"] == "admin")
        #expect(info.json["role"].map(JSON.string)?.contains("system") == false)
        #expect(!info.text.contains("password"))

        let dropped = await lyre.post(#"{"operation": "drop_user", "username": "admin2"}"#)
        #expect(dropped.status == 404)
        #expect(dropped.text == #"{"error":"User admin2 does not exist"}"#)
    }

    static func tokensFor(_ lyre: TestApplication) async throws -> TestResponse {
        await lyre.post(#"{"operation": "create_authentication_tokens", "username": "admin", "password": "password"}"#, authorization: nil)
    }

    @Test func loginFailureDoesNotTellUnknownUsersFromWrongPasswords() async throws {
        let lyre = try TestApplication()
        let unknown = await lyre.post(#"{"operation": "describe_all"}"#, authorization: TestApplication.basic("nobody", "password"))
        let wrong = await lyre.post(#"{"operation": "describe_all"}"#, authorization: TestApplication.basic("admin", "wrong"))
        #expect(unknown.status == 401)
        #expect(unknown.text == #"{"error":"Login failed"}"#)
        #expect(unknown.status == wrong.status)
        #expect(unknown.text == wrong.text)
        #expect(unknown.headers.map(\.0) == wrong.headers.map(\.0))
        #expect(unknown.headers.map(\.1) == wrong.headers.map(\.1))
        // Body credentials (Harper's quirk) answer the same way.
        let quirk = await lyre.post(#"{"operation": "add_user", "username": "nobody", "password": "x", "role": "r", "active": true}"#, authorization: nil)
        #expect(quirk.text == #"{"error":"Login failed"}"#)
    }
}
