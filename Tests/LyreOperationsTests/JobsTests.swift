import Foundation
import LyreCore
import LyreOperations
import LyreTestSupport
import Logging
import Testing

/// The job model (bulk-and-jobs.md §1–3), `cancel_job` and `progress` (docs/jobs.md), and
/// jobs across a restart.
@Suite struct JobsTests {
    @Test func getJobErrors() async throws {
        let lyre = try TestApplication()
        let missing = await lyre.post(#"{"operation":"get_job"}"#)
        #expect(missing.status == 400)
        #expect(missing.text == #"{"error":"'id' is required"}"#)
        let empty = await lyre.post(#"{"operation":"get_job","id":""}"#)
        #expect(empty.status == 400)
        #expect(empty.text == #"{"error":"Invalid job ID specified."}"#)
        let unknown = await lyre.post(#"{"operation":"get_job","id":"4a982782-929a-4507-8794-26dae1132def"}"#)
        #expect(unknown.status == 200)
        #expect(unknown.text == "[]")
    }

    @Test func jobIDIsALowerCaseUUIDAndTheFifthWordOfTheMessage() async throws {
        let lyre = try TestApplication()
        await lyre.makeTable("dog")
        let response = await lyre.post(#"{"operation":"csv_data_load","database":"dev","table":"dog","data":"id\n1\n"}"#)
        let id = try #require(response.json["job_id"]?.stringValue)
        #expect(UUID(uuidString: id) != nil && id == id.lowercased())
        #expect(response.json["message"]?.stringValue?.split(separator: " ")[4] == Substring(id))
        _ = try await lyre.waitForJob(id)
    }

    @Test func searchJobsByStartDate() async throws {
        let lyre = try TestApplication()
        await lyre.makeTable("dog")
        let job = try await lyre.runJob(#"{"operation":"csv_data_load","database":"dev","table":"dog","data":"id\n1\n"}"#)
        let start = try #require(job["start_datetime"]?.doubleValue)
        let from = ISODate.format(start - 1000), to = ISODate.format(start + 1000)
        let found = await lyre.post(#"{"operation":"search_jobs_by_start_date","from_date":"\#(from)","to_date":"\#(to)"}"#)
        #expect(found.status == 200)
        #expect(found.json == .array([job]))
        // Exclusive bounds.
        let exact = ISODate.format(start)
        let none = await lyre.post(#"{"operation":"search_jobs_by_start_date","from_date":"\#(exact)","to_date":"\#(to)"}"#)
        #expect(none.text == "[]")
        let dateOnly = await lyre.post(#"{"operation":"search_jobs_by_start_date","from_date":"2000-01-01","to_date":"2999-01-01"}"#)
        #expect(dateOnly.json.arrayValue?.count == 1)
    }

    @Test(arguments: [
        (#"{"operation":"search_jobs_by_start_date","to_date":"2021-01-25"}"#, #"{"error":"There was an error searching jobs by date: Error: Invalid 'from' date, must be in ISO-8601 format (YYYY-MM-DD)."}"#),
        (#"{"operation":"search_jobs_by_start_date","from_date":"2021-01-25","to_date":"soon"}"#, #"{"error":"There was an error searching jobs by date: Error: Invalid 'to' date, must be in ISO-8601 format (YYYY-MM-DD)"}"#),
    ])
    func searchJobsByStartDateErrors(request: String, body: String) async throws {
        let lyre = try TestApplication()
        let response = await lyre.post(request)
        #expect(response.status == 400)
        #expect(response.text == body)
    }

    /// Harper leaves an interrupted job in its last status (inferred); Lyre marks it ERROR
    /// at the next start so clients polling it stop waiting.
    @Test func jobInterruptedByShutdownIsErrorAfterRestart_inferredStatusIsLyres() async throws {
        let root = TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var logger = Logger(label: "lyre-test")
        logger.logLevel = .critical
        let configuration = Configuration(root: root, port: 0, bootstrapAdmin: (TestApplication.adminUsername, TestApplication.adminPassword),
                                          durableWrites: false, passwordHashRounds: 100_000)
        func post(_ app: Application, _ json: String) async -> Value {
            let request = IncomingRequest(body: Array(json.utf8), authorization: TestApplication.adminAuthorization)
            let response = await app.handle(request).response()
            guard case .json(let v) = response.body else {
                if case .rawJSON(let bytes) = response.body { return (try? JSON.parse(bytes)) ?? .null }
                return .null
            }
            return v
        }

        var csv = "id,name,n\n"
        for i in 1...150_000 { csv += "\(i),name \(i),\(i * 3)\n" }
        let first = try Application(configuration: configuration, logger: logger)
        _ = await post(first, #"{"operation":"create_database","database":"dev"}"#)
        _ = await post(first, #"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#)
        let started = await post(first, #"{"operation":"csv_data_load","database":"dev","table":"dog","data":\#(jsonString(csv))}"#)
        let id = try #require(started["job_id"]?.stringValue)
        first.shutdown()

        let second = try Application(configuration: configuration, logger: logger)
        defer { second.shutdown() }
        let job = await post(second, #"{"operation":"get_job","id":"\#(id)"}"#).arrayValue?.first ?? .null
        #expect(job["status"] == "ERROR")
        #expect(job["message"] == "Job was interrupted by a shutdown or restart of the server before it finished; records written before the interruption are kept")
        #expect(job["end_datetime"]?.doubleValue != nil)
    }

    @Test func cancelStopsARunningLoadAndKeepsWhatWasCommitted() async throws {
        let lyre = try TestApplication()
        await lyre.makeTable("dog")
        var csv = "id,name\n"
        let rows = 300_000
        for i in 1...rows { csv += "\(i),name \(i)\n" }
        let id = try await lyre.startJob(#"{"operation":"csv_data_load","database":"dev","table":"dog","data":\#(jsonString(csv))}"#)
        // Wait until it writes, so the cancel lands mid-load. The deadline is for a stuck
        // load only: on a loaded machine (CI, parallel suites) the first batch can take long,
        // and what is asserted below holds whenever the cancel lands.
        let deadline = ContinuousClock.now + .seconds(600)
        var committedBeforeCancel: Int64 = 0
        while ContinuousClock.now < deadline {
            let job = await lyre.job(id)
            committedBeforeCancel = job["progress"]?["done"]?.intValue ?? 0
            if committedBeforeCancel > 0 || job["status"] != "IN_PROGRESS" && job["status"] != "CREATED" { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        let cancel = await lyre.post(#"{"operation":"cancel_job","id":"\#(id)"}"#)
        let job = await lyre.job(id)
        if job["status"] == "COMPLETE" {
            // The machine outran the test: the load finished before the cancel arrived.
            #expect(cancel.status == 400)
            return
        }
        #expect(cancel.status == 200)
        #expect(cancel.text == #"{"message":"Job \#(id) cancelled","job_id":"\#(id)"}"#)
        #expect(job["status"] == "CANCELLED")
        #expect(job["end_datetime"]?.doubleValue != nil)
        // Whole batches only: what was committed before the cancel, and none half-written.
        let count = await lyre.post(#"{"operation":"describe_table","database":"dev","table":"dog"}"#).json["record_count"]?.intValue
        #expect(count != nil)
        if let count {
            #expect(count >= committedBeforeCancel && count < rows && count % 10_000 == 0,
                    "committed \(count), \(committedBeforeCancel) before the cancel")
        }
        let again = await lyre.post(#"{"operation":"cancel_job","id":"\#(id)"}"#)
        #expect(again.status == 400)
        #expect(again.text == #"{"error":"Job '\#(id)' is not running (status CANCELLED)"}"#)
    }

    @Test func cancelUnknownJob() async throws {
        let lyre = try TestApplication()
        let response = await lyre.post(#"{"operation":"cancel_job","id":"nope"}"#)
        #expect(response.status == 404)
        #expect(response.text == #"{"error":"Job 'nope' not found"}"#)
    }

    // MARK: delete_records_before

    @Test func deleteRecordsBeforeDeletesOlderRecords() async throws {
        let lyre = try TestApplication()
        await lyre.makeTable("dog")
        _ = await lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":1},{"id":2},{"id":3}]}"#)
        try await Task.sleep(for: .milliseconds(20))
        let cutoff = ISODate.format(Date().timeIntervalSince1970 * 1000)
        try await Task.sleep(for: .milliseconds(20))
        _ = await lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":4}]}"#)
        let job = try await lyre.runJob(#"{"operation":"delete_records_before","date":"\#(cutoff)","database":"dev","table":"dog"}"#)
        #expect(job["status"] == "COMPLETE")
        #expect(job["message"] == "3 of 3 records successfully deleted")
        #expect(await lyre.read("dog", ids: "[1,2,3,4]", attributes: #"["id"]"#) == #"[{"id":4}]"#)
        let alias = try await lyre.runJob(#"{"operation":"delete_files_before","date":"\#(cutoff)","database":"dev","table":"dog"}"#)
        #expect(alias["type"] == "delete_files_before")
        #expect(alias["message"] == "No records found to delete")
    }

    @Test func deleteRecordsBeforeOneRecordIsSingular() async throws {
        let lyre = try TestApplication()
        await lyre.makeTable("dog")
        _ = await lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":1}]}"#)
        let job = try await lyre.runJob(#"{"operation":"delete_records_before","date":"2999-01-01","database":"dev","table":"dog"}"#)
        #expect(job["message"] == "1 of 1 record successfully deleted")
    }

    @Test(arguments: [
        (#"{"operation":"delete_records_before","database":"dev","table":"dog"}"#, #"{"error":"'date' is required"}"#),
        (#"{"operation":"delete_records_before","date":"last week","database":"dev","table":"dog"}"#, #"{"error":"'date' must be in ISO 8601 date format"}"#),
        (#"{"operation":"delete_records_before","date":"2021-01-25","database":"dev"}"#, #"{"error":"'table' is required"}"#),
    ])
    func deleteRecordsBeforeSynchronousErrors(request: String, body: String) async throws {
        let lyre = try TestApplication()
        let response = await lyre.post(request)
        #expect(response.status == 400)
        #expect(response.text == body)
    }

    @Test func deleteRecordsBeforeMissingTableIsAJobError_inferred() async throws {
        let lyre = try TestApplication()
        let job = try await lyre.runJob(#"{"operation":"delete_records_before","date":"2021-01-25","database":"dev","table":"x"}"#)
        #expect(job["status"] == "ERROR")
        #expect(job["message"] == "database 'dev' does not exist")
        let table = try await lyre.runJob(#"{"operation":"delete_records_before","date":"2021-01-25","table":"x"}"#)
        #expect(table["message"] == "Table 'data.x' does not exist")
    }
}
