import LyreAuth
import LyreCore
import Testing

@Suite struct PermissionSetTests {
    static func permissions(_ json: String) throws -> PermissionSet {
        PermissionSet(try #require(try JSON.parse(json).objectValue))
    }

    static let developer = #"""
        { "super_user": false, "dev": { "tables": {
            "dog": { "read": true, "insert": true, "update": true, "delete": false,
                     "attribute_permissions": [ { "attribute_name": "name", "read": true, "insert": true, "update": false },
                                                { "attribute_name": "age", "read": false, "insert": false, "update": false },
                                                { "attribute_name": "__createdtime__", "read": true, "insert": true, "update": true } ] },
            "cat": { "read": false, "insert": false, "update": false, "delete": false, "attribute_permissions": [] },
            "breed": { "read": true, "insert": false, "update": false, "delete": false, "attribute_permissions": null } } } }
        """#

    @Test func superUserIsAllowedEverything() throws {
        let p = try Self.permissions(#"{"super_user": true}"#)
        #expect(p.isSuperUser)
        #expect(p.denial(database: "any", table: "thing", primaryKey: "id", required: [.delete]) == nil)
    }

    @Test func invisibleDatabaseAndTableAreReportedAsMissing() throws {
        let p = try Self.permissions(Self.developer)
        #expect(p.denial(database: "prod", table: "dog", primaryKey: nil, required: [.read])
            == .refused(unauthorizedAccess: [], invalidSchemaItems: ["database 'prod' does not exist"]))
        #expect(p.denial(database: "dev", table: "cat", primaryKey: nil, required: [.read])
            == .refused(unauthorizedAccess: [], invalidSchemaItems: ["Table 'dev.cat' does not exist"]))
    }

    @Test func missingTableRightIsReportedAlone() throws {
        let p = try Self.permissions(Self.developer)
        #expect(p.denial(database: "dev", table: "dog", primaryKey: "id", required: [.delete])
            == .refused(unauthorizedAccess: [TableRefusal(database: "dev", table: "dog", requiredTablePermissions: [.delete])],
                        invalidSchemaItems: []))
        #expect(p.denial(database: "dev", table: "breed", primaryKey: "id", required: [.insert, .update])
            == .refused(unauthorizedAccess: [TableRefusal(database: "dev", table: "breed", requiredTablePermissions: [.insert, .update])],
                        invalidSchemaItems: []))
    }

    @Test func attributeRightsFollowTheListAndThePrimaryKeyInheritsThem() throws {
        let p = try Self.permissions(Self.developer)
        #expect(p.denial(database: "dev", table: "dog", primaryKey: "id", required: [.insert], attributes: ["id", "name"]) == nil)
        #expect(p.denial(database: "dev", table: "dog", primaryKey: "id", required: [.update], attributes: ["id", "name", "owner", "age"])
            == .refused(unauthorizedAccess: [TableRefusal(database: "dev", table: "dog", requiredTablePermissions: [],
                                                          requiredAttributePermissions: [
                                                              AttributeRefusal(attribute: "id", requiredPermissions: [.update]),
                                                              AttributeRefusal(attribute: "name", requiredPermissions: [.update]),
                                                          ])],
                        invalidSchemaItems: ["Attribute 'owner' does not exist on 'dev.dog'", "Attribute 'age' does not exist on 'dev.dog'"]))
    }

    @Test func timestampsAreReadOnlyAndRefusedInWrites() throws {
        let p = try Self.permissions(Self.developer)
        #expect(p.denial(database: "dev", table: "dog", primaryKey: "id", required: [.read], attributes: ["__createdtime__"]) == nil)
        #expect(p.denial(database: "dev", table: "dog", primaryKey: "id", required: [.insert], attributes: ["name", "__createdtime__"])
            == .timestampWrite)
    }

    @Test func starBecomesTheReadableAttributes() throws {
        let p = try Self.permissions(Self.developer)
        let all = ["id", "name", "age", "owner", "__createdtime__", "__updatedtime__"]
        #expect(p.readableAttributes(database: "dev", table: "dog", of: all, primaryKey: "id") == ["id", "name", "__createdtime__"])
        #expect(p.readableAttributes(database: "dev", table: "breed", of: all, primaryKey: "id") == all)
        #expect(p.readableAttributes(database: "dev", table: "cat", of: all, primaryKey: "id") == [])
        #expect(p.denial(database: "dev", table: "dog", primaryKey: "id", required: [.read], attributes: ["*"]) == nil)
    }

    @Test func visibility() throws {
        let p = try Self.permissions(Self.developer)
        #expect(p.isDatabaseVisible("dev"))
        #expect(!p.isDatabaseVisible("prod"))
        #expect(p.isTableVisible(database: "dev", table: "dog"))
        #expect(!p.isTableVisible(database: "dev", table: "cat"))
        #expect(p.isAttributeVisible(database: "dev", table: "dog", attribute: "name", primaryKey: "id"))
        #expect(p.isAttributeVisible(database: "dev", table: "dog", attribute: "id", primaryKey: "id"))
        #expect(!p.isAttributeVisible(database: "dev", table: "dog", attribute: "age", primaryKey: "id"))
        #expect(p.isAttributeVisible(database: "dev", table: "breed", attribute: "anything", primaryKey: "id"))
    }

    @Test func structureUsers() throws {
        let all = try Self.permissions(#"{"structure_user": true}"#)
        #expect(all.mayChangeStructure(in: "dev"))
        #expect(all.denial(database: "dev", table: "dog", primaryKey: "id", required: [.delete]) == nil)
        let some = try Self.permissions(#"{"structure_user": ["dev"]}"#)
        #expect(some.mayChangeStructure(in: "dev"))
        #expect(!some.mayChangeStructure(in: "prod"))
        #expect(some.denial(database: "prod", table: "dog", primaryKey: "id", required: [.read])
            == .refused(unauthorizedAccess: [], invalidSchemaItems: ["database 'prod' does not exist"]))
    }

    @Test func emptyPermissionHasNoRole() throws {
        #expect(try Self.permissions("{}").isEmpty)
        #expect(try !Self.permissions(#"{"super_user": false}"#).isEmpty)
    }

    @Test func refusalJSON() {
        let refusal = TableRefusal(database: "dev", table: "dog", requiredTablePermissions: [],
                                   requiredAttributePermissions: [AttributeRefusal(attribute: "age", requiredPermissions: [.insert])])
        #expect(JSON.string(refusal.json)
            == #"{"schema":"dev","table":"dog","required_table_permissions":[],"required_attribute_permissions":[{"attribute_name":"age","required_permissions":["insert"]}]}"#)
    }
}
