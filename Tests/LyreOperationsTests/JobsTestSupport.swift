import Foundation
import LyreCore
import LyreTestSupport
import Testing

/// Helpers shared by the job tests: start a job, poll `get_job` until it finishes.
extension TestApplication {
    /// Posts a job operation and returns its id, checking the §1.2 response shape.
    func startJob(_ json: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let response = await post(json)
        #expect(response.status == 200, "\(response)", sourceLocation: sourceLocation)
        let id = try #require(response.json["job_id"]?.stringValue, "\(response)", sourceLocation: sourceLocation)
        #expect(response.text == #"{"message":"Starting job with id \#(id)","job_id":"\#(id)"}"#, sourceLocation: sourceLocation)
        return id
    }

    /// The job record from `get_job`.
    func job(_ id: String) async -> Value {
        await post(#"{"operation":"get_job","id":"\#(id)"}"#).json.arrayValue?.first ?? .null
    }

    /// Polls `get_job` until the job is no longer CREATED/IN_PROGRESS (300 s at most).
    func waitForJob(_ id: String, whileRunning: ((Value) -> Void)? = nil) async throws -> Value {
        try await LyreOperationsTests.waitForJob(id, post: { await self.post($0) }, whileRunning: whileRunning)
    }

    /// Starts a job and waits for it to finish.
    func runJob(_ json: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> Value {
        try await waitForJob(try await startJob(json, sourceLocation: sourceLocation))
    }

    /// Creates `dev.<table>` with primary key `id`.
    func makeTable(_ table: String, database: String = "dev") async {
        _ = await post(#"{"operation":"create_database","database":"\#(database)"}"#)
        let r = await post(#"{"operation":"create_table","database":"\#(database)","table":"\#(table)","primary_key":"id"}"#)
        #expect(r.status == 200, "\(r)")
    }

    /// `search_by_id` for `ids` with explicit attributes, as JSON text.
    func read(_ table: String, ids: String, attributes: String, database: String = "dev") async -> String {
        await post(#"{"operation":"search_by_id","database":"\#(database)","table":"\#(table)","ids":\#(ids),"get_attributes":\#(attributes)}"#).text
    }
}

/// A fresh folder for files a test writes (CSV inputs, exports).
struct TemporaryFolder: ~Copyable {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "lyre-jobs-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ text: String) throws -> String {
        let file = path + "/" + name
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        return file
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// JSON text escaped for embedding in a JSON string literal.
func jsonString(_ text: String) -> String { JSON.string(.string(text)) }

/// Polls `get_job` through `post` until the job is no longer CREATED/IN_PROGRESS (300 s
/// at most), for any way of reaching the application.
func waitForJob(_ id: String, post: (String) async -> TestResponse,
                whileRunning: ((Value) -> Void)? = nil) async throws -> Value {
    func job() async -> Value {
        await post(#"{"operation":"get_job","id":"\#(id)"}"#).json.arrayValue?.first ?? .null
    }
    let deadline = ContinuousClock.now + .seconds(300) // generous: CI machines are shared
    while ContinuousClock.now < deadline {
        let job = await job()
        let status = job["status"]?.stringValue
        if status != "CREATED" && status != "IN_PROGRESS" && status != nil { return job }
        whileRunning?(job)
        try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("job \(id) did not finish")
    return await job()
}
