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
        "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
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
