import Foundation
import LyreOperations
import LyreServer
import NIOCore
import Testing

@Suite struct HTTPConnectionHandlerTests {
    @Test func immediateResponseIsWrittenWithJSONHeaders() async throws {
        let handler = FakeHandler.ok()
        var connection = try await TestConnection(handler: handler)
        try await connection.send(post(#"{"operation":"describe_all"}"#))
        let response = try await connection.response()
        #expect(response.status == 200)
        #expect(response.text == #"{"ok":true}"#)
        #expect(response.header("content-type") == "application/json; charset=utf-8")
        #expect(response.header("content-length") == "11")
        #expect(connection.isOpen)
    }

    @Test func requestCarriesBodyAuthorizationAndIsAnsweredOnce() async throws {
        let handler = FakeHandler.ok()
        var connection = try await TestConnection(handler: handler)
        let body = #"{"operation":"create_database","database":"dev"}"#
        try await connection.send(post(body, headers: ["Authorization: Basic SERCX0FETUlOOnBhc3N3b3Jk"]))
        _ = try await connection.response()
        let requests = handler.requests
        #expect(requests.count == 1)
        #expect(requests.first?.body == Array(body.utf8))
        #expect(requests.first?.authorization == "Basic SERCX0FETUlOOnBhc3N3b3Jk")
    }

    @Test func bodyArrivingInPiecesIsAggregated() async throws {
        let handler = FakeHandler.ok()
        var connection = try await TestConnection(handler: handler)
        let body = #"{"operation":"insert","records":[1,2,3]}"#
        let request = Array(post(body).utf8)
        for index in stride(from: 0, to: request.count, by: 7) {
            try await connection.send(Array(request[index..<min(index + 7, request.count)]))
        }
        _ = try await connection.response()
        #expect(handler.requests.first?.body == Array(body.utf8))
    }

    @Test func chunkedBodyIsAggregated() async throws {
        let handler = FakeHandler.ok()
        var connection = try await TestConnection(handler: handler)
        try await connection.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                  + "5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\n")
        _ = try await connection.response()
        #expect(handler.requests.first?.body == Array(#"{"a":1}"#.utf8))
    }

    @Test func deferredResponseIsWrittenWhenTheTaskFinishes() async throws {
        let handler = FakeHandler { _ in
            .deferred {
                try? await Task.sleep(for: .milliseconds(20))
                return OutgoingResponse(body: .rawJSON(Array(#"{"message":"inserted 1 of 1 records"}"#.utf8)))
            }
        }
        var connection = try await TestConnection(handler: handler)
        try await connection.send(post(#"{"operation":"insert"}"#))
        let response = try await connection.response()
        #expect(response.status == 200)
        #expect(response.text == #"{"message":"inserted 1 of 1 records"}"#)
        #expect(connection.isOpen)
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        let handler = FakeHandler { request in
            let body = request.body
            return .deferred {
                // The first request finishes last if the server does not keep them in order.
                try? await Task.sleep(for: .milliseconds(body.count == 1 ? 30 : 1))
                return OutgoingResponse(body: .rawJSON(body))
            }
        }
        var connection = try await TestConnection(handler: handler)
        try await connection.send(post("1") + post("22"))
        #expect(try await connection.response().text == "1")
        #expect(try await connection.response().text == "22")
    }

    @Test func statusAndExtraHeadersComeFromTheResponse() async throws {
        let handler = FakeHandler { _ in
            .immediate(OutgoingResponse(status: 401, body: .rawJSON(Array(#"{"error":"Login failed"}"#.utf8)),
                                        headers: [("WWW-Authenticate", "Basic")]))
        }
        var connection = try await TestConnection(handler: handler)
        try await connection.send(post("{}"))
        let response = try await connection.response()
        #expect(response.status == 401)
        #expect(response.header("www-authenticate") == "Basic")
        #expect(response.text == #"{"error":"Login failed"}"#)
    }

    @Test func binaryBodiesAreOctetStreams() async throws {
        let bytes: [UInt8] = [0, 1, 2, 255]
        let handler = FakeHandler { _ in
            .immediate(OutgoingResponse(body: .binary(bytes),
                                        headers: [("Content-Disposition", "attachment; filename=\"dev.mdb\"")]))
        }
        var connection = try await TestConnection(handler: handler)
        try await connection.send(post(#"{"operation":"get_backup"}"#))
        let response = try await connection.response()
        #expect(response.header("content-type") == "application/octet-stream")
        #expect(response.header("content-disposition") == "attachment; filename=\"dev.mdb\"")
        #expect(response.body == bytes)
    }

    /// A file of `size` pseudo-random bytes in its own temporary folder.
    private static func temporaryFile(size: Int) throws -> (path: String, bytes: [UInt8]) {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let path = FileManager.default.temporaryDirectory.path + "/lyre-stream-\(UUID().uuidString)"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return (path, bytes)
    }

    @Test func streamedBodiesGoOutInChunksWithTheirLength() async throws {
        let chunkSize = 64 * 1024
        let (path, bytes) = try Self.temporaryFile(size: 5 * chunkSize + 123)
        let handler = FakeHandler { request in
            // The first request streams the file (and unlinks it); the next one gets a small answer.
            guard let stream = try? ByteStream(contentsOf: path, chunkSize: chunkSize, unlink: true) else {
                return .immediate(OutgoingResponse(body: .rawJSON(Array(#"{"ok":true}"#.utf8))))
            }
            return .deferred {
                OutgoingResponse(body: .stream(stream), headers: [("Content-Disposition", "attachment; filename=\"dev\""),
                                                                  ("Date", "2026-01-01T00:00:00.000Z")])
            }
        }
        let connection = try await TestConnection(handler: handler)
        try await connection.send(post(#"{"operation":"get_backup"}"#))
        // Count the writes: the head, one per chunk, then the end.
        var received: [UInt8] = []
        var writes = 0
        var response: ParsedResponse?
        while response == nil {
            let data = try await connection.channel.waitForOutboundWrite(as: IOData.self)
            guard case .byteBuffer(let buffer) = data else { continue }
            writes += 1
            received += Array(buffer.readableBytesView)
            response = ParsedResponse.parse(received)?.0
        }
        #expect(response?.status == 200)
        #expect(response?.header("content-type") == "application/octet-stream")
        #expect(response?.header("content-length") == String(bytes.count))
        #expect(response?.header("content-disposition") == #"attachment; filename="dev""#)
        #expect(response?.header("date") == "2026-01-01T00:00:00.000Z")
        #expect(response?.body == bytes)
        #expect(writes >= 6, "the body arrived in \(writes) writes")
        #expect(!FileManager.default.fileExists(atPath: path))
        // The connection serves the next request.
        var next = connection
        try await next.send(post("{}"))
        #expect(try await next.response().text == #"{"ok":true}"#)
        #expect(next.isOpen)
    }

    @Test func aClientLeavingMidStreamReleasesTheStream() async throws {
        let (path, _) = try Self.temporaryFile(size: 256 * 1024)
        let streams = ReceivedStreams()
        let handler = FakeHandler { _ in
            let stream = try! ByteStream(contentsOf: path, chunkSize: 1024, unlink: true)  // one request only
            streams.append(stream)
            return .immediate(OutgoingResponse(body: .stream(stream)))
        }
        let connection = try await TestConnection(handler: handler)
        try await connection.send(post(#"{"operation":"get_backup"}"#))
        _ = try await connection.channel.waitForOutboundWrite(as: IOData.self)
        try await connection.channel.close()
        // The pump notices the closed channel at its next step and closes the stream.
        var released = false
        for _ in 0..<200 where !released {
            try await Task.sleep(for: .milliseconds(10))
            released = streams.first?.isClosed == true
        }
        #expect(released)
    }

    @Test func connectionCloseFromTheResponseClosesAfterWriting() async throws {
        let handler = FakeHandler { _ in
            .immediate(OutgoingResponse(body: .rawJSON(Array(#"{"message":"Restarting"}"#.utf8)),
                                        headers: [("Connection", "close")]))
        }
        var connection = try await TestConnection(handler: handler)
        try await connection.send(post(#"{"operation":"restart"}"#))
        let response = try await connection.response()
        #expect(response.header("connection") == "close")
        #expect(response.text == #"{"message":"Restarting"}"#)
        try await connection.channel.closeFuture.get()
        #expect(!connection.isOpen)
    }

    @Test func keepAliveServesSeveralRequestsOnOneConnection() async throws {
        let handler = FakeHandler.ok()
        var connection = try await TestConnection(handler: handler)
        for _ in 0..<3 {
            try await connection.send(post("{}"))
            let response = try await connection.response()
            #expect(response.status == 200)
            #expect(response.header("connection") == nil)
        }
        #expect(connection.isOpen)
        #expect(handler.requests.count == 3)
    }

    @Test func clientConnectionCloseClosesAfterTheResponse() async throws {
        var connection = try await TestConnection(handler: FakeHandler.ok())
        try await connection.send(post("{}", headers: ["Connection: close"]))
        let response = try await connection.response()
        #expect(response.status == 200)
        #expect(response.header("connection") == "close")
        try await connection.channel.closeFuture.get()
    }

    @Test func http10KeepAliveIsHonoured() async throws {
        var connection = try await TestConnection(handler: FakeHandler.ok())
        try await connection.send("POST / HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n{}")
        let response = try await connection.response()
        #expect(response.header("connection") == "keep-alive")
        #expect(connection.isOpen)
    }

    @Test func healthAnswersPlainText() async throws {
        let handler = FakeHandler.ok()
        var connection = try await TestConnection(handler: handler)
        try await connection.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try await connection.response()
        #expect(response.status == 200)
        #expect(response.text == "HarperDB is running.")
        #expect(response.header("content-type")?.hasPrefix("text/plain") == true)
        #expect(handler.requests.isEmpty)
    }

    @Test(arguments: [
        "GET /studio/app.js HTTP/1.1\r\nHost: x\r\n\r\n",
        "POST /other HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}",
        "PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}",
        "GET /health/more HTTP/1.1\r\nHost: x\r\n\r\n",
    ])
    func otherRoutesAreNotFound(request: String) async throws {
        let handler = FakeHandler.ok()
        var connection = try await TestConnection(handler: handler)
        try await connection.send(request)
        let response = try await connection.response()
        #expect(response.status == 404)
        #expect(response.text == #"{"error":"Not Found"}"#)
        #expect(response.header("content-type") == "application/json; charset=utf-8")
        #expect(handler.requests.isEmpty)
        #expect(connection.isOpen)
    }

    /// Spec README §1.1: `GET /` is a static page; with the studio off (the fake handler's
    /// default), a small "running" page, and the studio's files are not served.
    @Test func getRootWithTheStudioOffIsTheRunningPage() async throws {
        let handler = FakeHandler.ok()
        var connection = try await TestConnection(handler: handler)
        try await connection.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try await connection.response()
        #expect(response.status == 200)
        #expect(response.header("content-type") == "text/html; charset=utf-8")
        #expect(response.text.contains("Lyre is running."))
        #expect(response.header("content-security-policy")?.contains("script-src 'self'") == true)
        #expect(handler.requests.isEmpty)
        #expect(connection.isOpen)
    }

    @Test func queryStringOnRootStillRoutesToOperations() async throws {
        let handler = FakeHandler.ok()
        var connection = try await TestConnection(handler: handler)
        try await connection.send("POST /?x=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
        #expect(try await connection.response().status == 200)
        #expect(handler.requests.count == 1)
    }

    @Test func preflightAnswersWithCORSHeaders() async throws {
        var connection = try await TestConnection(handler: FakeHandler.ok())
        try await connection.send("OPTIONS / HTTP/1.1\r\nHost: x\r\nOrigin: https://studio.example\r\n\r\n")
        let response = try await connection.response()
        #expect(response.status == 200)
        #expect(response.header("access-control-allow-origin") == "https://studio.example")
        #expect(response.header("access-control-allow-methods") == "POST, GET, PUT, DELETE, PATCH, OPTIONS")
        #expect(response.header("access-control-allow-headers") == "Accept, Content-Type, Authorization")
        #expect(response.body.isEmpty)
    }

    @Test func originIsEchoedOnOperationResponses() async throws {
        var connection = try await TestConnection(handler: FakeHandler.ok())
        try await connection.send(post("{}", headers: ["Origin: http://localhost:3000"]))
        #expect(try await connection.response().header("access-control-allow-origin") == "http://localhost:3000")
    }

    @Test func declaredOversizedBodyIs413AndCloses() async throws {
        let handler = FakeHandler.ok()
        var connection = try await TestConnection(handler: handler, maximumBodySize: 16)
        try await connection.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n\r\n")
        let response = try await connection.response()
        #expect(response.status == 413)
        #expect(response.text == #"{"error":"Request body too large"}"#)
        #expect(response.header("connection") == "close")
        try await connection.channel.closeFuture.get()
        #expect(handler.requests.isEmpty)
    }

    @Test func chunkedBodyGrowingPastTheLimitIs413() async throws {
        let handler = FakeHandler.ok()
        var connection = try await TestConnection(handler: handler, maximumBodySize: 8)
        try await connection.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                  + "5\r\n12345\r\n5\r\n67890\r\n")
        let response = try await connection.response()
        #expect(response.status == 413)
        try await connection.channel.closeFuture.get()
        #expect(handler.requests.isEmpty)
    }

    @Test func bodyExactlyAtTheLimitIsAccepted() async throws {
        let handler = FakeHandler.ok()
        var connection = try await TestConnection(handler: handler, maximumBodySize: 2)
        try await connection.send(post("{}"))
        #expect(try await connection.response().status == 200)
    }

    @Test(arguments: [
        "application/json", "*/*", "application/*", "text/html, application/json;q=0.9",
        "text/csv", "application/cbor", "application/x-msgpack", "text/plain", "APPLICATION/JSON",
    ])
    func supportedAcceptHeadersAreServed(accept: String) async throws {
        var connection = try await TestConnection(handler: FakeHandler.ok())
        try await connection.send(post("{}", headers: ["Accept: \(accept)"]))
        #expect(try await connection.response().status == 200)
    }

    @Test(arguments: ["text/html", "image/png, application/xml"])
    func unsupportedAcceptHeadersAre406(accept: String) async throws {
        let handler = FakeHandler.ok()
        var connection = try await TestConnection(handler: handler)
        try await connection.send(post("{}", headers: ["Accept: \(accept)"]))
        let response = try await connection.response()
        #expect(response.status == 406)
        #expect(response.text.hasPrefix(
            #"{"error":"No supported content types found in Accept header, supported types include: application/json"#))
        #expect(handler.requests.isEmpty)
        #expect(connection.isOpen)
    }

    @Test func expectContinueGetsAnInterimResponse() async throws {
        var connection = try await TestConnection(handler: FakeHandler.ok())
        try await connection.send("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n")
        #expect(try await connection.response().status == 100)
        try await connection.send("{}")
        #expect(try await connection.response().status == 200)
    }

    @Test func malformedHTTPIs400() async throws {
        var connection = try await TestConnection(handler: FakeHandler.ok())
        try await connection.send("NOT HTTP AT ALL\r\n\r\n")
        #expect(try await connection.response().status == 400)
    }

    @Test func unexpectedErrorMidRequestIs500AndCloses() async throws {
        struct Boom: Error {}
        let handler = FakeHandler.ok()
        var connection = try await TestConnection(handler: handler)
        try await connection.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{\"a\"")
        connection.channel.pipeline.fireErrorCaught(Boom())
        let response = try await connection.response()
        #expect(response.status == 500)
        #expect(response.text
                == #"{"error":"There was an error processing your request. Check logs and try again."}"#)
        try await connection.channel.closeFuture.get()
        #expect(handler.requests.isEmpty)
    }
}
