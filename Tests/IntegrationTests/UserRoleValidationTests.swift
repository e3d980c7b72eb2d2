import Foundation
import LyreCore
import LyreTestSupport
import Testing

/// Every field of add_user / alter_user / add_role / alter_role / the token operations
/// checked on the real binary (session 12): wrong types, control characters in names,
/// permission values that are not what they seem: each a 400 (or 401) with exact JSON,
/// nothing written, the server serving on.
@Suite struct UserRoleValidationTests {
    static func roleErrors(main: [String], schema: String = "{}") -> String {
        #"{"error":"Errors in the role permissions JSON provided","main_permissions":["# +
            main.map { JSON.string(.string($0)) }.joined(separator: ",") + #"],"schema_permissions":"# + schema + "}"
    }

    static let usersUnchanged = (#"{"operation":"sql","sql":"SELECT COUNT(*) AS n FROM system.hdb_user"}"#, 200, #"[{"n":1}]"#)
    static let rolesUnchanged = (#"{"operation":"sql","sql":"SELECT COUNT(*) AS n FROM system.hdb_role"}"#, 200, #"[{"n":1}]"#)

    @Test func addUserRefusesControlCharactersInTheUsernameAndWrongTypes() async throws {
        let add = { (fields: String) in #"{"operation":"add_user","# + fields + "}" }
        try await HardeningRegressionTests().expectAnswered([
            (add(#""role":"super_user","username":"a\u0000b","password":"pw","active":true"#), 400, #"{"error":"Username is invalid"}"#),
            (add(#""role":"super_user","username":"bell\u0007","password":"pw","active":true"#), 400, #"{"error":"Username is invalid"}"#),
            (add(#""role":"super_user","username":"line\nbreak","password":"pw","active":true"#), 400, #"{"error":"Username is invalid"}"#),
            (add(#""role":"super_user","username":"del\u007f","password":"pw","active":true"#), 400, #"{"error":"Username is invalid"}"#),
            (add(#""role":"super_user","username":"c1\u0085","password":"pw","active":true"#), 400, #"{"error":"Username is invalid"}"#),
            (add(#""role":"super_user","username":5,"password":"pw","active":true"#), 400, #"{"error":"Username is invalid"}"#),
            (add(#""role":"super_user","username":"system","password":"pw","active":true"#), 400, #"{"error":"Username is invalid"}"#),
            (add(#""role":"super_user","username":"ok","password":5,"active":true"#), 400, #"{"error":"Password must be a string"}"#),
            (add(#""role":"super_user","username":"ok","password":"pw","active":"yes""#), 400, #"{"error":"Active must be a boolean"}"#),
            (add(#""role":5,"username":"ok","password":"pw","active":true"#), 400, #"{"error":"Role is invalid"}"#),
            (add(#""role":"super\u0000user","username":"ok","password":"pw","active":true"#), 400, #"{"error":"Role is invalid"}"#),
            (add(#""role":"","username":"","password":null"#), 400,
             #"{"error":"Username can't be blank,Password can't be blank,Role can't be blank,Active can't be blank"}"#),
            Self.usersUnchanged,
        ])
    }

    @Test func alterUserAndTokenOperationsRefuseWrongTypes() async throws {
        try await HardeningRegressionTests().expectAnswered([
            (#"{"operation":"alter_user","username":5,"active":true}"#, 400, #"{"error":"username is required"}"#),
            (#"{"operation":"alter_user","username":"admin","active":"no"}"#, 400, #"{"error":"active must be true or false"}"#),
            (#"{"operation":"alter_user","username":"admin","password":5}"#, 400, #"{"error":"password cannot be an empty string"}"#),
            (#"{"operation":"alter_user","username":"admin","role":5}"#, 400, #"{"error":"If role is specified, it cannot be empty."}"#),
            (#"{"operation":"alter_user","username":"admin","role":"no\u0000such"}"#, 404,
             #"{"error":"Update failed.  Requested 'no\u0000such' role not found."}"#),
            (#"{"operation":"alter_user","username":"admin"}"#, 400,
             #"{"error":"nothing to update, must supply active, role or password to update"}"#),
            (#"{"operation":"create_authentication_tokens","username":5,"password":[]}"#, 400,
             #"{"error":"'username' must be a string. 'password' must be a string"}"#),
            (#"{"operation":"create_authentication_tokens","username":"admin\u0000","password":"x"}"#, 401, #"{"error":"invalid credentials"}"#),
            (#"{"operation":"create_authentication_tokens","expires_in":"soon"}"#, 400,
             #"{"error":"'expires_in' must be a number of seconds or a duration such as '2h'"}"#),
            (#"{"operation":"create_authentication_tokens","expires_in":-5}"#, 400,
             #"{"error":"'expires_in' must be a number of seconds or a duration such as '2h'"}"#),
            (#"{"operation":"create_authentication_tokens","role":{"super_user":true}}"#, 400, #"{"error":"'role' must be a string"}"#),
            (#"{"operation":"refresh_operation_token","refresh_token":5}"#, 400, #"{"error":"'refresh_token' is required"}"#),
            (#"{"operation":"refresh_operation_token","refresh_token":"a.b.c"}"#, 401, #"{"error":"invalid token"}"#),
            Self.usersUnchanged,
        ])
    }

    @Test func rolePermissionsThatGrantNothingTheySeemToAreRefused() async throws {
        let add = { (permission: String) in #"{"operation":"add_role","role":"dev_role","permission":"# + permission + "}" }
        let table = #"{"read":true,"insert":false,"update":false,"delete":false,"attribute_permissions":[]}"#
        try await HardeningRegressionTests().expectAnswered([
            (add(#"{"dev":5}"#), 400, Self.roleErrors(main: ["Value for database 'dev' permission must be an object"])),
            (add(#"{"dev":[]}"#), 400, Self.roleErrors(main: ["Value for database 'dev' permission must be an object"])),
            (add(#"{"dev":{"tables":5}}"#), 400, Self.roleErrors(main: ["Value for 'tables' in the 'dev' permission must be an object"])),
            (add(#"{"dev":{"tables":["dog"]}}"#), 400, Self.roleErrors(main: ["Value for 'tables' in the 'dev' permission must be an object"])),
            (add(#"{"nodb":{"tables":{}}}"#), 400, Self.roleErrors(main: ["database 'nodb' does not exist"])),
            (add(#"{"dev\u0000":{"tables":{}}}"#), 400, Self.roleErrors(main: ["database 'dev\u{0}' does not exist"])),
            (add(#"{"dev":{"tables":{"cat":"# + table + "}}}"), 400, Self.roleErrors(main: ["Table 'dev.cat' does not exist"])),
            (add(#"{"dev":{"tables":{"dog":{"read":1,"insert":false,"update":false,"delete":false}}}}"#), 400,
             Self.roleErrors(main: [], schema: #"{"dev_dog":["Table READ permission must be a boolean"]}"#)),
            (add(#"{"dev":{"tables":{"dog":{"read":true,"insert":false,"update":false,"delete":false,"attribute_permissions":[{"attribute_name":"nope","read":true,"insert":false,"update":false}]}}}}"#), 400,
             Self.roleErrors(main: [], schema: #"{"dev_dog":["Invalid attribute 'nope' in 'attribute_permissions'"]}"#)),
            (add(#"{"super_user":"yes"}"#), 400, Self.roleErrors(main: ["Value for 'super_user' permission must be a boolean"])),
            (add(#"{"structure_user":5}"#), 400, Self.roleErrors(main: ["Value for 'structure_user' permission must be a boolean or Array"])),
            (add(#"{"structure_user":[5]}"#), 400, Self.roleErrors(main: ["database '5' does not exist"])),
            (#"{"operation":"add_role","role":"bad\u0000name","permission":{"super_user":false}}"#, 400, Self.roleErrors(main: ["Role is invalid"])),
            (#"{"operation":"add_role","role":"ok","id":"bad id","permission":{"super_user":false}}"#, 400, Self.roleErrors(main: ["Id is invalid"])),
            (#"{"operation":"add_role","role":"ok","permission":5}"#, 400, Self.roleErrors(main: ["Permission can't be blank"])),
            (#"{"operation":"alter_role","id":"super_user","permission":{"dev":5}}"#, 400,
             Self.roleErrors(main: ["Value for database 'dev' permission must be an object"])),
            (#"{"operation":"alter_role","id":5,"permission":{"super_user":true}}"#, 400, Self.roleErrors(main: ["Id is invalid"])),
            Self.rolesUnchanged,
        ])
    }
}
