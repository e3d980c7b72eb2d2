import LyreCore
import LyreSQL
import Testing

private let cast = TestJSON.v("""
[{"id":101,"name":"Ann Lee","character":"Pilot","order":0},
 {"id":102,"name":"Bo Chen","character":"Medic","order":1},
 {"id":103,"name":"Cy Diaz","character":"Guard","order":2}]
""")

private func run(_ expression: String, _ input: Value) throws -> Value? {
    try SearchJSON.evaluate(expression: expression, on: input)
}

/// A case: expression and expected JSON text; `nil` means *undefined*.
struct JSONataCase: CustomTestStringConvertible, Sendable {
    var expression: String
    var expected: String?
    init(_ expression: String, _ expected: String?) {
        self.expression = expression
        self.expected = expected
    }
    var testDescription: String { expression }
}

@Suite struct JSONataSpecExampleTests {
    /// sql-functions.md §8.1, over the three-actor array.
    static let castCases: [JSONataCase] = [
        .init("[name]", #"["Ann Lee","Bo Chen","Cy Diaz"]"#),
        .init("name", #"["Ann Lee","Bo Chen","Cy Diaz"]"#),
        .init("$count(id)", "3"),
        .init(#"$[name="Bo Chen"]"#, #"{"id":102,"name":"Bo Chen","character":"Medic","order":1}"#),
        .init(#"$[name="Nobody"]"#, nil),
        .init("$[order>0].name", #"["Bo Chen","Cy Diaz"]"#),
        .init(#"$[name in ["Ann Lee", "Cy Diaz"]].{"actor": name, "character": character}"#,
              #"[{"actor":"Ann Lee","character":"Pilot"},{"actor":"Cy Diaz","character":"Guard"}]"#),
        .init(#"$count($[name in ["Ann Lee", "Cy Diaz"]])"#, "2"),
        .init(#"$[$substring(name, 0, 2) = "Bo"].name"#, #""Bo Chen""#),
        .init("$[id > 101 and order < 2].name", #""Bo Chen""#),
        .init("$sum(order)", "3"),
        .init("$max(id)", "103"),
        .init(#"$join(name, "; ")"#, #""Ann Lee; Bo Chen; Cy Diaz""#),
        .init("$[0]", #"{"id":101,"name":"Ann Lee","character":"Pilot","order":0}"#),
        .init("$[-1].name", #""Cy Diaz""#),
    ]

    @Test(arguments: castCases)
    func castExamples(_ c: JSONataCase) throws {
        #expect(try run(c.expression, cast) == c.expected.map(TestJSON.v))
    }

    @Test func oneElementArrayGivesItemNotArray() throws {
        let one = TestJSON.v(#"[{"id":101,"name":"Ann Lee"}]"#)
        #expect(try run("name", one) == "Ann Lee")
        #expect(try run("[name]", one) == ["Ann Lee"])
    }

    @Test func countOfEmptyArrayIsZero() throws {
        #expect(try run("$count(id)", []) == 0)
    }

    @Test func stringArrayMembership() throws {
        #expect(try run(#""Harper" in *"#, ["Harper", "Penny"]) == true)
        #expect(try run(#""Harper" in *"#, ["Penny"]) == false)
        #expect(try run(#""Harper" in $"#, ["Harper", "Penny"]) == true)
    }

    @Test func nullInput() throws {
        #expect(try run("$", .null) == .null)
        #expect(try run("name", .null) == nil)
        #expect(try run("$count($)", .null) == 1)
        #expect(try run("$[0]", .null) == .null)
    }

    @Test func stringsAreNotParsedAsJSON() throws {
        #expect(try run("a.b", #"{"a":{"b":1}}"#) == nil)
    }

    @Test func sqlConformanceFirstTag() throws {
        #expect(try run("$[0]", ["good", "loyal"]) == "good")
    }
}

@Suite struct JSONataPathTests {
    @Test func flatteningOfNestedArrays() throws {
        let input = TestJSON.v(#"[{"a":{"b":1}},{"a":{"b":[2,3]}},{"a":{}}]"#)
        #expect(try run("a.b", input) == [1, 2, 3])
    }

    @Test func singleArrayValueIsKeptAsArray() throws {
        #expect(try run("a.b", TestJSON.v(#"{"a":{"b":[2,3]}}"#)) == [2, 3])
        #expect(try run("a.b[0]", TestJSON.v(#"{"a":{"b":[2,3]}}"#)) == 2)
    }

    @Test func undefinedIsDistinctFromNull() throws {
        let input = TestJSON.v(#"{"a":null}"#)
        #expect(try run("a", input) == .null)
        #expect(try run("b", input) == nil)
        #expect(try run("$exists(a)", input) == true)
        #expect(try run("$exists(b)", input) == false)
    }

    @Test func wildcardOverObject() throws {
        let input = TestJSON.v(#"{"a":1,"b":[2,[3]],"c":"x"}"#)
        #expect(try run("*", input) == [1, 2, 3, "x"])
        #expect(try run("*", "scalar") == nil)
    }

    @Test func backquotedNamesAndRoot() throws {
        let input = TestJSON.v(#"{"first name":"Ann","list":[{"v":1},{"v":2}]}"#)
        #expect(try run("`first name`", input) == "Ann")
        #expect(try run("list.($$.`first name` & v)", input) == ["Ann1", "Ann2"])
    }

    @Test func indexesAndFilters() throws {
        let input = TestJSON.v(#"{"xs":[10,20,30,40]}"#)
        #expect(try run("xs[1]", input) == 20)
        #expect(try run("xs[-1]", input) == 40)
        #expect(try run("xs[[0,2]]", input) == [10, 30])
        #expect(try run("xs[$ > 15]", input) == [20, 30, 40])
        #expect(try run("xs[9]", input) == nil)
        #expect(try run("xs[]", TestJSON.v(#"{"xs":5}"#)) == [5])
    }

    @Test func arrayConstructorAsLastStepIsNotFlattened() throws {
        let input = TestJSON.v(#"[{"a":1,"b":2},{"a":3,"b":4}]"#)
        #expect(try run("$.[a, b]", input) == [[1, 2], [3, 4]])
        #expect(try run("[1, [2, 3], 4..5]", .null) == [1, [2, 3], 4, 5])
        #expect(try run("[]", .null) == [])
    }

    @Test func objectConstructorGroupsAtTopLevel() throws {
        #expect(try run(#"{"n": $count(id), "first": $[0].name}"#, cast) == ["n": 3, "first": "Ann Lee"])
        #expect(try run("$.{character: id}", cast) == [["Pilot": 101], ["Medic": 102], ["Guard": 103]])
        #expect(try run("${character: id}", cast) == ["Pilot": 101, "Medic": 102, "Guard": 103])
    }
}

@Suite struct JSONataOperatorTests {
    static let cases: [JSONataCase] = [
        .init("1 + 2 * 3", "7"),
        .init("(1 + 2) * 3", "9"),
        .init("7 % 3", "1"),
        .init("10 / 4", "2.5"),
        .init("-(2)", "-2"),
        .init(#""a" & 1 & true & null"#, #""a1truenull""#),
        .init(#""x" & nothing"#, #""x""#),
        .init("1 = 1.0", "true"),
        .init(#"1 = "1""#, "false"),
        .init(#"[1,{"a":2}] = [1,{"a":2}]"#, "true"),
        .init("nothing = nothing", "false"),
        .init("1 != 2", "true"),
        .init(#""B" < "a""#, "true"),
        .init("2 >= 2", "true"),
        .init("nothing < 3", nil),
        .init("3 in [1,2,3]", "true"),
        .init("3 in 3", "true"),
        .init(#"{"a":1} in [{"a":1}]"#, "false"),
        .init(#""" or 0 or false or null or [] or {}"#, "false"),
        .init(#""x" and 1"#, "true"),
        .init("true ? 1 : 2", "1"),
        .init("false ? 1", nil),
        .init("($x := 5; $x * 2)", "10"),
    ]

    @Test(arguments: cases)
    func operators(_ c: JSONataCase) throws {
        #expect(try run(c.expression, .null) == c.expected.map(TestJSON.v))
    }

    @Test(arguments: [#""5" * 2"#, #""a" < 1"#, "null < 1", "true > false", "1 + [1]", "-\"x\"", "1/0"])
    func runtimeErrors(_ expression: String) {
        #expect(throws: LyreError.self) { try run(expression, .null) }
    }

    /// Found by the jsonata fuzz target: these produced an infinity, which JSON writes as
    /// `null` (so the answer did not read back as what was computed).
    @Test(arguments: ["$round(2.5, 716)", "$sum([1e308, 1e308])", "$average([1e308, 1e308])"])
    func resultsTooLargeForJSONAreNumberOutOfRange(_ expression: String) throws {
        do {
            _ = try run(expression, .null)
            Issue.record("expected D1001")
        } catch let error as LyreError {
            #expect(error.status == 400)
            #expect(error.message.contains("D1001") || error.message.contains("Number out of range"), "\(error.message)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
        #expect(try run("$round(2.5, 300)", .null) == 2.5)
    }

    @Test(arguments: ["", "   ", "a.", "$[", "(1", "1 +", "{\"a\" 1}", "$x(", "\"open", "a ! b", "1.2.3"])
    func syntaxErrors(_ expression: String) {
        #expect(throws: LyreError.self) { try JSONataExpression(expression) }
    }

    @Test func errorsAre400WithClearText() {
        do {
            _ = try run(#""a" < 1"#, .null)
            Issue.record("expected an error")
        } catch let error as LyreError {
            #expect(error.status == 400)
            #expect(error.message.contains("must be of the same data type"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func nonStringExpressionIsRejected() {
        #expect(throws: LyreError.self) { try SearchJSON.call(expression: 5, value: .null) }
        #expect(throws: LyreError.self) { try SearchJSON.call(expression: "", value: .null) }
    }

    @Test func compiledExpressionIsReusedPerRow() throws {
        let expression = try JSONataExpression("$count($[age > 30])")
        #expect(try expression.evaluate(on: TestJSON.v(#"[{"age":31},{"age":40},{"age":2}]"#)) == 2)
        #expect(try expression.evaluate(on: TestJSON.v(#"[{"age":1}]"#)) == 0)
        #expect(expression.text == "$count($[age > 30])")
    }
}

@Suite struct JSONataFunctionTests {
    static let cases: [JSONataCase] = [
        .init(#"$substring("database", 4)"#, #""base""#),
        .init(#"$substring("database", -4, 2)"#, #""ba""#),
        .init(#"$substring("database", 1, 0)"#, #""""#),
        .init(#"$substringBefore("a-b", "-")"#, #""a""#),
        .init(#"$substringAfter("a-b", "-")"#, #""b""#),
        .init(#"$uppercase("MiXed")"#, #""MIXED""#),
        .init(#"$lowercase("MiXed")"#, #""mixed""#),
        .init(#"$length("héllo")"#, "5"),
        .init(#"$length("")"#, "0"),
        .init(#"$trim("  a   b  ")"#, #""a b""#),
        .init(#"$contains("Harper", "arp")"#, "true"),
        .init(#"$contains("Harper", /^har/i)"#, "true"),
        .init(#"$contains("Harper", /^har/)"#, "false"),
        .init(#"$split("a,b,c", ",")"#, #"["a","b","c"]"#),
        .init(#"$replace("a.b.c", ".", "::")"#, #""a::b::c""#),
        .init("$string(5)", #""5""#),
        .init("$string(0.1 + 0.2)", #""0.3""#),
        .init(#"$string({"a":[1,"x",null]})"#, #""{\"a\":[1,\"x\",null]}""#),
        .init("$string(1e21)", #""1e+21""#),
        .init("$string(0.0000001)", #""1e-7""#),
        .init(#"$string("s")"#, #""s""#),
        .init(#"$number("42.5")"#, "42.5"),
        .init("$number(true)", "1"),
        .init("$boolean(0)", "false"),
        .init(#"$boolean("x")"#, "true"),
        .init("$not(true)", "false"),
        .init("$exists(nothing)", "false"),
        .init("$count([1,2,3])", "3"),
        .init("$count(nothing)", "0"),
        .init("$count(5)", "1"),
        .init("$sum([])", "0"),
        .init("$sum(nothing)", nil),
        .init("$sum([1.5, 2])", "3.5"),
        .init("$max([])", nil),
        .init("$max([3, 9, 4])", "9"),
        .init("$min([3, 9, 4])", "3"),
        .init("$average([1, 2, 3, 4])", "2.5"),
        .init("$average([])", nil),
        .init(#"$join(["a","b"])"#, #""ab""#),
        .init("$sort([3, 1, 2])", "[1,2,3]"),
        .init(#"$sort(["b", "a", "C"])"#, #"["C","a","b"]"#),
        .init("$sort([3, 1, 2], function($a, $b) { $a < $b })", "[3,2,1]"),
        .init(#"$distinct([1, 2, 1, "1", [1], [1]])"#, #"[1,2,"1",[1]]"#),
        .init("$reverse([1, 2, 3])", "[3,2,1]"),
        .init(#"$keys({"a":1,"b":2})"#, #"["a","b"]"#),
        .init(#"$keys({"a":1})"#, #""a""#),
        .init("$round(2.5)", "2"),
        .init("$round(3.5)", "4"),
        .init("$round(-2.5)", "-2"),
        .init("$round(1.005, 2)", "1"),
        .init("$round(3.14159, 2)", "3.14"),
        .init("$round(1250, -2)", "1200"),
        .init("$floor(-4.1)", "-5"),
        .init("$ceil(4.1)", "5"),
        .init("$abs(-7.25)", "7.25"),
        .init("$sqrt(81)", "9"),
        .init("$power(2, 8)", "256"),
        .init("$map([1, 2, 3], function($v) { $v * 10 })", "[10,20,30]"),
        .init("$map([1, 2, 3], function($v, $i) { $i })", "[0,1,2]"),
        .init("$filter([1, 2, 3, 4], function($v) { $v % 2 = 0 })", "[2,4]"),
        .init("$filter([1, 2, 3], function($v) { $v > 2 })", "3"),
        .init(#"$map(["a", "b"], $uppercase)"#, #"["A","B"]"#),
        .init("$append([1, 2], 3)", "[1,2,3]"),
        .init(#"$merge([{"a":1},{"b":2}])"#, #"{"a":1,"b":2}"#),
        .init(#"$lookup({"a":1}, "a")"#, "1"),
        .init(#""abc" ~> $uppercase()"#, #""ABC""#),
        .init(#"$uppercase(nothing)"#, nil),
    ]

    @Test(arguments: cases)
    func functions(_ c: JSONataCase) throws {
        #expect(try run(c.expression, .null) == c.expected.map(TestJSON.v))
    }

    @Test func contextIsTheDefaultArgument() throws {
        #expect(try run("name.$uppercase()", TestJSON.v(#"{"name":"ann"}"#)) == "ANN")
        #expect(try run("names.$length()", TestJSON.v(#"{"names":["ab","cde"]}"#)) == [2, 3])
    }

    @Test(arguments: [#"$sum(["a"])"#, "$uppercase(5)", #"$number("abc")"#, #"$join([1])"#,
                      #"$sort([1, "a"])"#, "$nosuch(1)", "$string(1/0)"])
    func functionErrors(_ expression: String) {
        #expect(throws: LyreError.self) { try run(expression, .null) }
    }
}

/// Issue 16 §1: JSONata's parser and evaluator are bounded.
@Suite struct JSONataDepthTests {
    private func error(_ expression: String) -> LyreError? {
        do {
            _ = try SearchJSON.evaluate(expression: expression, on: .object(JSONObject()))
            return nil
        } catch {
            return error
        }
    }

    @Test func deepNestingIsASyntaxErrorNamingTheLimit() {
        let nested = String(repeating: "(", count: 10_000) + "1" + String(repeating: ")", count: 10_000)
        #expect(error(nested)?.message.contains("Expression nested too deeply (limit 256)") == true)
        #expect(error("1" + String(repeating: "+1", count: 100_000))?.message.contains("(limit 256)") == true)
        #expect(error(String(repeating: "-", count: 10_000) + "1")?.message.contains("(limit 256)") == true)
        #expect(error(String(repeating: "[", count: 10_000))?.status == 400)
    }

    @Test func runawayRecursionStopsWithU1001() {
        let e = error("($f := function($n) { $f($n + 1) }; $f(0))")
        #expect(e?.status == 400)
        #expect(e?.message.hasPrefix("search_json: U1001: Stack overflow error") == true)
    }

    @Test func boundedRecursionStillWorks() throws {
        let factorial = "($f := function($n) { $n <= 1 ? 1 : $n * $f($n - 1) }; $f(10))"
        #expect(try SearchJSON.evaluate(expression: factorial, on: .object(JSONObject())) == .int(3_628_800))
    }
}
