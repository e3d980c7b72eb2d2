import Foundation
import LyreCore
import LyreS3
import LyreTestSupport
import Testing

/// `import_from_s3` and `export_to_s3` (bulk-and-jobs.md §8, §10) through `POST /` against a
/// real S3-compatible server: moto on a free loopback port, started and stopped by each
/// test. Authentication is enforced on it (`MotoServer.enforceAuthentication`), so every
/// request Lyre makes must carry a SigV4 signature moto recomputes and accepts, from an
/// IAM user whose policy allows the action.
@Suite(.enabled(if: MotoServer.isAvailable, "moto is not installed (scripts/bootstrap installs it)"))
struct S3Tests {
    static let bucket = "lyre-bucket"

    /// A moto server with `bucket` and an IAM user allowed every S3 action; authentication on.
    static func moto(versioned: Bool = false) async throws -> (MotoServer, S3Credentials) {
        let moto = try await MotoServer()
        let created = try await moto.s3("PUT", bucket: bucket)
        guard created.status == 200 else { throw TestFailure("CreateBucket: \(created)") }
        if versioned {
            let xml = #"<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>"#
            let on = try await moto.s3("PUT", bucket: bucket, query: [("versioning", "")], body: Array(xml.utf8))
            guard on.status == 200 else { throw TestFailure("PutBucketVersioning: \(on)") }
        }
        let admin = try await moto.user("lyre", policy: MotoServer.policy(allowing: ["s3:*"]))
        try await moto.enforceAuthentication()
        return (moto, admin)
    }

    static func s3(_ moto: MotoServer, _ credentials: S3Credentials, key: String, bucket: String = bucket, endpoint: Bool = true) -> String {
        let e = endpoint ? #","endpoint":"\#(moto.endpoint)""# : ""
        return #"{"aws_access_key_id":"\#(credentials.accessKeyID)","aws_secret_access_key":"\#(credentials.secretAccessKey)","bucket":"\#(bucket)","key":"\#(key)","region":"us-east-1"\#(e)}"#
    }

    /// Starts a job and polls `get_job` until it ends; returns the job record.
    static func run(_ post: (String) async -> TestResponse, _ json: String) async throws -> Value {
        let started = await post(json)
        let id = try #require(started.json["job_id"]?.stringValue, "\(started)")
        return try await wait(post, id)
    }

    static func wait(_ post: (String) async -> TestResponse, _ id: String, seconds: Int = 120) async throws -> Value {
        for _ in 0..<(seconds * 20) {
            let job = await post(#"{"operation":"get_job","id":"\#(id)"}"#).json[0] ?? .null
            if job["status"] != "IN_PROGRESS" { return job }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("job \(id) did not finish")
    }

    static func rows(_ lyre: TestServer, _ table: String) async -> Value {
        await lyre.post(#"{"operation":"sql","sql":"SELECT * FROM dev.\#(table) ORDER BY id"}"#).json
    }

    /// Records without the engine's timestamps, their attributes in name order (a table's
    /// attribute order follows the order they arrived in, which a CSV header may change).
    static func withoutTimestamps(_ value: Value) -> [Value] {
        (value.arrayValue ?? []).map { record in
            guard case .object(let o) = record else { return record }
            var out = JSONObject()
            for key in o.keys.sorted() where key != "__createdtime__" && key != "__updatedtime__" { out[key] = o[key] }
            return .object(out)
        }
    }

    static let dogs = #"""
        [{"id":1,"name":"Penny","breed":"Whippet","age":7,"good":true,"tags":["fast","calm"],"owner":{"name":"Kyle","city":"Denver"}},
         {"id":2,"name":"Harper, the \"dog\"","breed":"Mutt","age":5.5,"good":false,"tags":[],"owner":{"name":"Zach","city":"Lisbon"}},
         {"id":3,"name":"Línea\nnueva","breed":"Galgo","age":0,"good":true,"tags":["a"],"owner":{"name":"Ana","city":"Sevilla"}}]
        """#

    /// Export a table as CSV and as JSON, import each object into a new table: same records.
    @Test func exportThenImportRoundTripsCSVAndJSON() async throws {
        let (moto, admin) = try await Self.moto()
        defer { moto.stop() }
        let lyre = try await TestServer()
        let post: (String) async -> TestResponse = { await lyre.post($0) }
        #expect(await lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#).status == 200)
        #expect(await lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":\#(Self.dogs)}"#).status == 200)
        let original = Self.withoutTimestamps(await Self.rows(lyre, "dog"))
        #expect(original.count == 3)

        for format in ["csv", "json"] {
            let search = format == "csv"
                ? #"{"operation":"search_by_conditions","database":"dev","table":"dog","get_attributes":["id","name","breed","age","good","tags","owner"],"conditions":[{"attribute":"id","comparator":"between","value":[1,3]}]}"#
                : #"{"operation":"sql","sql":"SELECT * FROM dev.dog"}"#
            let export = try await Self.run(post, #"{"operation":"export_to_s3","format":"\#(format)","s3":\#(Self.s3(moto, admin, key: "exports/dogs")),"search_operation":\#(search)}"#)
            #expect(export["status"] == "COMPLETE", "\(export)")
            #expect(export["message"] == .string("Successfully completed job: \(export["id"]?.stringValue ?? "")"))
            let result = try #require(export["result"]?.objectValue, "\(export)")
            #expect(result.keys == ["ETag", "Location", "Key", "Bucket"])
            #expect(result["Key"] == .string("exports/dogs.\(format)"))
            #expect(result["Bucket"] == .string(Self.bucket))
            #expect(result["Location"] == .string("\(moto.endpoint)/\(Self.bucket)/exports/dogs.\(format)"))
            let etag = try #require(result["ETag"]?.stringValue)
            #expect(etag.hasPrefix("\"") && etag.hasSuffix("\"") && etag.count == 34, "\(etag)")

            // The object is what export_local would have written.
            let object = try await moto.s3("GET", bucket: Self.bucket, key: "exports/dogs.\(format)", credentials: admin)
            #expect(object.status == 200)
            if format == "csv" {
                #expect(object.text.hasPrefix("id,name,breed,age,good,tags,owner\n1,Penny,Whippet,7,true,\"[\"\"fast\"\",\"\"calm\"\"]\","))
            } else {
                #expect(Self.withoutTimestamps(try JSON.parse(object.body)).count == 3)
            }

            let table = "dog_from_\(format)"
            #expect(await lyre.post(#"{"operation":"create_table","database":"dev","table":"\#(table)","primary_key":"id"}"#).status == 200)
            let load = try await Self.run(post, #"{"operation":"import_from_s3","database":"dev","table":"\#(table)","s3":\#(Self.s3(moto, admin, key: "exports/dogs." + format))}"#)
            #expect(load["status"] == "COMPLETE", "\(load)")
            #expect(load["message"] == "successfully loaded 3 of 3 records")
            #expect(Self.withoutTimestamps(await Self.rows(lyre, table)) == original, "\(format)")
        }

        // The secret is neither returned nor stored; the key id is kept for diagnosis.
        let jobs = await lyre.post(#"{"operation":"search_jobs_by_start_date","from_date":"2000-01-01","to_date":"2999-01-01"}"#)
        #expect(jobs.json.arrayValue?.count == 4)
        #expect(!jobs.text.contains(admin.secretAccessKey))
        let stored = await lyre.post(#"{"operation":"sql","sql":"SELECT * FROM system.hdb_job"}"#)
        #expect(stored.json.arrayValue?.count == 4)
        #expect(!stored.text.contains(admin.secretAccessKey), "\(stored)")
        #expect(stored.json.arrayValue?.allSatisfy { $0["request"]?["s3"]?["aws_secret_access_key"] == "****" } == true, "\(stored)")
    }

    /// A JSON object with strings that look like JSON (parsed, §8), other values kept as
    /// they are (no auto-cast of "42" or "true"), and an `upsert` over existing records.
    @Test func aJSONImportKeepsTypesAndParsesOnlyObjectAndArrayStrings() async throws {
        let (moto, admin) = try await Self.moto()
        defer { moto.stop() }
        let body = #"[{"id":1,"n":"42","b":"true","o":"{\"a\":1}","l":"[1,2]","x":null},{"id":2,"n":7}]"#
        #expect(try await moto.s3("PUT", bucket: Self.bucket, key: "in/records.json", body: Array(body.utf8), credentials: admin).status == 200)
        let lyre = try await TestServer()
        let post: (String) async -> TestResponse = { await lyre.post($0) }
        #expect(await lyre.post(#"{"operation":"create_table","database":"dev","table":"t","primary_key":"id"}"#).status == 200)
        #expect(await lyre.post(#"{"operation":"insert","database":"dev","table":"t","records":[{"id":2,"n":1,"keep":"yes"}]}"#).status == 200)
        let load = try await Self.run(post, #"{"operation":"import_from_s3","action":"upsert","database":"dev","table":"t","s3":\#(Self.s3(moto, admin, key: "in/records.json"))}"#)
        #expect(load["status"] == "COMPLETE", "\(load)")
        #expect(load["message"] == "successfully loaded 2 of 2 records")
        let rows = await lyre.post(#"{"operation":"search_by_id","database":"dev","table":"t","ids":[1,2],"get_attributes":["id","n","b","o","l","x","keep"]}"#)
        // (search_by_id lists every requested attribute; absent ones are null.)
        #expect(rows.text == #"[{"id":1,"n":"42","b":"true","o":{"a":1},"l":[1,2],"x":null,"keep":null},{"id":2,"n":7,"b":null,"o":null,"l":null,"x":null,"keep":"yes"}]"#)

        // Not an array of objects: an error, nothing written.
        for (key, text, message) in [
            ("bad/scalar.json", #"[{"id":9},5]"#, "Record 2 is not an object: the object must contain a JSON array of records, cancelling load operation"),
            ("bad/object.json", #"{"id":9}"#, "Invalid JSON at byte 0: expected '['; the object must contain a JSON array of records, cancelling load operation"),
            ("bad/open.json", #"[{"id":9},"#, "Invalid JSON at byte 10: the array is not closed; the object must contain a JSON array of records, cancelling load operation"),
        ] {
            #expect(try await moto.s3("PUT", bucket: Self.bucket, key: key, body: Array(text.utf8), credentials: admin).status == 200)
            let job = try await Self.run(post, #"{"operation":"import_from_s3","database":"dev","table":"t","s3":\#(Self.s3(moto, admin, key: key))}"#)
            #expect(job["status"] == "ERROR")
            #expect(job["message"] == .string(message), "\(key): \(job)")
        }
        #expect(await lyre.post(#"{"operation":"search_by_id","database":"dev","table":"t","ids":[9],"get_attributes":["id"]}"#).text == "[]")
    }

    /// S3's own error texts end the job; nothing is written and nothing answers 500.
    @Test func s3ErrorsBecomeTheJobsMessage() async throws {
        let (moto, admin) = try await Self.moto()
        defer { moto.stop() }
        #expect(try await moto.s3("PUT", bucket: Self.bucket, key: "dogs.csv", body: Array("id,name\n1,Penny\n".utf8), credentials: admin).status == 200)
        let lyre = try await TestServer()
        let post: (String) async -> TestResponse = { await lyre.post($0) }
        #expect(await lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#).status == 200)

        let unknown = S3Credentials(accessKeyID: "AKIANOTAKEY000000000", secretAccessKey: "nope")
        let wrongSecret = S3Credentials(accessKeyID: admin.accessKeyID, secretAccessKey: "not-the-secret")
        let cases: [(String, String)] = [
            (Self.s3(moto, admin, key: "missing.csv"), "The specified key does not exist."),
            (Self.s3(moto, admin, key: "dogs.csv", bucket: "no-such-bucket"), "The specified bucket does not exist"),
            (Self.s3(moto, unknown, key: "dogs.csv"), "The AWS Access Key Id you provided does not exist in our records."),
            (Self.s3(moto, wrongSecret, key: "dogs.csv"), "The request signature we calculated does not match the signature you provided. Check your key and signing method."),
        ]
        for (s3, message) in cases {
            let job = try await Self.run(post, #"{"operation":"import_from_s3","database":"dev","table":"dog","s3":\#(s3)}"#)
            #expect(job["status"] == "ERROR")
            #expect(job["message"] == .string(message), "\(job)")
            // An export meets the same errors (except a missing key, which it creates).
            if message != "The specified key does not exist." {
                let export = try await Self.run(post, #"{"operation":"export_to_s3","format":"json","s3":\#(s3.replacingOccurrences(of: ".csv", with: "")),"search_operation":{"operation":"sql","sql":"SELECT * FROM dev.dog"}}"#)
                #expect(export["status"] == "ERROR")
                #expect(export["message"] == .string(message), "\(export)")
            }
        }
        #expect(await lyre.post(#"{"operation":"sql","sql":"SELECT COUNT(*) AS n FROM dev.dog"}"#).text == #"[{"n":0}]"#)

        // A store that refuses connections.
        let closed = LyreProcess.freePort()
        let unreachable = Self.s3(moto, admin, key: "dogs.csv").replacingOccurrences(of: moto.endpoint, with: "http://127.0.0.1:\(closed)")
        let job = try await Self.run(post, #"{"operation":"import_from_s3","database":"dev","table":"dog","s3":\#(unreachable)}"#)
        #expect(job["message"] == "There was an error downloading 'dogs.csv' from AWS.", "\(job)")
    }

    /// An IAM user whose policy does not allow `s3:GetObject` is refused by the store.
    @Test func accessDeniedByPolicyIsTheJobsMessage() async throws {
        let moto = try await MotoServer()
        defer { moto.stop() }
        #expect(try await moto.s3("PUT", bucket: Self.bucket).status == 200)
        #expect(try await moto.s3("PUT", bucket: Self.bucket, key: "dogs.csv", body: Array("id\n1\n".utf8)).status == 200)
        let writer = try await moto.user("writer", policy: MotoServer.policy(allowing: ["s3:PutObject"]))
        try await moto.enforceAuthentication()
        let lyre = try await TestServer()
        let post: (String) async -> TestResponse = { await lyre.post($0) }
        #expect(await lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#).status == 200)
        let job = try await Self.run(post, #"{"operation":"import_from_s3","database":"dev","table":"dog","s3":\#(Self.s3(moto, writer, key: "dogs.csv"))}"#)
        #expect(job["status"] == "ERROR")
        #expect(job["message"] == "Access Denied", "\(job)")
        // The same user may upload.
        let export = try await Self.run(post, #"{"operation":"export_to_s3","format":"csv","s3":\#(Self.s3(moto, writer, key: "out")),"search_operation":{"operation":"sql","sql":"SELECT * FROM dev.dog"}}"#)
        #expect(export["status"] == "COMPLETE", "\(export)")
    }

    /// Above a part (8 MiB) the export is a multipart upload; a versioned bucket's
    /// `VersionId` is in the result. Importing it back gives every record.
    @Test func aLargeExportIsMultipartAndReportsTheVersion() async throws {
        let (moto, admin) = try await Self.moto(versioned: true)
        defer { moto.stop() }
        let lyre = try await TestServer()
        let post: (String) async -> TestResponse = { await lyre.post($0) }
        #expect(await lyre.post(#"{"operation":"create_table","database":"dev","table":"big","primary_key":"id"}"#).status == 200)
        let filler = String(repeating: "x", count: 300)
        let count = 40_000
        for start in stride(from: 0, to: count, by: 10_000) {
            let records = (start..<start + 10_000).map { #"{"id":\#($0),"text":"\#(filler)"}"# }.joined(separator: ",")
            #expect(await lyre.post(#"{"operation":"insert","database":"dev","table":"big","records":[\#(records)]}"#).status == 200)
        }
        let export = try await Self.run(post, #"{"operation":"export_to_s3","format":"json","s3":\#(Self.s3(moto, admin, key: "big")),"search_operation":{"operation":"sql","sql":"SELECT id, text FROM dev.big"}}"#)
        #expect(export["status"] == "COMPLETE", "\(export)")
        let result = try #require(export["result"]?.objectValue, "\(export)")
        #expect(result.keys == ["ETag", "VersionId", "Location", "Key", "Bucket"])
        // A multipart ETag is "<md5 of the parts' md5s>-<number of parts>": ~13 MB in 8 MiB parts.
        #expect(result["ETag"]?.stringValue?.hasSuffix("-2\"") == true, "\(result)")
        #expect(result["VersionId"]?.stringValue?.isEmpty == false)

        #expect(await lyre.post(#"{"operation":"create_table","database":"dev","table":"back","primary_key":"id"}"#).status == 200)
        let load = try await Self.run(post, #"{"operation":"import_from_s3","database":"dev","table":"back","s3":\#(Self.s3(moto, admin, key: "big.json"))}"#)
        #expect(load["message"] == .string("successfully loaded \(count) of \(count) records"), "\(load)")
        #expect(await lyre.post(#"{"operation":"sql","sql":"SELECT COUNT(*) AS n FROM dev.back"}"#).text == #"[{"n":\#(count)}]"#)
    }

    /// `cancel_job` during the write pass: what stays is a whole number of batches (5,000
    /// records for JSON), fewer than all, and the job is `CANCELLED`.
    @Test func aCancelledImportKeepsOnlyWholeBatches() async throws {
        let (moto, admin) = try await Self.moto()
        defer { moto.stop() }
        let count = 200_000
        var text = "["
        for i in 0..<count { text += (i == 0 ? "" : ",") + #"{"id":\#(i),"name":"dog \#(i)","n":\#(i % 97)}"# }
        text += "]"
        #expect(try await moto.s3("PUT", bucket: Self.bucket, key: "many.json", body: Array(text.utf8), credentials: admin).status == 200)
        let lyre = try await TestServer()
        #expect(await lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#).status == 200)
        let started = await lyre.post(#"{"operation":"import_from_s3","database":"dev","table":"dog","s3":\#(Self.s3(moto, admin, key: "many.json"))}"#)
        let id = try #require(started.json["job_id"]?.stringValue, "\(started)")
        // Wait for the write pass: the total becomes the record count.
        var writing = false
        for _ in 0..<2400 {
            let job = await lyre.post(#"{"operation":"get_job","id":"\#(id)"}"#).json[0]
            if job?["progress"]?["total"] == .int(Int64(count)) { writing = true; break }
            if job?["status"] != "IN_PROGRESS" { break }
            try await Task.sleep(for: .milliseconds(25))
        }
        try #require(writing, "the import never reached its write pass")
        let cancel = await lyre.post(#"{"operation":"cancel_job","id":"\#(id)"}"#)
        #expect(cancel.status == 200, "\(cancel)")
        let job = try await Self.wait({ await lyre.post($0) }, id)
        #expect(job["status"] == "CANCELLED", "\(job)")
        let kept = await lyre.post(#"{"operation":"sql","sql":"SELECT COUNT(*) AS n FROM dev.dog"}"#).json[0]?["n"]?.intValue ?? -1
        #expect(kept % 5_000 == 0 && kept < count, "\(kept) records kept")
    }

    /// CSV objects of 6 and 30 MB, each loaded by a fresh `lyre` binary whose endpoint comes
    /// from `AWS_ENDPOINT_URL_S3`: the server's peak RSS grows by about the same for both
    /// (a chunk, two batches, the writer's pages), not with the object, which nothing holds
    /// whole. The figures are printed to the test log.
    @Test func aLargeObjectLoadsInBoundedMemory() async throws {
        let (moto, admin) = try await Self.moto()
        defer { moto.stop() }
        var growth: [Int: (object: Int, growth: Int)] = [:]
        for count in [50_000, 250_000] {
            var csv = "id,name,breed,note\n"
            csv.reserveCapacity(count * 130)
            let note = String(repeating: "n", count: 90)
            for i in 0..<count { csv += "\(i),dog \(i),breed \(i % 50),\(note)\n" }
            let bytes = Array(csv.utf8)
            csv = ""
            let key = "large-\(count).csv"
            #expect(try await moto.s3("PUT", bucket: Self.bucket, key: key, body: bytes, credentials: admin).status == 200)

            let root = TestApplication.temporaryRoot()
            defer { try? FileManager.default.removeItem(atPath: root) }
            // The load's memory is measured, not the compaction that follows a large load
            // (`storage.compactAfterLoadRows`): it maps the whole file while the job ends.
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            try "storage:\n  compactAfterLoadRows: 0\n".write(toFile: root + "/harperdb-config.yaml", atomically: true, encoding: .utf8)
            let lyre = try await LyreProcess(root: root, port: LyreProcess.freePort(), environment: ["AWS_ENDPOINT_URL_S3": moto.endpoint])
            defer { lyre.terminate() }
            let post: (String) async -> TestResponse = { (try? await lyre.post($0)) ?? TestResponse(status: 0, headers: [], body: []) }
            #expect(await post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#).status == 200)
            let before = Self.memory(lyre.processIdentifier)
            let job = try await Self.run(post, #"{"operation":"import_from_s3","database":"dev","table":"dog","s3":\#(Self.s3(moto, admin, key: key, endpoint: false))}"#)
            let after = Self.memory(lyre.processIdentifier)
            #expect(job["message"] == .string("successfully loaded \(count) of \(count) records"), "\(job)")
            growth[count] = (bytes.count >> 20, after.peak - before.rss)
            print("S3Tests: \(bytes.count >> 20) MiB object, \(count) rows; lyre RSS before \(before.rss) MiB, peak (VmHWM) \(after.peak) MiB, after \(after.rss) MiB")
        }
        let small = try #require(growth[50_000]), large = try #require(growth[250_000])
        // Holding the object would add its whole size (24 MiB more for the larger one).
        #expect(large.growth - small.growth < (large.object - small.object) / 2,
                "peak growth \(small.growth) MiB for \(small.object) MiB, \(large.growth) MiB for \(large.object) MiB")
    }

    /// Fills `dev.<table>` with `count` records of about `size` bytes each (ids 0..<count).
    static func fill(_ post: (String) async -> TestResponse, table: String, count: Int, size: Int) async throws {
        #expect(await post(#"{"operation":"create_table","database":"dev","table":"\#(table)","primary_key":"id"}"#).status == 200)
        let filler = String(repeating: "x", count: size)
        for start in stride(from: 0, to: count, by: 5_000) {
            let records = (start..<min(count, start + 5_000)).map { #"{"id":\#($0),"name":"dog \#($0)","text":"\#(filler)"}"# }
            let r = await post(#"{"operation":"insert","database":"dev","table":"\#(table)","records":[\#(records.joined(separator: ","))]}"#)
            guard r.status == 200 else { throw TestFailure("insert: \(r.status)") }
        }
    }

    /// `cancel_job` while an export's multipart upload runs: the job ends `CANCELLED`, the
    /// upload is aborted (the bucket lists no multipart upload and has no object at the key),
    /// and the server goes on serving, exports included.
    @Test func aCancelledExportAbortsItsMultipartUpload() async throws {
        let (moto, admin) = try await Self.moto()
        defer { moto.stop() }
        let lyre = try await TestServer()
        let post: (String) async -> TestResponse = { await lyre.post($0) }
        let count = 60_000
        try await Self.fill(post, table: "big", count: count, size: 400)  // ~27 MB as JSON: 4 parts
        let started = await post(#"{"operation":"export_to_s3","format":"json","s3":\#(Self.s3(moto, admin, key: "cancelled")),"search_operation":{"operation":"sql","sql":"SELECT * FROM dev.big"}}"#)
        let id = try #require(started.json["job_id"]?.stringValue, "\(started)")
        // Wait until the store holds the upload (its first part is on its way or done).
        var uploading = false
        for _ in 0..<3000 {
            let list = try await moto.s3("GET", bucket: Self.bucket, query: [("uploads", "")], credentials: admin)
            if list.text.contains("<Upload>") { uploading = true; break }
            if await post(#"{"operation":"get_job","id":"\#(id)"}"#).json[0]?["status"] != "IN_PROGRESS" { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        try #require(uploading, "the export never started a multipart upload")
        let cancel = await post(#"{"operation":"cancel_job","id":"\#(id)"}"#)
        #expect(cancel.status == 200, "\(cancel)")
        #expect(cancel.json["message"] == .string("Job \(id) cancelled"), "\(cancel)")
        let job = try await Self.wait(post, id)
        #expect(job["status"] == "CANCELLED", "\(job)")

        let list = try await moto.s3("GET", bucket: Self.bucket, query: [("uploads", "")], credentials: admin)
        #expect(list.status == 200)
        #expect(list.text.contains("ListMultipartUploadsResult") && !list.text.contains("<Upload>"), "\(list.text)")
        let object = try await moto.s3("GET", bucket: Self.bucket, key: "cancelled.json", credentials: admin)
        #expect(object.status == 404, "\(object.status)")

        #expect(await post(#"{"operation":"sql","sql":"SELECT COUNT(*) AS n FROM dev.big"}"#).text == #"[{"n":\#(count)}]"#)
        let again = try await Self.run(post, #"{"operation":"export_to_s3","format":"csv","s3":\#(Self.s3(moto, admin, key: "after")),"search_operation":{"operation":"sql","sql":"SELECT id, name FROM dev.big WHERE id < 3"}}"#)
        #expect(again["status"] == "COMPLETE", "\(again)")
        let after = try await moto.s3("GET", bucket: Self.bucket, key: "after.csv", credentials: admin)
        #expect(after.text == "id,name\n0,dog 0\n1,dog 1\n2,dog 2\n")
    }

    /// Exports of a 50,000-record table (~75 MiB serialized) and of a 5,000-record one, by a
    /// fresh `lyre` binary each: `export_to_s3` (JSON, an `sql` search, multipart for the
    /// large one) and `export_local` (CSV, `search_by_value`, two passes). The server's peak
    /// RSS during each export grows by about the same for both sizes (a batch, a chunk, a
    /// part; the pages the reads map are released as the scan goes), not with the result,
    /// which was held whole before (with its parsed form: growth of more than twice its
    /// size). The figures are printed to the test log.
    @Test func aLargeExportStreamsInBoundedMemory() async throws {
        let (moto, admin) = try await Self.moto()
        defer { moto.stop() }
        var growth: [String: [Int: Int]] = [:]
        var sizes: [Int: Int] = [:]
        for count in [5_000, 50_000] {
            let root = TestApplication.temporaryRoot()
            defer { try? FileManager.default.removeItem(atPath: root) }
            let lyre = try await LyreProcess(root: root, port: LyreProcess.freePort(), environment: ["AWS_ENDPOINT_URL_S3": moto.endpoint])
            defer { lyre.terminate() }
            let post: (String) async -> TestResponse = { (try? await lyre.post($0)) ?? TestResponse(status: 0, headers: [], body: []) }
            try await Self.fill(post, table: "big", count: count, size: 1_500)
            let folder = root + "/exports"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let exports = [
                ("export_to_s3", #"{"operation":"export_to_s3","format":"json","s3":\#(Self.s3(moto, admin, key: "big-\(count)", endpoint: false)),"search_operation":{"operation":"sql","sql":"SELECT * FROM dev.big"}}"#),
                ("export_local", #"{"operation":"export_local","format":"csv","path":"\#(folder)","filename":"big","search_operation":{"operation":"search_by_value","database":"dev","table":"big","search_attribute":"id","search_value":"*","get_attributes":["*"]}}"#),
            ]
            for (name, request) in exports {
                Self.resetPeak(lyre.processIdentifier)
                let before = Self.memory(lyre.processIdentifier)
                let job = try await Self.run(post, request)
                let after = Self.memory(lyre.processIdentifier)
                #expect(job["status"] == "COMPLETE", "\(name): \(job)")
                growth[name, default: [:]][count] = after.peak - before.rss
                print("S3Tests: \(name) of \(count) records; lyre RSS before \(before.rss) MiB, peak (VmHWM) \(after.peak) MiB, after \(after.rss) MiB")
            }
            let attributes = try FileManager.default.attributesOfItem(atPath: folder + "/big.csv")
            sizes[count] = ((attributes[.size] as? Int) ?? 0) >> 20
            let object = try await moto.s3("GET", bucket: Self.bucket, key: "big-\(count).json", credentials: admin)
            #expect(object.status == 200)
            #expect(object.body.count > count * 1_500)
            #expect(object.body.first == UInt8(ascii: "[") && object.body.last == UInt8(ascii: "]"))
        }
        let small = try #require(sizes[5_000]), large = try #require(sizes[50_000])
        #expect(large > 70, "\(large) MiB")
        for (name, figures) in growth.sorted(by: { $0.key < $1.key }) {
            let a = try #require(figures[5_000]), b = try #require(figures[50_000])
            print("S3Tests: \(name) peak growth \(a) MiB for \(small) MiB, \(b) MiB for \(large) MiB")
            // Holding the result adds more than its size (67 MiB more for the larger one): the
            // code that held it grew by 133 (export_local) and 317 MiB (export_to_s3) more.
            #expect(b - a < large - small, "\(name): peak growth \(a) MiB for \(small) MiB, \(b) MiB for \(large) MiB")
        }
    }

    /// Resets a process's peak RSS (VmHWM) to its current RSS (Linux ≥ 4.0, `clear_refs` 5).
    static func resetPeak(_ pid: Int32) {
        let fd = open("/proc/\(pid)/clear_refs", O_WRONLY)
        guard fd >= 0 else { return }
        _ = [UInt8(ascii: "5")].withUnsafeBytes { write(fd, $0.baseAddress, 1) }
        close(fd)
    }

    /// (VmRSS, VmHWM) of a process in MiB.
    static func memory(_ pid: Int32) -> (rss: Int, peak: Int) {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        func field(_ name: String) -> Int {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return 0 }
            return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) / 1024
        }
        return (field("VmRSS"), field("VmHWM"))
    }
}

/// The synchronous checks (400, no job) and the job-time checks that need no store.
@Suite struct S3ValidationTests {
    static let s3 = #"{"aws_access_key_id":"AKIA1","aws_secret_access_key":"s","bucket":"b","key":"dogs.csv","region":"us-east-1","endpoint":"http://127.0.0.1:1"}"#

    @Test func importFromS3RefusesBadRequestsAtOnce() async throws {
        let lyre = try await TestServer()
        #expect(await lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#).status == 200)
        let cases: [(String, String)] = [
            (#"{"operation":"import_from_s3","database":"dev","s3":\#(Self.s3)}"#, #"{"error":"Table can't be blank"}"#),
            (#"{"operation":"import_from_s3","database":"dev","table":"dog"}"#, #"{"error":"S3 aws access key id can't be blank"}"#),
            (#"{"operation":"import_from_s3","database":"dev","table":"dog","s3":{"aws_access_key_id":"A","bucket":"b","key":"k.csv","region":"r"}}"#,
             #"{"error":"S3 aws secret access key can't be blank"}"#),
            (#"{"operation":"import_from_s3","database":"dev","table":"dog","s3":{"aws_access_key_id":"A","aws_secret_access_key":"s","bucket":"b","key":"k.csv","region":""}}"#,
             #"{"error":"S3 region can't be blank"}"#),
            (#"{"operation":"import_from_s3","database":"dev","table":"dog","s3":{"aws_access_key_id":"A","aws_secret_access_key":"s","bucket":7,"key":"k.csv","region":"r"}}"#,
             #"{"error":"S3 bucket must be a string"}"#),
            (#"{"operation":"import_from_s3","database":"dev","table":"dog","s3":\#(Self.s3.replacingOccurrences(of: "dogs.csv", with: "dogs.txt"))}"#,
             #"{"error":"S3 key must include one of the following valid file extensions - '.csv', '.json'"}"#),
            (#"{"operation":"import_from_s3","database":"dev","table":"dog","s3":\#(Self.s3.replacingOccurrences(of: "http://127.0.0.1:1", with: "ftp://x"))}"#,
             #"{"error":"S3 endpoint must be an http or https URL"}"#),
            (#"{"operation":"import_from_s3","database":"dev","table":"dog","action":"merge","s3":\#(Self.s3)}"#,
             #"{"error":"Action is required and must be either insert, update, or upsert"}"#),
            (#"{"operation":"import_from_s3","database":"nope","table":"dog","s3":\#(Self.s3)}"#, #"{"error":"database 'nope' does not exist"}"#),
            (#"{"operation":"import_from_s3","database":"dev","table":"cat","s3":\#(Self.s3)}"#, #"{"error":"Table 'dev.cat' does not exist"}"#),
        ]
        for (request, answer) in cases {
            let r = await lyre.post(request)
            #expect(r.status == 400, "\(request): \(r)")
            #expect(r.text == answer, "\(request)")
        }
        #expect(await lyre.post(#"{"operation":"search_jobs_by_start_date","from_date":"2000-01-01","to_date":"2999-01-01"}"#).text == "[]")
    }

    @Test func exportToS3ChecksItsParametersWhenTheJobRuns() async throws {
        let lyre = try await TestServer()
        let search = #"{"operation":"sql","sql":"SELECT * FROM dev.dog"}"#
        let cases: [(String, String)] = [
            (#"{"operation":"export_to_s3","format":"csv","search_operation":\#(search)}"#, "S3 object is missing."),
            (#"{"operation":"export_to_s3","format":"csv","s3":{"aws_access_key_id":"A"},"search_operation":\#(search)}"#, "aws_secret_access_key is missing."),
            (#"{"operation":"export_to_s3","format":"csv","s3":{"aws_secret_access_key":"s","bucket":"b","key":"k","region":"r"},"search_operation":\#(search)}"#, "aws_access_key_id is missing."),
            (#"{"operation":"export_to_s3","format":"csv","s3":{"aws_access_key_id":"A","aws_secret_access_key":"s","key":"k","region":"r"},"search_operation":\#(search)}"#, "bucket is missing."),
            (#"{"operation":"export_to_s3","format":"csv","s3":{"aws_access_key_id":"A","aws_secret_access_key":"s","bucket":"b","region":"r"},"search_operation":\#(search)}"#, "key is missing."),
            (#"{"operation":"export_to_s3","format":"csv","s3":{"aws_access_key_id":"A","aws_secret_access_key":"s","bucket":"b","key":"k"},"search_operation":\#(search)}"#, "region is missing."),
            (#"{"operation":"export_to_s3","s3":\#(Self.s3),"search_operation":\#(search)}"#, "format missing"),
            (#"{"operation":"export_to_s3","format":"xml","s3":\#(Self.s3),"search_operation":\#(search)}"#, "format invalid. must be one of the following values: json, csv"),
            (#"{"operation":"export_to_s3","format":"csv","s3":\#(Self.s3)}"#, "search_operation.operation missing"),
            (#"{"operation":"export_to_s3","format":"csv","s3":\#(Self.s3),"search_operation":{"operation":"describe_all"}}"#,
             "searchOperation.operation must be one of the following values: search_by_value, search_by_hash, sql, search_by_conditions"),
        ]
        for (request, message) in cases {
            let job = try await S3Tests.run({ await lyre.post($0) }, request)
            #expect(job["status"] == "ERROR", "\(request)")
            #expect(job["message"] == .string(message), "\(request): \(job)")
        }
    }

    @Test func exportToS3IsForSuperUsers() async throws {
        let lyre = try await TestServer()
        #expect(await lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#).status == 200)
        let reader = try await lyre.lyre.addUser("reader", password: "pw", role: "reader",
                                                 permission: #"{"dev":{"tables":{"dog":{"read":true,"insert":false,"update":false,"delete":false}}}}"#)
        let r = await lyre.post(#"{"operation":"export_to_s3","format":"csv","s3":\#(Self.s3),"search_operation":{"operation":"search_by_value","database":"dev","table":"dog","search_attribute":"id","search_value":"*","get_attributes":["*"]}}"#,
                                authorization: reader)
        #expect(r.status == 403)
        #expect(r.text == TestApplication.refusal(access: #"["Operation 'export_to_s3' is restricted to 'super_user' roles"]"#))
        // import_from_s3 needs the table's insert and update rights, as csv_data_load.
        let load = await lyre.post(#"{"operation":"import_from_s3","database":"dev","table":"dog","s3":\#(Self.s3)}"#, authorization: reader)
        #expect(load.status == 403, "\(load)")
    }
}
