import LyreCore
import LyreTestSupport
import Testing

/// search_by_value / search_by_conditions conformance (nosql.md §7.3–7.4), exact JSON text.
@Suite struct SearchTests {
    static let dogs = #"""
        [
          {"id": 1, "dog_name": "Penny", "owner_name": "Kyle", "breed_id": 154, "age": 7, "weight_lbs": 38, "adorable": true},
          {"id": 2, "dog_name": "Harper", "owner_name": "Stephen", "breed_id": 346, "age": 7, "weight_lbs": 55, "adorable": true},
          {"id": 3, "dog_name": "Alby", "owner_name": "Kaylan", "breed_id": 348, "age": 7, "weight_lbs": 84, "adorable": false},
          {"id": 4, "dog_name": "Billy", "owner_name": "Zach", "breed_id": 347, "age": 6, "weight_lbs": 60, "lovable": true},
          {"id": 5, "dog_name": "Rose Merry", "owner_name": "Zach", "breed_id": 348, "age": 8, "weight_lbs": 15},
          {"id": 6, "dog_name": "Kato", "owner_name": "Kyle", "breed_id": 351, "age": 6, "weight_lbs": 32, "tags": ["small", "calm"]},
          {"id": 7, "dog_name": "Simon", "owner_name": "Fred", "breed_id": 349, "age": 3, "weight_lbs": 35, "tags": ["loud"]},
          {"id": 8, "dog_name": "Gemma", "owner_name": "Stephen", "breed_id": 350, "age": 5, "weight_lbs": 55},
          {"id": 9, "dog_name": "Yeti", "owner_name": "Jaxon", "breed_id": 200, "age": 5, "weight_lbs": 55},
          {"id": 10, "dog_name": "Monkey", "owner_name": "Aron", "breed_id": 271, "age": 7, "weight_lbs": 35},
          {"id": 11, "dog_name": "Bode", "owner_name": "Margo", "breed_id": 104, "age": 8, "weight_lbs": 75},
          {"id": 12, "dog_name": "Tucker", "owner_name": "David", "breed_id": 346, "age": 2, "weight_lbs": 60},
          {"id": 13, "dog_name": "Jagger", "owner_name": "Margo", "breed_id": 155, "age": 7, "weight_lbs": 35},
          {"id": 14, "dog_name": "Ky", "owner_name": " ", "breed_id": "011", "age": 0, "weight_lbs": 0},
          {"id": 15, "dog_name": "*star", "owner_name": "", "breed_id": 11, "age": 1, "weight_lbs": 1.5}
        ]
        """#

    static func app() async throws -> TestApplication {
        let lyre = try TestApplication()
        _ = await lyre.post(#"{"operation": "create_database", "database": "dev"}"#)
        _ = await lyre.post(#"{"operation": "create_table", "database": "dev", "table": "dog", "primary_key": "id"}"#)
        let inserted = await lyre.post(#"{"operation": "insert", "database": "dev", "table": "dog", "records": \#(dogs)}"#)
        #expect(inserted.status == 200)
        return lyre
    }

    static func byValue(_ fields: String) -> String {
        #"{"operation": "search_by_value", "database": "dev", "table": "dog", "get_attributes": ["id"], "# + fields + "}"
    }

    static func byConditions(_ fields: String) -> String {
        #"{"operation": "search_by_conditions", "database": "dev", "table": "dog", "get_attributes": ["id"], "# + fields + "}"
    }

    static func ids(_ list: [Int]) -> String {
        "[" + list.map { #"{"id":\#($0)}"# }.joined(separator: ",") + "]"
    }

    // MARK: search_by_value

    @Test(arguments: [
        (#""attribute": "owner_name", "value": "Kyle""#, [1, 6]),
        (#""attribute": "owner_name", "value": "Ky*""#, [1, 6]),
        (#""attribute": "owner_name", "value": "*n""#, [10, 9, 3, 2, 8]),
        (#""attribute": "owner_name", "value": "*a*""#, [12, 9, 3, 11, 13, 4, 5]),
        (#""attribute": "dog_name", "value": "**star""#, [15]),
        (#""attribute": "dog_name", "value": "K*y""#, []),
        (#""attribute": "owner_name", "value": " ""#, [14]),
        (#""attribute": "owner_name", "value": """#, [15]),
        (#""attribute": "breed_id", "value": "011""#, [14]),
        (#""attribute": "breed_id", "value": 11"#, [15]),
        (#""attribute": "age", "value": 0"#, [14]),
        (#""attribute": "adorable", "value": true"#, [1, 2]),
        (#""attribute": "tags", "value": "loud""#, [7]),
        (#""attribute": "weight_lbs", "value": "*5""#, [15, 5, 7, 10, 13, 2, 8, 9, 11]),
        (#""search_attribute": "id", "search_value": 3"#, [3]),
        (#""attribute": "id", "value": "*""#, Array(1...15)),
        (#""attribute": "dog_name", "value": "*", "limit": 3, "offset": 2"#, [3, 4, 5]),
        (#""attribute": "age", "value": "*", "reverse": true, "limit": 2"#, [15, 14]),
        (#""attribute": "owner_name", "value": "Z*", "desc": true"#, [5, 4]),
        (#""attribute": "owner_name", "value": "*a*", "sort": {"attribute": "age", "descending": true}"#, [5, 11, 3, 13, 4, 9, 12]),
    ])
    func searchByValue(_ fields: String, _ expected: [Int]) async throws {
        let lyre = try await Self.app()
        let response = await lyre.post(Self.byValue(fields))
        #expect(response.status == 200)
        #expect(response.text == Self.ids(expected))
    }

    @Test func searchByValueReturnsFullRecordsWithoutGetAttributes() async throws {
        let lyre = try await Self.app()
        let response = await lyre.post(#"{"operation": "search_by_value", "database": "dev", "table": "dog", "attribute": "id", "value": 7}"#)
        let record = response.json.arrayValue?.first
        #expect(record?["dog_name"] == "Simon")
        #expect(record?["tags"] == ["loud"])
        #expect(record?.objectValue?.keys.prefix(3) == ["id", "dog_name", "owner_name"])
    }

    @Test func searchByValueStarReturnsEveryTableAttributeWithMissingAsNullInferred() async throws {
        let lyre = try await Self.app()
        let response = await lyre.post(#"{"operation": "search_by_value", "database": "dev", "table": "dog", "attribute": "id", "value": 7, "get_attributes": ["*"]}"#)
        let record = response.json.arrayValue?.first?.objectValue
        #expect(record?["lovable"] == .null)
        #expect(record?["dog_name"] == "Simon")
    }

    @Test(arguments: [
        (#"{"operation": "search_by_value", "database": "dev", "table": "dog", "value": 1}"#, 400, "'attribute' is required"),
        (#"{"operation": "search_by_value", "database": "dev", "table": "dog", "attribute": "id"}"#, 400, "'value' is required"),
        (#"{"operation": "search_by_value", "database": "dev", "table": "dog"}"#, 400, "'attribute' is required. 'value' is required"),
        (#"{"operation": "search_by_value", "database": "dev", "table": "dog", "attribute": "nope", "value": 1}"#, 400, "unknown attribute 'nope'"),
        (#"{"operation": "search_by_value", "database": "dev", "table": "dog", "attribute": "id", "value": 1, "get_attributes": ["x", "y"]}"#, 400, "unknown attribute 'x and y'"),
        (#"{"operation": "search_by_value", "database": "dev", "table": "dog", "attribute": "id", "value": 1, "limit": 0}"#, 400, "'limit' must be greater than or equal to 1"),
        (#"{"operation": "search_by_value", "database": "dev", "table": "dog", "attribute": "id", "value": 1, "offset": -1}"#, 400, "'offset' must be greater than or equal to 0"),
        (#"{"operation": "search_by_value", "database": "nope", "table": "dog", "attribute": "id", "value": 1}"#, 404, "database 'nope' does not exist"),
        (#"{"operation": "search_by_value", "database": "dev", "table": "cat", "attribute": "id", "value": 1}"#, 404, "Table 'dev.cat' does not exist"),
    ])
    func searchByValueErrors(_ body: String, _ status: Int, _ message: String) async throws {
        let lyre = try await Self.app()
        let response = await lyre.post(body)
        #expect(response.status == status)
        #expect(response.json == ["error": .string(message)])
    }

    // MARK: search_by_conditions

    @Test(arguments: [
        (#""conditions": [{"attribute": "age", "comparator": "equals", "value": 5}]"#, [8, 9]),
        (#""conditions": [{"attribute": "dog_name", "comparator": "contains", "value": "e"}]"#, [1, 2, 5, 8, 9, 10, 11, 12, 13]),
        (#""conditions": [{"attribute": "dog_name", "comparator": "starts_with", "value": "B"}]"#, [4, 11]),
        (#""conditions": [{"attribute": "dog_name", "comparator": "ends_with", "value": "y"}]"#, [1, 3, 4, 5, 10, 14]),
        (#""conditions": [{"attribute": "weight_lbs", "comparator": "greater_than", "value": 60}]"#, [11, 3]),
        (#""conditions": [{"attribute": "weight_lbs", "comparator": "greater_than_equal", "value": 60}]"#, [4, 12, 11, 3]),
        (#""conditions": [{"attribute": "age", "comparator": "less_than", "value": 2}]"#, [14, 15]),
        (#""conditions": [{"attribute": "age", "comparator": "less_than_equal", "value": 2}]"#, [14, 15, 12]),
        (#""conditions": [{"attribute": "age", "comparator": "between", "value": [5, 6]}]"#, [8, 9, 4, 6]),
        (#""conditions": [{"attribute": "owner_name", "comparator": "between", "value": ["A", "F"]}]"#, [10, 12]),
        (#""conditions": [{"attribute": "age", "comparator": "not_equal", "value": 7}]"#, [4, 5, 6, 7, 8, 9, 11, 12, 14, 15]),
        (#""conditions": [{"attribute": "adorable", "comparator": "not_equal", "value": "x"}]"#, Array(1...15)),
        (#""conditions": [{"search_attribute": "breed_id", "search_type": "equals", "search_value": "011"}]"#, [14]),
        (#""conditions": [{"attribute": "age", "value": 8}]"#, [5, 11]),
        (#""operator": "OR", "conditions": [{"attribute": "age", "comparator": "equals", "value": 8}, {"attribute": "dog_name", "comparator": "equals", "value": "Yeti"}]"#, [9, 5, 11]),
        (#""conditions": [{"attribute": "age", "comparator": "between", "value": [5, 8]}, {"attribute": "weight_lbs", "comparator": "greater_than", "value": 40}, {"operator": "or", "conditions": [{"attribute": "adorable", "comparator": "equals", "value": true}, {"attribute": "lovable", "comparator": "equals", "value": true}]}]"#, [4, 2]),
        (#""conditions": [{"attribute": "owner_name", "comparator": "contains", "value": "a"}, {"attribute": "age", "comparator": "greater_than", "value": 6}]"#, [3, 13, 5, 11]),
        (#""sort": {"attribute": "weight_lbs", "next": {"attribute": "age", "descending": true}}, "conditions": [{"attribute": "age", "comparator": "greater_than", "value": 4}]"#, [5, 6, 10, 13, 1, 2, 8, 9, 4, 11, 3]),
        (#""sort": {"attribute": "id", "descending": true}, "limit": 3, "offset": 1, "conditions": [{"attribute": "age", "comparator": "greater_than", "value": 4}]"#, [11, 10, 9]),
        (#""limit": 2, "conditions": [{"attribute": "tags", "comparator": "equals", "value": "calm"}]"#, [6]),
    ])
    func searchByConditions(_ fields: String, _ expected: [Int]) async throws {
        let lyre = try await Self.app()
        let response = await lyre.post(Self.byConditions(fields))
        #expect(response.status == 200, "\(response)")
        #expect(response.text == Self.ids(expected))
    }

    @Test(arguments: [
        (#""conditions": [{"attribute": "age", "comparator": "between", "value": [5, 5]}]"#, "[{\"id\":8,\"age\":5},{\"id\":9,\"age\":5}]"),
        (#""conditions": [{"attribute": "dog_name", "comparator": "equals", "value": "Kato"}], "get_attributes": ["dog_name", "missing_attr"]"#, ""),
    ])
    func searchByConditionsProjection(_ fields: String, _ expected: String) async throws {
        let lyre = try await Self.app()
        let body = #"{"operation": "search_by_conditions", "database": "dev", "table": "dog", "get_attributes": ["id", "age"], "# + fields + "}"
        let response = await lyre.post(body)
        if expected.isEmpty {
            #expect(response.status == 400)
            #expect(response.json == ["error": "unknown attribute 'missing_attr'"])
        } else {
            #expect(response.text == expected)
        }
    }

    @Test(arguments: [
        (#"{"operation": "search_by_conditions", "database": "dev", "table": "dog"}"#, 400, "'conditions' is required"),
        (#"{"operation": "search_by_conditions", "database": "dev", "table": "dog", "conditions": []}"#, 400, "'conditions' must contain at least 1 items"),
        (#"{"operation": "search_by_conditions", "database": "dev", "table": "dog", "operator": "xor", "conditions": [{"attribute": "age", "value": 1}]}"#, 400, "'operator' must be one of [and, or]"),
        (#"{"operation": "search_by_conditions", "database": "dev", "table": "dog", "conditions": [{"attribute": "age", "comparator": "like", "value": 1}]}"#, 400,
         "'conditions[0].comparator' must be one of [equals, contains, starts_with, ends_with, greater_than, greater_than_equal, less_than, less_than_equal, between, not_equal]"),
        (#"{"operation": "search_by_conditions", "database": "dev", "table": "dog", "conditions": [{"attribute": "age", "comparator": "greater_than", "value": true}]}"#, 400, "'conditions[0].value' must be a string or number"),
        (#"{"operation": "search_by_conditions", "database": "dev", "table": "dog", "conditions": [{"attribute": "age", "comparator": "between", "value": [1]}]}"#, 400, "'conditions[0].value' must be an array of two strings or numbers"),
        (#"{"operation": "search_by_conditions", "database": "dev", "table": "dog", "limit": 0, "conditions": [{"attribute": "age", "value": 1}]}"#, 400, "'limit' must be greater than or equal to 1"),
        (#"{"operation": "search_by_conditions", "database": "dev", "table": "dog", "offset": -2, "conditions": [{"attribute": "age", "value": 1}]}"#, 400, "'offset' must be greater than or equal to 0"),
        (#"{"operation": "search_by_conditions", "database": "dev", "table": "dog", "conditions": [{"attribute": "nope", "value": 1}]}"#, 400, "unknown attribute 'nope'"),
        (#"{"operation": "search_by_conditions", "database": "dev", "table": "dog", "sort": {"attribute": "nope"}, "conditions": [{"attribute": "age", "value": 1}]}"#, 404, "nope is not a defined attribute"),
        (#"{"operation": "search_by_conditions", "database": "dev", "table": "cat", "conditions": [{"attribute": "age", "value": 1}]}"#, 400, "Table cat not found"),
        (#"{"operation": "search_by_conditions", "database": "nope", "table": "cat", "conditions": [{"attribute": "age", "value": 1}]}"#, 404, "database 'nope' does not exist"),
    ])
    func searchByConditionsErrors(_ body: String, _ status: Int, _ message: String) async throws {
        let lyre = try await Self.app()
        let response = await lyre.post(body)
        #expect(response.status == status)
        #expect(response.json == ["error": .string(message)])
    }

    @Test func orGroupWithOneConditionIsRefusedInferred() async throws {
        let lyre = try await Self.app()
        let response = await lyre.post(Self.byConditions(#""conditions": [{"operator": "or", "conditions": [{"attribute": "age", "value": 1}]}]"#))
        #expect(response.status == 400)
        #expect(response.json == ["error": #"An "or" operator requires at least two conditions"#])
    }

    @Test func implicitOrderFollowsTheFirstIndexableConditionInferred() async throws {
        let lyre = try await Self.app()
        // contains cannot use a range: the order comes from the between on owner_name.
        let response = await lyre.post(Self.byConditions(#""conditions": [{"attribute": "dog_name", "comparator": "contains", "value": "a"}, {"attribute": "owner_name", "comparator": "between", "value": ["A", "Z"]}]"#))
        #expect(response.text == Self.ids([6, 13, 2, 8]))
    }
}
