import Foundation
import LyreCore
import LyreTestSupport
import Testing

/// What a client polling `get_job` sees (bulk-and-jobs.md §1.3, docs/jobs.md): only
/// `IN_PROGRESS`, then `COMPLETE` or `ERROR`, also for a job queued behind running ones.
@Suite struct JobStatusTests {
    @Test func aQueuedJobIsInProgressAndNotStarted() async throws {
        let lyre = try await TestServer()
        _ = await lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#)
        // Two downloads held open keep both job slots busy until the test releases them.
        let release = StaticHTTPServer.Release()
        let source = try await StaticHTTPServer(routes: [
            "/a.csv": .init(body: .held(Array("id,name\n1,a\n".utf8), release: release)),
            "/b.csv": .init(body: .held(Array("id,name\n2,b\n".utf8), release: release)),
        ])
        defer {
            release.open()
            source.close()
        }
        var ids: [String] = []
        for path in ["/a.csv", "/b.csv"] {
            let r = await lyre.post(#"{"operation":"csv_url_load","database":"dev","table":"dog","csv_url":"\#(source.url(path))"}"#)
            ids.append(try #require(r.json["job_id"]?.stringValue, "\(r)"))
        }
        let queued = await lyre.post(#"{"operation":"csv_data_load","database":"dev","table":"dog","data":"id,name\n3,c\n"}"#)
        let queuedID = try #require(queued.json["job_id"]?.stringValue, "\(queued)")
        ids.append(queuedID)

        let waiting = try #require(await lyre.post(#"{"operation":"get_job","id":"\#(queuedID)"}"#).json[0])
        #expect(waiting["status"] == "IN_PROGRESS")
        #expect(waiting["start_datetime"] == nil)
        #expect(waiting["progress"] == ["done": 0, "total": nil, "started": false])
        #expect(waiting.objectValue?.keys == ["id", "type", "user", "status", "created_datetime", "job_body", "progress",
                                              "__createdtime__", "__updatedtime__"])
        // The running ones say they started.
        for id in ids.prefix(2) {
            var started: Value?
            for _ in 0..<200 {
                let job = await lyre.post(#"{"operation":"get_job","id":"\#(id)"}"#).json[0]
                #expect(job?["status"] == "IN_PROGRESS")
                started = job?["progress"]?["started"]
                if started == true { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(started == true)
        }

        release.open()
        var finished: Set<String> = []
        for _ in 0..<500 where finished.count < ids.count {
            for id in ids where !finished.contains(id) {
                let status = await lyre.post(#"{"operation":"get_job","id":"\#(id)"}"#).json[0]?["status"]
                #expect(status == "IN_PROGRESS" || status == "COMPLETE", "\(id): \(String(describing: status))")
                if status == "COMPLETE" { finished.insert(id) }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(finished.count == ids.count)
        #expect(await lyre.post(#"{"operation":"search_by_id","database":"dev","table":"dog","ids":[1,2,3],"get_attributes":["id","name"]}"#).text
            == #"[{"id":1,"name":"a"},{"id":2,"name":"b"},{"id":3,"name":"c"}]"#)
    }
}
