import Foundation
import LyreCore
import LyreOperations
import LyreTestSupport
import Testing

/// `csv_url_load` (bulk-and-jobs.md §7) against a local HTTP server started by each test:
/// the download streams into the same parser, typing and batching as the other CSV loads,
/// and every download failure ends the job `ERROR` with the spec's text, writing nothing.
@Suite struct CSVURLLoadTests {
    private func load(_ lyre: TestApplication, _ url: String, extra: String = "") async throws -> Value {
        try await lyre.runJob(#"{"operation":"csv_url_load","database":"dev","table":"dog","csv_url":"\#(url)"\#(extra)}"#)
    }

    @Test func loadsTypedRecordsAndSendsPassthroughHeaders() async throws {
        let csv = "id,name,good,born\n1,Penny,true,2021-01-25T23:05:27.464Z\n2,\"Kato, the dog\",FALSE,011\n"
        let server = try await StaticHTTPServer(routes: ["/dogs.csv": .init(contentType: "text/csv; charset=utf-8",
                                                                          body: .bytes(Array(csv.utf8)))])
        defer { server.close() }
        let lyre = try TestApplication()
        await lyre.makeTable("dog")
        let job = try await load(lyre, server.url("/dogs.csv"),
                                 extra: #","action":"insert","passthrough_headers":{"X-Token":"secret-1"}"#)
        #expect(job["status"] == "COMPLETE")
        #expect(job["type"] == "csv_url_load")
        #expect(job["message"] == "successfully loaded 2 of 2 records")
        #expect(await lyre.read("dog", ids: "[1,2]", attributes: #"["id","name","good","born"]"#) == #"""
            [{"id":1,"name":"Penny","good":true,"born":"2021-01-25T23:05:27.464Z"},{"id":2,"name":"Kato, the dog","good":false,"born":"011"}]
            """#)
        let headers = try #require(server.requestHeaders("/dogs.csv"))
        #expect(headers.contains { $0.0.lowercased() == "x-token" && $0.1 == "secret-1" })
        // The spool file is gone once the job ended.
        let spool = (try? FileManager.default.contentsOfDirectory(atPath: lyre.root + "/tmp")) ?? []
        #expect(spool.isEmpty)
    }

    /// A chunked body of about 4 MB whose chunk boundaries fall inside rows and quoted cells.
    @Test func streamsALargeChunkedBody() async throws {
        let rowsPerChunk = 1_000
        let chunks = 40
        let server = try await StaticHTTPServer(routes: ["/big.csv": .init(contentType: "application/octet-stream", body: .chunked(count: chunks + 1) { i in
            // Chunk i holds rows i*1000+1 ... (i+1)*1000, but shifted by 7 bytes so cells are cut.
            func rows(_ c: Int) -> [UInt8] {
                guard c < chunks else { return [] }
                var text = c == 0 ? "id,name,score,notes\r\n" : ""
                for r in 1...rowsPerChunk {
                    let id = c * rowsPerChunk + r
                    text += "\(id),name \(id),\(Double(id % 1000) / 8),\"free text, row \(id) with \"\"quotes\"\" and padding padding padding padding padding\"\r\n"
                }
                return Array(text.utf8)
            }
            let whole = rows(i)
            let previous = rows(i - 1)
            // Send the last 7 bytes of the previous chunk first, and hold back this chunk's last 7.
            let head = i == 0 ? [] : Array(previous.suffix(7))
            let body = i == chunks ? [] : Array(whole.dropLast(7))
            return head + body
        })])
        defer { server.close() }
        let lyre = try TestApplication()
        await lyre.makeTable("dog")
        let job = try await load(lyre, server.url("/big.csv"))
        #expect(job["status"] == "COMPLETE", "\(job)")
        #expect(job["message"] == "successfully loaded 40000 of 40000 records")
        #expect(await lyre.read("dog", ids: "[1,39999]", attributes: #"["id","score","notes"]"#) == #"""
            [{"id":1,"score":0.125,"notes":"free text, row 1 with \"quotes\" and padding padding padding padding padding"},\#
            {"id":39999,"score":124.875,"notes":"free text, row 39999 with \"quotes\" and padding padding padding padding padding"}]
            """#)
        let count = await lyre.post(#"{"operation":"sql","sql":"SELECT COUNT(*) AS n FROM dev.dog"}"#)
        #expect(count.text == #"[{"n":40000}]"#)
    }

    @Test func notFoundEndsTheJobWithTheStatus() async throws {
        let server = try await StaticHTTPServer(routes: [:])
        defer { server.close() }
        let lyre = try TestApplication()
        await lyre.makeTable("dog")
        let url = server.url("/missing.csv")
        let job = try await load(lyre, url)
        #expect(job["status"] == "ERROR")
        #expect(job["message"] == .string("CSV Load failed from URL: \(url), status code: 404, message: Not Found"))
    }

    @Test func unsupportedContentTypeEndsTheJob() async throws {
        let server = try await StaticHTTPServer(routes: ["/page": .init(contentType: "text/html", body: .bytes(Array("<p>hi</p>".utf8)))])
        defer { server.close() }
        let lyre = try TestApplication()
        await lyre.makeTable("dog")
        let url = server.url("/page")
        let job = try await load(lyre, url)
        #expect(job["status"] == "ERROR")
        #expect(job["message"] == .string("CSV Load failed from URL: \(url), unsupported content type: text/html"))
    }

    /// docs/compatibility.md: any 2xx, and no Content-Type, are accepted.
    @Test func anySuccessStatusAndNoContentTypeAreAccepted() async throws {
        let server = try await StaticHTTPServer(routes: ["/dogs": .init(status: 203, contentType: nil, body: .bytes(Array("id\n7\n".utf8)))])
        defer { server.close() }
        let lyre = try TestApplication()
        await lyre.makeTable("dog")
        let job = try await load(lyre, server.url("/dogs"))
        #expect(job["status"] == "COMPLETE", "\(job)")
        #expect(job["message"] == "successfully loaded 1 of 1 records")
    }

    @Test func emptyBodyEndsTheJob() async throws {
        let server = try await StaticHTTPServer(routes: ["/empty.csv": .init(body: .bytes([]))])
        defer { server.close() }
        let lyre = try TestApplication()
        await lyre.makeTable("dog")
        let url = server.url("/empty.csv")
        let job = try await load(lyre, url)
        #expect(job["status"] == "ERROR")
        #expect(job["message"] == .string("CSV Load failed from URL: \(url), no csv found at url"))
    }

    @Test func unreachablePortEndsTheJob() async throws {
        // A port that was just free: bind, note it, close.
        let server = try await StaticHTTPServer(routes: [:])
        let url = server.url("/dogs.csv")
        server.close()
        try await Task.sleep(for: .milliseconds(50))
        let lyre = try TestApplication()
        await lyre.makeTable("dog")
        let job = try await load(lyre, url)
        #expect(job["status"] == "ERROR")
        #expect(job["message"] == .string("Error downloading CSV file from \(url), status code: ECONNREFUSED. Check the log for more information."))
    }

    @Test func badRowInTheDownloadWritesNothing() async throws {
        let csv = "id,name\n1,a\n2,b\n\"3,c\n"
        let server = try await StaticHTTPServer(routes: ["/bad.csv": .init(contentType: "text/plain", body: .bytes(Array(csv.utf8)))])
        defer { server.close() }
        let lyre = try TestApplication()
        await lyre.makeTable("dog")
        let job = try await load(lyre, server.url("/bad.csv"))
        #expect(job["status"] == "ERROR")
        #expect(job["message"]?.stringValue?.hasPrefix("Malformed CSV at line 4") == true, "\(job)")
        #expect(await lyre.read("dog", ids: "[1,2]", attributes: #"["id"]"#) == "[]")
    }

    @Test func nonSuperUserNeedsTheTableRight() async throws {
        let lyre = try TestApplication()
        await lyre.makeTable("dog")
        let auth = try await lyre.addUser("rita", password: "pw", role: "reader",
                                          permission: #"{"dev":{"tables":{"dog":{"read":true,"insert":false,"update":false,"delete":false,"attribute_permissions":[]}}}}"#)
        let response = await lyre.post(#"{"operation":"csv_url_load","action":"insert","database":"dev","table":"dog","csv_url":"http://127.0.0.1:1/x.csv"}"#,
                                       authorization: auth)
        #expect(response.status == 403)
        #expect(response.text == #"{"error":"This operation is not authorized due to role restrictions and/or invalid database items","unauthorized_access":[{"schema":"dev","table":"dog","required_table_permissions":["insert"],"required_attribute_permissions":[]}],"invalid_schema_items":[]}"#)
    }
}
