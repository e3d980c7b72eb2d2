import LyreAuth
import LyreCore
import Testing

@Suite struct RolePermissionValidatorTests {
    static let schema: [String: [String: [String]]] = ["dev": ["dog": ["id", "dog_name", "age"], "breed": ["id", "name"]]]

    static func validate(_ json: String, adding: Bool = true) throws -> RolePermissionValidator.Result {
        let body = try #require(try JSON.parse(json).objectValue)
        return RolePermissionValidator.validate(body, requireRole: adding, requireID: !adding) { schema[$0] }
    }

    @Test func specExample() throws {
        let result = try Self.validate(#"""
            { "operation": "add_role", "role": "developer", "permission": { "super_user": false,
              "crapschema": { "tables": {} },
              "dev": { "tables": {
                "craptable": { "read": true, "insert": true, "update": true, "delete": true, "attribute_permissions": [] },
                "dog": { "read": true, "insert": true, "update": true, "delete": true, "attribute_permissions": [
                  { "attribute_name": "name", "read": true, "insert": true, "update": true },
                  { "attribute_name": "crapattribute", "read": true, "insert": true, "update": true } ] } } } } }
            """#)
        #expect(JSON.string(result.json) == #"{"error":"Errors in the role permissions JSON provided","main_permissions":["database 'crapschema' does not exist","Table 'dev.craptable' does not exist"],"schema_permissions":{"dev_dog":["Invalid attribute 'name' in 'attribute_permissions'","Invalid attribute 'crapattribute' in 'attribute_permissions'"]}}"#)
    }

    @Test(arguments: [
        (#"{"role": "r", "permission": {"super_user": false}}"#, true),
        (#"{"role": "r", "permission": {"structure_user": true}}"#, true),
        (#"{"role": "r", "permission": {"structure_user": ["dev"]}}"#, true),
        (#"{"role": "r", "permission": {"super_user": true}}"#, true),
        (#"{"role": "r", "permission": {"dev": {"tables": {"dog": {"read": true, "insert": false, "update": false, "delete": false, "attribute_permissions": null}}}}}"#, true),
    ])
    func validRoles(json: String, valid: Bool) throws {
        #expect(try Self.validate(json).isValid == valid)
    }

    @Test func mainProblems() throws {
        let result = try Self.validate(#"{"foo": 1, "bar": 2, "role": "bad name", "id": "x!", "permission": {"super_user": true, "cluster_user": 1, "structure_user": "yes"}}"#)
        #expect(result.main == [
            "Invalid keys in JSON body - 'foo', 'bar'", "Role is invalid", "Id is invalid",
            "Roles with 'super_user' set to true cannot have other permissions set.",
            "Value for 'cluster_user' permission must be a boolean",
            "Value for 'structure_user' permission must be a boolean or Array",
        ])
        #expect(try Self.validate(#"{"permission": {}}"#).main == ["Role can't be blank"])
        #expect(try Self.validate(#"{"role": "r"}"#, adding: false).main == ["Id can't be blank", "Permission can't be blank"])
        #expect(try Self.validate(#"{"role": "r", "permission": {"structure_user": ["nope"]}}"#).main == ["database 'nope' does not exist"])
    }

    @Test func tableProblems() throws {
        let result = try Self.validate(#"""
            {"role": "r", "permission": {"dev": {"tables": {
              "dog": {"read": "yes", "insert": true, "delete": false, "color": true,
                      "attribute_permissions": [{"attribute_name": "age", "read": true, "insert": 1, "shade": true}, {"read": true}]},
              "breed": {"read": false, "insert": true, "update": true, "delete": true, "attribute_permissions": [{"attribute_name": "name", "read": true, "insert": true, "update": true}]}}}}}
            """#)
        #expect(result.main == [])
        #expect(result.schema.map(\.key) == ["dev_dog", "dev_breed"])
        #expect(result.schema[0].problems == [
            "Invalid table permission key value 'color'", "Table READ permission must be a boolean", "Missing table UPDATE permission",
            "Invalid attribute permission key value 'shade'", "INSERT attribute permission for 'age' must be a boolean",
            "UPDATE attribute permission missing for 'age'",
            "Permission object in 'attribute_permission' missing an 'attribute_name'",
        ])
        #expect(result.schema[1].problems == ["You have a conflict with TABLE permissions for 'dev.breed' being false and ATTRIBUTE permissions being true"])
        // No `attribute_permissions`: no attribute restrictions (the getting-started guide's role).
        #expect(try Self.validate(#"{"role": "r", "permission": {"dev": {"tables": {"dog": {"read": true, "insert": true, "update": true, "delete": true}}}}}"#).isValid)
        #expect(try Self.validate(#"{"role": "r", "permission": {"dev": {"tables": {"dog": {"read": true, "insert": true, "update": true, "delete": true, "attribute_permissions": "all"}}}}}"#).schema[0].problems
            == ["Value for 'attribute_permissions' must be an array"])
        // An unknown attribute is reported alone: no flag checks, no conflict.
        #expect(try Self.validate(#"{"role": "r", "permission": {"dev": {"tables": {"dog": {"read": false, "insert": false, "update": false, "delete": false, "attribute_permissions": [{"attribute_name": "nope", "read": true}]}}}}}"#).schema[0].problems
            == ["Invalid attribute 'nope' in 'attribute_permissions'"])
    }
}
