import Foundation
import Synchronization
import LyreCore
import LyreTestSupport
import Testing

/// Runs `Resources/statements/*.test`: whole SQL statements through the `sql` operation
/// (`Application.handle`, no sockets) against a fixture database, comparing the exact
/// response (status and JSON text).
///
/// The fixture is `Resources/statements/fixture.jsonl`: one operation per line (NoSQL setup,
/// sql.md §12.1 plus a table of mixed types, missing attributes and nulls). It is built once per
/// test run and shared by every read-only file; a file starting with `isolated` gets its own
/// freshly built copy and runs its statements in order, so writes see each other and nothing else.
///
/// File format, one case per line (blank lines and `#` comments ignored):
///
///     isolated                         (first directive) run on a private fixture; writes allowed
///     <sql> => <json>                  status 200 and exactly this body
///     <sql> => <status> <json>         that status and exactly this body
///
/// The first ` => ` separates statement and expectation. Values of `__createdtime__` and
/// `__updatedtime__` that are real clock readings (≥ 10^12 ms) are compared as `"<time>"`.
/// A failure names `file:line`.
@Suite struct SQLStatementTests {
    static let directory = Bundle.module.url(forResource: "statements", withExtension: nil, subdirectory: "Resources")

    static var files: [String] {
        guard let dir = directory else { return [] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".test") }.sorted()
    }

    /// The read-only fixture, built on first use and removed when the test process exits.
    static let shared = Task { () throws -> TestApplication in
        let app = try await fixture()
        sharedRoot.withLock { $0 = app.root }
        atexit {
            if let root = SQLStatementTests.sharedRoot.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: root) }
        }
        return app
    }
    static let sharedRoot = Mutex<String?>(nil)

    /// A new application on its own temporary root holding the fixture.
    static func fixture() async throws -> TestApplication {
        let url = try #require(directory?.appendingPathComponent("fixture.jsonl"))
        let lyre = try TestApplication()
        for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") where !line.hasPrefix("#") {
            let r = await lyre.post(String(line))
            try #require(r.status == 200, "fixture: \(line) → \(r)")
        }
        return lyre
    }

    @Test func filesArePresent() {
        #expect(Self.files.count >= 8)
    }

    @Test(arguments: files)
    func run(file: String) async throws {
        let url = try #require(Self.directory?.appendingPathComponent(file))
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        let isolated = lines.first { !$0.isEmpty && !$0.hasPrefix("#") }?.trimmingCharacters(in: .whitespaces) == "isolated"
        let lyre = isolated ? try await Self.fixture() : try await Self.shared.value
        var cases = 0
        for (n, raw) in lines.enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            let place = "\(file):\(n + 1)"
            if line.isEmpty || line.hasPrefix("#") || line == "isolated" { continue }
            guard let arrow = line.range(of: " => ") else {
                Issue.record("\(place): no ' => ' in line")
                continue
            }
            let sql = String(line[..<arrow.lowerBound])
            var expected = String(line[arrow.upperBound...])
            var status = 200
            if let space = expected.firstIndex(of: " "), let s = Int(expected[..<space]) {
                status = s
                expected = String(expected[expected.index(after: space)...])
            }
            if !isolated, Self.writes(sql) {
                Issue.record("\(place): a write in a shared file; start the file with `isolated`")
                continue
            }
            cases += 1
            let response = await lyre.post(.object(JSONObject([("operation", "sql"), ("sql", .string(sql))])))
            let actual = Self.normalizingTimes(response.text)
            #expect(response.status == status && actual == expected,
                    "\(place): \(sql)\n  got      \(response.status) \(actual)\n  expected \(status) \(expected)")
        }
        #expect(cases > 0, "\(file) has no cases")
    }

    static func writes(_ sql: String) -> Bool {
        let word = sql.prefix { !$0.isWhitespace }.uppercased()
        return ["INSERT", "UPDATE", "DELETE"].contains(word)
    }

    /// The body with clock readings in the timestamp attributes replaced by `"<time>"`.
    static func normalizingTimes(_ text: String) -> String {
        guard text.contains("__createdtime__") || text.contains("__updatedtime__"), let value = try? JSON.parse(Array(text.utf8)) else {
            return text
        }
        func walk(_ v: Value) -> Value {
            switch v {
            case .array(let items): return .array(items.map(walk))
            case .object(let o):
                return .object(JSONObject(o.entries.map { entry in
                    if entry.key == "__createdtime__" || entry.key == "__updatedtime__", let d = entry.value.doubleValue, d >= 1e12 {
                        return (entry.key, .string("<time>"))
                    }
                    return (entry.key, walk(entry.value))
                }))
            default: return v
            }
        }
        return JSON.string(walk(value))
    }
}
