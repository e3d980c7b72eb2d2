#if canImport(Glibc)
import Glibc
#endif
import Foundation
import LyreCore

/// A black-box fuzzer of the real `lyre` binary over HTTP (docs/fuzzing.md, "HTTP fuzzer"):
/// for every operation it sends mutated versions of a valid request (wrong JSON types,
/// missing and extra fields, extreme numbers, long, empty and odd strings, deep nesting,
/// huge arrays), SQL, conditions and CSV built to break parsers, and malformed HTTP
/// (framing, headers, tokens, pipelining), while slow clients dribble bytes in the
/// background. After every request it checks the server answered (no close without a
/// reply), with a status below 500, and that it still answers `describe_all` quickly.
///
/// Deterministic from its seed (the choices, not the server's timing). Every failing
/// request is written, byte for byte, to `logDirectory` (`failure-N.http`, the reason in
/// `failures.txt`) for `replay(file:port:)`.
public final class OperationFuzzer: @unchecked Sendable {
    // @unchecked: one run at a time, on one thread (the slow clients have their own state).

    public struct Failure: Sendable, CustomStringConvertible {
        public var index: Int
        public var family: String
        public var reason: String
        public var file: String
        public var description: String { "#\(index) [\(family)] \(reason) (\(file))" }
    }

    public static let families = ["schema", "records", "search", "conditions", "sql", "csv", "jobs",
                                  "logs", "config", "security", "system", "cluster", "misc", "http"]

    public let port: Int
    public let logDirectory: String
    /// A folder the fuzzer may let the server write into (exports, CSV files).
    public let scratchDirectory: String
    /// How long a request may take before it counts as a stall.
    public var requestTimeout: Double = 30
    /// How long `describe_all` may take after a request.
    public var livenessTimeout: Double = 10
    var random: SplitMix64
    var failures: [Failure] = []
    /// Requests sent and the statuses answered (`0`: closed without a reply where that is
    /// allowed), for a run's summary.
    public private(set) var sent = 0
    public private(set) var statuses: [Int: Int] = [:]
    var jobID = "00000000-0000-0000-0000-000000000000"

    public init(port: Int, seed: UInt64, logDirectory: String, scratchDirectory: String) {
        self.port = port
        self.logDirectory = logDirectory
        self.scratchDirectory = scratchDirectory
        random = SplitMix64(seed: seed)
        try? FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true)
        try? FileManager.default.createDirectory(atPath: scratchDirectory, withIntermediateDirectories: true)
    }

    // MARK: Running

    /// Sends up to `requests` requests of `families` (all when empty), stopping at `seconds`,
    /// with `slowClients` connections dribbling one byte a second meanwhile. Returns the
    /// failures (also logged). Blocking: call it off the cooperative pool.
    public func run(requests: Int, seconds: Double, families: [String] = [], slowClients: Int = 2) -> [Failure] {
        let chosen = families.isEmpty ? Self.families : families.filter { Self.families.contains($0) }
        let deadline = Date().addingTimeInterval(seconds)
        let slow = SlowClients(port: port, count: slowClients)
        slow.start()
        defer { slow.stop() }
        setUpFixtures()
        for index in 0..<requests where Date() < deadline {
            if index % 40 == 39 { setUpFixtures() }
            let family = chosen[Int(random.next() % UInt64(chosen.count))]
            let request = makeRequest(family)
            check(request, index: index, family: family)
            if !alive() {
                record(index: index, family: family, reason: "server stopped answering describe_all after this request", bytes: request.bytes)
                break
            }
        }
        if !alive() { record(index: -1, family: "slow", reason: "server not answering at the end", bytes: []) }
        return failures
    }

    /// Sends a logged request again; its replies.
    public static func replay(file: String, port: Int, timeout: Double = 30) throws -> [Reply] {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
        return exchange(port: port, bytes: bytes, responses: 8, halfClose: true, timeout: timeout)
    }

    struct FuzzRequest {
        var bytes: [UInt8]
        /// Complete requests in `bytes`, each of which must be answered (0: any answer,
        /// including a close, is fine: the bytes are incomplete or the framing is refused).
        var responses: Int
        var halfClose = false
    }

    func check(_ request: FuzzRequest, index: Int, family: String) {
        // Incomplete or refused bytes need no answer: wait for one only briefly.
        let replies = Self.exchange(port: port, bytes: request.bytes, responses: max(request.responses, 1),
                                    halfClose: request.halfClose, timeout: request.responses == 0 ? min(5, requestTimeout) : requestTimeout)
        sent += 1
        for reply in replies {
            if case .response(let status, _) = reply { statuses[status, default: 0] += 1 } else { statuses[0, default: 0] += 1 }
        }
        for (n, reply) in replies.enumerated() {
            switch reply {
            case .response(let status, let body) where status >= 500:
                record(index: index, family: family, reason: "status \(status) for response \(n): \(String(decoding: body.prefix(300), as: UTF8.self))", bytes: request.bytes)
                return
            case .timedOut where request.responses > 0:
                record(index: index, family: family, reason: "no answer within \(Int(requestTimeout)) s (response \(n))", bytes: request.bytes)
                return
            case .closedWithoutReply where request.responses > n:
                record(index: index, family: family, reason: "connection closed without a reply (response \(n))", bytes: request.bytes)
                return
            default: continue
            }
        }
    }

    func alive() -> Bool {
        let body = Array(#"{"operation":"describe_all"}"#.utf8)
        let replies = Self.exchange(port: port, bytes: Self.post(body), responses: 1, halfClose: false, timeout: livenessTimeout)
        if case .response(200, _) = replies.first { return true }
        return false
    }

    func record(index: Int, family: String, reason: String, bytes: [UInt8]) {
        let file = logDirectory + "/failure-\(failures.count + 1).http"
        _ = FileManager.default.createFile(atPath: file, contents: Data(bytes))
        let line = "#\(index) [\(family)] \(reason) -> \(file)\n"
        if let handle = FileHandle(forWritingAtPath: logDirectory + "/failures.txt") {
            handle.seekToEndOfFile()
            handle.write(Data(line.utf8))
            try? handle.close()
        } else {
            _ = FileManager.default.createFile(atPath: logDirectory + "/failures.txt", contents: Data(line.utf8))
        }
        failures.append(Failure(index: index, family: family, reason: reason, file: file))
    }

    /// The tables, users, roles and job the templates name; run again now and then because
    /// mutated requests drop them.
    func setUpFixtures() {
        let setup = [
            #"{"operation":"create_database","database":"dev"}"#,
            #"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#,
            #"{"operation":"insert","database":"dev","table":"dog","records":[{"id":1,"name":"Penny","age":5,"tags":["a"]},{"id":2,"name":"Kato","age":7},{"id":"x","name":null}]}"#,
            #"{"operation":"create_table","database":"dev","table":"scratch","primary_key":"id"}"#,
            #"{"operation":"add_role","role":"fuzz_role","permission":{"super_user":false,"dev":{"tables":{"dog":{"read":true,"insert":false,"update":false,"delete":false,"attribute_permissions":[]}}}}}"#,
            #"{"operation":"add_user","role":"fuzz_role","username":"fuzz_user","password":"pass","active":true}"#,
        ]
        for body in setup { _ = Self.exchange(port: port, bytes: Self.post(Array(body.utf8)), responses: 1, halfClose: false, timeout: requestTimeout) }
        let load = #"{"operation":"csv_data_load","database":"dev","table":"dog","data":"id,name\n10,Rex\n"}"#
        if case .response(200, let body) = Self.exchange(port: port, bytes: Self.post(Array(load.utf8)), responses: 1, halfClose: false, timeout: requestTimeout).first,
           let id = (try? JSON.parse(body))?["job_id"]?.stringValue {
            jobID = id
        }
    }
}
