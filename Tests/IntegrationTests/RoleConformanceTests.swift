import LyreCore
import LyreTestSupport
import Testing

/// `add_role` / `alter_role` validation texts (security.md §4.3) over HTTP.
@Suite struct RoleConformanceTests {
    static func server() async throws -> TestServer {
        let lyre = try await TestServer()
        _ = await lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#)
        _ = await lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":1,"name":"Penny"}]}"#)
        return lyre
    }

    /// An attribute the table lacks is reported as invalid and nothing else: its flags grant
    /// nothing, so they neither conflict with a false table flag nor are checked further.
    @Test func unknownAttributeIsReportedAlone() async throws {
        let lyre = try await Self.server()
        let expected = #"{"error":"Errors in the role permissions JSON provided","main_permissions":[],"schema_permissions":{"dev_dog":["Invalid attribute 'nope' in 'attribute_permissions'"]}}"#
        let permission = #"{"dev":{"tables":{"dog":{"read":false,"insert":false,"update":false,"delete":false,"attribute_permissions":[{"attribute_name":"nope","read":true,"insert":true}]}}}}"#
        let added = await lyre.post(#"{"operation":"add_role","role":"developer","permission":\#(permission)}"#)
        #expect(added.status == 400)
        #expect(added.text == expected)
        #expect(await lyre.post(#"{"operation":"add_role","role":"developer","permission":{"super_user":false}}"#).status == 200)
        let altered = await lyre.post(#"{"operation":"alter_role","id":"developer","permission":\#(permission)}"#)
        #expect(altered.status == 400)
        #expect(altered.text == expected)
        // A real attribute granting what its table refuses is still a conflict.
        let conflict = await lyre.post(#"{"operation":"alter_role","id":"developer","permission":{"dev":{"tables":{"dog":{"read":false,"insert":false,"update":false,"delete":false,"attribute_permissions":[{"attribute_name":"name","read":true,"insert":false,"update":false},{"attribute_name":"nope","read":true,"insert":false,"update":false}]}}}}}"#)
        #expect(conflict.text == #"{"error":"Errors in the role permissions JSON provided","main_permissions":[],"schema_permissions":{"dev_dog":["Invalid attribute 'nope' in 'attribute_permissions'","You have a conflict with TABLE permissions for 'dev.dog' being false and ATTRIBUTE permissions being true"]}}"#)
    }

    /// No `attribute_permissions` means no attribute restrictions; a present non-array value is refused.
    @Test func attributePermissionsMayBeOmittedButNotMistyped() async throws {
        let lyre = try await Self.server()
        let omitted = await lyre.post(#"{"operation":"add_role","role":"reader","permission":{"dev":{"tables":{"dog":{"read":true,"insert":false,"update":false,"delete":false}}}}}"#)
        #expect(omitted.status == 200)
        let mistyped = await lyre.post(#"{"operation":"add_role","role":"writer","permission":{"dev":{"tables":{"dog":{"read":true,"insert":true,"update":false,"delete":false,"attribute_permissions":{"attribute_name":"name"}}}}}}"#)
        #expect(mistyped.status == 400)
        #expect(mistyped.text == #"{"error":"Errors in the role permissions JSON provided","main_permissions":[],"schema_permissions":{"dev_dog":["Value for 'attribute_permissions' must be an array"]}}"#)
        let roles = await lyre.post(#"{"operation":"list_roles"}"#).json.arrayValue ?? []
        #expect(roles.compactMap { $0["role"]?.stringValue }.sorted() == ["reader", "super_user"])
        #expect(await lyre.post(#"{"operation":"add_user","role":"reader","username":"reader_user","password":"pw","active":true}"#).status == 200)
        let reader = TestApplication.basic("reader_user", "pw")
        #expect(await lyre.post(#"{"operation":"search_by_id","database":"dev","table":"dog","ids":[1],"get_attributes":["*"]}"#, authorization: reader).json[0]?["name"] == "Penny")
    }
}
