import LyreCore
import LyreOperations
import Testing

/// `lyre <operation> key=value ...` (CLI/OperationArguments.swift) and the CLI's indented
/// JSON (CLI/PrettyJSON.swift).
@Suite struct OperationArgumentsTests {
    static let valueCases: [(String, Value)] = [
        ("dev", .string("dev")),
        ("1", .int(1)),
        ("-2", .int(-2)),
        ("2.5", .double(2.5)),
        ("true", .bool(true)),
        ("false", .bool(false)),
        ("null", .null),
        ("[1,2]", [1, 2]),
        (#"[{"id":1}]"#, [["id": 1]]),
        (#"{"a":[true]}"#, ["a": [true]]),
        (#""007""#, .string("007")),
        ("007", .string("007")),
        ("", .string("")),
        ("truey", .string("truey")),
        ("nullable", .string("nullable")),
        ("-", .string("-")),
        ("[1,", .string("[1,")),
        ("Penny Lane", .string("Penny Lane")),
        ("SELECT * FROM dev.dog WHERE id = 1", .string("SELECT * FROM dev.dog WHERE id = 1")),
        ("1 2", .string("1 2")),
    ]

    @Test(arguments: valueCases)
    func valuesAreJSONWhenTheyParse(text: String, expected: Value) {
        #expect(OperationArguments.value(text) == expected)
    }

    @Test func requestKeepsOperationFirstAndArgumentOrder() throws {
        let request = try OperationArguments.request(
            operation: "insert",
            arguments: ["database=dev", "table=dog", #"records=[{"id":1,"name":"Penny"}]"#])
        #expect(JSON.string(request) == #"{"operation":"insert","database":"dev","table":"dog","records":[{"id":1,"name":"Penny"}]}"#)
    }

    @Test func valueIsSplitAtTheFirstEquals() throws {
        let request = try OperationArguments.request(operation: "sql", arguments: ["sql=SELECT * FROM dev.dog WHERE id=1"])
        #expect(request["sql"] == "SELECT * FROM dev.dog WHERE id=1")
    }

    @Test func noArgumentsGiveJustTheOperation() throws {
        #expect(JSON.string(try OperationArguments.request(operation: "describe_all", arguments: [])) == #"{"operation":"describe_all"}"#)
    }

    static let malformedCases: [([String], String)] = [
        (["database"], "'database' is not key=value (e.g. database=dev)"),
        (["=dev"], "'=dev' has no key before '='"),
        (["table=a", "table=b"], "'table' is given more than once"),
        (["operation=drop_database"], "give the operation as the first argument, not as operation="),
    ]

    @Test(arguments: malformedCases)
    func malformedArgumentsAreRejected(arguments: [String], message: String) {
        #expect(throws: OperationArguments.Failure(message)) {
            try OperationArguments.request(operation: "describe_table", arguments: arguments)
        }
    }

    @Test func emptyOperationIsRejected() {
        #expect(throws: OperationArguments.Failure.self) { try OperationArguments.request(operation: "", arguments: []) }
    }

    @Test func prettyJSONIndentsLikeJavaScript() throws {
        let value = try JSON.parse(#"{"a":1,"b":[true,null,"x\"y"],"c":{},"d":[],"e":{"f":2.5,"g":[{"h":1e21}]}}"#)
        #expect(PrettyJSON.string(value) == """
            {
              "a": 1,
              "b": [
                true,
                null,
                "x\\"y"
              ],
              "c": {},
              "d": [],
              "e": {
                "f": 2.5,
                "g": [
                  {
                    "h": 1e+21
                  }
                ]
              }
            }
            """)
    }

    @Test func prettyJSONOfScalarsIsCompact() {
        #expect(PrettyJSON.string("Penny") == #""Penny""#)
        #expect(PrettyJSON.string(38.0) == "38")
        #expect(PrettyJSON.string([]) == "[]")
    }

    @Test func prettyJSONParsesBackToTheSameValue() throws {
        let value = try JSON.parse(#"[{"id":1,"nested":{"list":[1,[2,[3]],{"k":"v"}]}},"ü/\n"]"#)
        #expect(try JSON.parse(PrettyJSON.string(value)) == value)
        #expect(try JSON.parse(PrettyJSON.string(value, indent: 4)) == value)
    }
}
