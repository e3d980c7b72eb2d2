import Foundation
import Logging
import LyreCore
import LyreOperations

/// NoSQL searches through the whole operation layer: `search_by_conditions` and
/// `search_by_value` requests decoded, validated, authorized, planned and run by an
/// `Application` on a small table of mixed types (numbers, strings, booleans, nulls, arrays,
/// objects, missing attributes).
///
/// The input picks the request: the operation, nested condition groups (attributes, known and
/// unknown comparators, values of every type, `between` pairs), `operator`, `get_attributes`,
/// `sort`, `limit` and `offset`. An input starting with `{` is sent as the request body as
/// it is instead.
///
/// Invariants: no trap; never a 5xx (bad input is the client's, sql.md/nosql.md answer 4xx);
/// a 200 answers a JSON array; the same request answers the same twice (nothing written).
enum ConditionsFuzzer {
    static let attributes: [Value] = ["id", "name", "age", "tags", "meta", "nope", "", 5, .null]
    static let comparators: [Value] = [
        "equals", "contains", "starts_with", "ends_with", "greater_than", "greater_than_equal", "less_than",
        "less_than_equal", "between", "not_equal", "EQUALS", "", "like", 3, .null,
    ]
    static let values: [Value] = [
        1, 2.5, -3, 0, "a", "Pen", "", "*", "x%", true, false, .null, [1, 5], ["a", "z"], [1], [5, 1], ["a", 1],
        .object(JSONObject([("x", 1)])), 1e308, .int(.max), .int(.min), -0.0, "\u{0}", "é",
    ]

    static func run(_ bytes: UnsafeRawBufferPointer) throws(InvariantViolation) {
        let body: [UInt8]
        if bytes.first == UInt8(ascii: "{") {
            body = Array(bytes)
        } else {
            var input = FuzzInput(bytes)
            body = JSON.encode(.object(request(&input)))
        }
        let first = SearchFixture.shared.send(body)
        try check(first.status < 500, "\(show(body)) answered \(first.status): \(show(first.body))")
        if first.status == 200 {
            try check(first.body.first == UInt8(ascii: "[") || first.body.first == UInt8(ascii: "{"),
                      "\(show(body)) answered 200 with \(show(first.body))")
        }
        let second = SearchFixture.shared.send(body)
        try check(first.status == second.status && first.body == second.body,
                  "\(show(body)) answered \(first.status) \(show(first.body)), then \(second.status) \(show(second.body))")
    }

    static func pick<T>(_ items: [T], _ input: inout FuzzInput) -> T {
        items[Int(input.byte()) % items.count]
    }

    static func request(_ input: inout FuzzInput) -> JSONObject {
        var r = JSONObject()
        let byValue = input.byte() & 3 == 0
        r["operation"] = .string(byValue ? "search_by_value" : "search_by_conditions")
        r["database"] = "dev"
        r["table"] = input.byte() & 15 == 0 ? "nope" : "dog"
        if byValue {
            r["search_attribute"] = pick(attributes, &input)
            r["search_value"] = pick(values, &input)
        } else {
            let operators: [Value] = ["and", "or", "AND", "xor", .null]
            if input.byte() & 1 == 0 { r["operator"] = pick(operators, &input) }
            r["conditions"] = .array(conditions(&input, depth: 0))
        }
        let flags = input.byte()
        switch flags & 3 {
        case 0: r["get_attributes"] = ["*"]
        case 1: r["get_attributes"] = .array((0..<(1 + Int(input.byte() % 3))).map { _ in pick(attributes, &input) })
        case 2: r["get_attributes"] = ["id", "name"]
        default: break
        }
        if flags & 4 != 0 { r["limit"] = pick([0, 1, 2, -1, 2.5, "3", .int(.max)] as [Value], &input) }
        if flags & 8 != 0 { r["offset"] = pick([0, 1, 3, -1, .int(.max)] as [Value], &input) }
        if flags & 16 != 0 {
            var sort = JSONObject()
            sort["attribute"] = pick(attributes, &input)
            if input.byte() & 1 == 0 { sort["descending"] = .bool(input.byte() & 1 == 0) }
            if input.byte() & 3 == 0 { sort["next"] = .object(JSONObject([("attribute", "id")])) }
            r["sort"] = .object(sort)
        }
        return r
    }

    static func conditions(_ input: inout FuzzInput, depth: Int) -> [Value] {
        let count = Int(input.byte() % 4)
        return (0..<count).map { _ in
            if depth < 3, input.byte() & 7 == 0 {
                var group = JSONObject()
                group["operator"] = pick(["and", "or"] as [Value], &input)
                group["conditions"] = .array(conditions(&input, depth: depth + 1))
                return .object(group)
            }
            var c = JSONObject()
            c["attribute"] = pick(attributes, &input)
            c["comparator"] = pick(comparators, &input)
            c["value"] = pick(values, &input)
            if input.byte() & 15 == 0 { c.removeValue(forKey: "value") }
            return .object(c)
        }
    }
}

/// An `Application` on a temporary root with `dev.dog`, made once per process and removed
/// at exit; requests are sent as the super user.
final class SearchFixture: Sendable {
    static let shared = SearchFixture()
    static let authorization = "Basic " + Data("admin:fuzz".utf8).base64EncodedString()

    let root: String
    let app: Application

    private init() {
        root = FileManager.default.temporaryDirectory.path + "/lyre-fuzz-search-\(getpid())"
        try? FileManager.default.removeItem(atPath: root)
        var logger = Logger(label: "lyre-fuzz")
        logger.logLevel = .critical
        do {
            app = try Application(configuration: Configuration(root: root, port: 0, bootstrapAdmin: ("admin", "fuzz"), durableWrites: false,
                                                               passwordHashRounds: 100_000),
                                  logger: logger)
        } catch {
            fatalError("lyre-fuzz: cannot create the search fixture under \(root): \(error)")
        }
        atexit { SearchFixture.removeRoot() }
        for body in [
            #"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#,
            #"{"operation":"insert","database":"dev","table":"dog","records":[{"id":1,"name":"Penny","age":5,"tags":["a","b"]},{"id":2,"name":"Pen","age":2.5,"meta":{"x":1}},{"id":3,"name":"a%b","age":"5"},{"id":4,"age":null,"tags":[1,[2]]},{"id":5,"name":"","age":true},{"id":6,"name":"é","age":-3,"tags":"a"},{"id":"k","name":"Zed","age":9223372036854775807}]}"#,
        ] {
            let answer = send(Array(body.utf8))
            guard answer.status == 200 else { fatalError("lyre-fuzz: search fixture: \(answer.status) \(String(decoding: answer.body, as: UTF8.self))") }
        }
    }

    private static func removeRoot() {
        shared.app.shutdown()
        try? FileManager.default.removeItem(atPath: shared.root)
    }

    /// Sends one request body and waits for its answer.
    func send(_ body: [UInt8]) -> (status: Int, body: [UInt8]) {
        let outcome = app.handle(IncomingRequest(body: body, authorization: Self.authorization, remoteAddress: "10.0.0.1"))
        if case .immediate(let response) = outcome, case .json(let v) = response.body { return (response.status, JSON.encode(v)) }
        if case .immediate(let response) = outcome, case .rawJSON(let b) = response.body { return (response.status, b) }
        return blocking {
            let response = await outcome.response()
            let bytes: [UInt8] = switch response.body {
            case .json(let v): JSON.encode(v)
            case .rawJSON(let b), .binary(let b): b
            case .stream(let stream): (try? await stream.collect()) ?? []
            }
            return (status: response.status, body: bytes)
        }
    }
}
