import LyreOperations
import LyreServer
import NIOCore
import Testing

/// The server frames HTTP/1.1 itself (`HTTPConnectionHandler`): these pin the framing
/// rules a client or an attacker can lean on — pipelining, chunked bodies, and the
/// strictness that keeps requests from being smuggled past a proxy.
@Suite struct HTTPFramingTests {
    @Test func pipelinedImmediateRequestsInOneSegmentAreAllAnswered() async throws {
        let handler = FakeHandler { request in .immediate(OutgoingResponse(body: .rawJSON(request.body))) }
        var connection = try await TestConnection(handler: handler)
        try await connection.send(post("1") + post("22") + post("333"))
        #expect(try await connection.response().text == "1")
        #expect(try await connection.response().text == "22")
        #expect(try await connection.response().text == "333")
        #expect(handler.requests.count == 3)
    }

    @Test func aRequestSplitInsideTheHeadTerminatorIsFramed() async throws {
        let handler = FakeHandler.ok()
        var connection = try await TestConnection(handler: handler)
        let text = post(#"{"operation":"describe_all"}"#)
        let cut = text.utf8.count - #"{"operation":"describe_all"}"#.utf8.count - 2
        let bytes = Array(text.utf8)
        try await connection.send(Array(bytes[..<cut]))
        try await connection.send(Array(bytes[cut...]))
        #expect(try await connection.response().status == 200)
        #expect(handler.requests.first?.body == Array(#"{"operation":"describe_all"}"#.utf8))
    }

    @Test func chunkExtensionsAndTrailersAreAccepted() async throws {
        let handler = FakeHandler.ok()
        var connection = try await TestConnection(handler: handler)
        try await connection.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                  + "7;name=value\r\n{\"a\":1}\r\n0\r\nX-Trailer: yes\r\n\r\n")
        #expect(try await connection.response().status == 200)
        #expect(handler.requests.first?.body == Array(#"{"a":1}"#.utf8))
    }

    @Test func emptyLinesBeforeARequestAreIgnored() async throws {
        var connection = try await TestConnection(handler: FakeHandler.ok())
        try await connection.send("\r\n\r\n" + post("{}"))
        #expect(try await connection.response().status == 200)
    }

    /// Found by fuzzing (Fuzz/regressions/http/empty-line-split-before-request): a CR alone in
    /// one read and its LF in the next were taken for the start of a head, so the request
    /// after the empty line was refused with 400.
    @Test func anEmptyLineSplitAcrossReadsBeforeARequestIsIgnored() async throws {
        let handler = FakeHandler.ok()
        var connection = try await TestConnection(handler: handler)
        try await connection.send("\r")
        try await connection.send("\n\r")
        try await connection.send("\n" + post("{}"))
        #expect(try await connection.response().status == 200)
        #expect(handler.requests.first?.body == Array("{}".utf8))
    }

    @Test func headRequestsGetTheHeadWithoutABody() async throws {
        var connection = try await TestConnection(handler: FakeHandler.ok())
        try await connection.send("HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n" + post("{}"))
        let head = try await connection.response()
        #expect(head.status == 404)
        #expect(head.header("content-length") == #"{"error":"Not Found"}"#.utf8.count.description)
        // The response parser reads the next bytes as the HEAD's body when there is one;
        // the next response must start right after the head instead.
        #expect(head.body.starts(with: Array("HTTP/1.1 200".utf8)))
    }

    @Test(arguments: [
        // Both framings: a proxy and the server could disagree on where the body ends.
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        // Conflicting lengths.
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2, 3\r\n\r\n{}",
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -2\r\n\r\n{}",
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x2\r\n\r\n{}",
        // A coding we do not decode, or chunked not last.
        "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n{}",
        "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n{}",
        // Whitespace before the colon, obsolete folding, a bare LF inside the head.
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length : 2\r\n\r\n{}",
        "POST / HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\nContent-Length: 2\r\n\r\n{}",
        "POST / HTTP/1.1\r\nHost: x\nContent-Length: 2\r\n\r\n{}",
        // Not HTTP/1.x, or a broken request line.
        "POST / HTTP/2.0\r\nHost: x\r\n\r\n",
        "POST  / HTTP/1.1\r\nHost: x\r\n\r\n",
        "POST /\r\nHost: x\r\n\r\n",
        // A broken chunk size.
        "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    ])
    func ambiguousOrMalformedRequestsAre400AndClose(request: String) async throws {
        let handler = FakeHandler.ok()
        var connection = try await TestConnection(handler: handler)
        try await connection.send(request)
        let response = try await connection.response()
        #expect(response.status == 400)
        #expect(response.header("connection") == "close")
        try await connection.channel.closeFuture.get()
        #expect(handler.requests.isEmpty)
    }

    @Test func anOversizedHeadIs431AndCloses() async throws {
        var connection = try await TestConnection(handler: FakeHandler.ok())
        let filler = String(repeating: "a", count: 100 * 1024)
        try await connection.send("POST / HTTP/1.1\r\nHost: x\r\nX-Big: \(filler)")
        #expect(try await connection.response().status == 431)
        try await connection.channel.closeFuture.get()
    }

    @Test func repeatedLengthsThatAgreeAreOneLength() async throws {
        let handler = FakeHandler.ok()
        var connection = try await TestConnection(handler: handler)
        try await connection.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2, 2\r\n\r\n{}")
        #expect(try await connection.response().status == 200)
        #expect(handler.requests.first?.body == Array("{}".utf8))
    }

    @Test func headerNamesAreCaseInsensitive() async throws {
        let handler = FakeHandler.ok()
        var connection = try await TestConnection(handler: handler)
        try await connection.send("POST / HTTP/1.1\r\nhOsT: x\r\nCONTENT-LENGTH: 2\r\nauthorization:Basic abc \r\n\r\n{}")
        #expect(try await connection.response().status == 200)
        #expect(handler.requests.first?.authorization == "Basic abc")
    }

    @Test func quiescingClosesAnIdleConnection() async throws {
        var connection = try await TestConnection(handler: FakeHandler.ok())
        try await connection.send(post("{}"))
        #expect(try await connection.response().status == 200)
        connection.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        try await connection.channel.closeFuture.get()
    }

    @Test func quiescingFinishesTheRequestInFlightThenCloses() async throws {
        // The request is in flight (its handler started, its answer held back) when the
        // server is told to quiesce; the answer is let go only after that: no timing.
        let (started, didStart) = AsyncStream.makeStream(of: Void.self)
        let (release, releaseAnswer) = AsyncStream.makeStream(of: Void.self)
        let handler = FakeHandler { _ in
            didStart.yield()
            return .deferred {
                for await _ in release { break }
                return OutgoingResponse(body: .rawJSON(Array("{}".utf8)))
            }
        }
        var connection = try await TestConnection(handler: handler)
        try await connection.send(post("{}"))
        for await _ in started { break }
        connection.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        releaseAnswer.yield()
        releaseAnswer.finish()
        let response = try await connection.response()
        #expect(response.status == 200)
        #expect(response.header("connection") == "close")
        try await connection.channel.closeFuture.get()
    }
}
