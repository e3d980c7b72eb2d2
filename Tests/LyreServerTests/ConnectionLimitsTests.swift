#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Logging
import LyreCore
import LyreOperations
import LyreServer
import NIOCore
import ServiceLifecycle
import LyreTestSupport
import Testing

/// `operationsApi.network.headersTimeout`, `keepAliveTimeout`, `timeout` and the connection
/// cap, against the real listener over real sockets (issue 22 §1). Each test asserts what
/// the client finally sees (an answer, a closed connection), not how long it took.
@Suite struct ConnectionLimitsTests {
    /// Runs `body` against a listener with `limits` answering `{"ok":true}` (or `handler`).
    func withServer(
        _ limits: ConnectionLimits,
        handler: FakeHandler = .ok(),
        _ body: (Int) async throws -> Void
    ) async throws {
        try await withRunning(LyreHTTPServer(host: "127.0.0.1", port: 0, handler: handler, logger: .quiet,
                                             numberOfThreads: 1, limits: limits), body)
    }

    static let request = post(#"{"operation":"describe_all"}"#)

    /// Sends `text` on a new connection and expects the answer `status` and then the close.
    func expectAnsweredAndClosed(port: Int, sending text: String, status: String) async throws {
        let client = try RawSocket(port: port)
        client.send(text)
        let (received, closed) = await client.readUntilClosed()
        #expect(received.hasPrefix("HTTP/1.1 \(status)\r\n"), "\(received)")
        #expect(closed)
    }

    @Test func anIncompleteRequestHeadGets408AndIsClosed() async throws {
        try await withServer(ConnectionLimits(headersTimeout: .milliseconds(300), keepAliveTimeout: nil)) { port in
            try await expectAnsweredAndClosed(port: port, sending: "POST / HTTP/1.1\r\nHost: localhost\r\nContent-",
                                              status: "408 Request Timeout")
        }
    }

    @Test func anIdleKeepAliveConnectionIsClosedQuietly() async throws {
        try await withServer(ConnectionLimits(keepAliveTimeout: .milliseconds(300))) { port in
            let client = try RawSocket(port: port)
            client.send(Self.request)
            let response = await client.readResponse()
            #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(response.hasSuffix(#"{"ok":true}"#))
            let (text, closed) = await client.readUntilClosed()
            #expect(text.isEmpty)
            #expect(closed)
        }
    }

    @Test func aConnectionThatNeverSendsIsClosedAfterTheKeepAliveTimeout() async throws {
        try await withServer(ConnectionLimits(keepAliveTimeout: .milliseconds(300))) { port in
            let client = try RawSocket(port: port)
            let (text, closed) = await client.readUntilClosed()
            #expect(text.isEmpty)
            #expect(closed)
        }
    }

    @Test func aBusyKeepAliveConnectionStaysOpenPastTheTimeout() async throws {
        // Requests 100 ms apart for 1.5 s, longer than the 1 s keep-alive timeout: each
        // renews the idle deadline, so all are answered on the one connection. A gap the
        // loaded machine stretched near the timeout ends the loop (a close would be right).
        try await withServer(ConnectionLimits(keepAliveTimeout: .seconds(1))) { port in
            let client = try RawSocket(port: port)
            var answered = ContinuousClock.now
            for _ in 0..<15 {
                try await Task.sleep(for: .milliseconds(100))
                if ContinuousClock.now - answered > .milliseconds(700) { break }
                client.send(Self.request)
                let response = await client.readResponse()
                #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
                answered = .now
            }
        }
    }

    @Test func aBodyThatStopsArrivingGets408() async throws {
        try await withServer(ConnectionLimits(headersTimeout: nil, keepAliveTimeout: nil, requestTimeout: .milliseconds(300))) { port in
            try await expectAnsweredAndClosed(
                port: port, sending: "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n{\"operation\"",
                status: "408 Request Timeout")
        }
    }

    /// 408, not Lyre's former 503: the request's own cost ran out the time (docs/compatibility.md,
    /// "Request timeout"). Its reads see their cancellation (`ReadCancellation.check` throws).
    @Test func anAnswerStillRunningAfterTheTimeoutIs408AndItsReadsAreCancelled() async throws {
        let readCancelled = ReadCancellation.Token()  // a Sendable flag: set once the read saw its cancellation
        let slow = FakeHandler { _ in
            .deferred {
                for _ in 0..<300 {
                    do { try ReadCancellation.check() } catch {
                        readCancelled.cancel()
                        break
                    }
                    try? await Task.sleep(for: .milliseconds(10))
                }
                return OutgoingResponse(body: .rawJSON(Array(#"{"late":true}"#.utf8)))
            }
        }
        try await withServer(ConnectionLimits(keepAliveTimeout: nil, requestTimeout: .milliseconds(300)), handler: slow) { port in
            let client = try RawSocket(port: port)
            client.send(Self.request)
            let (text, closed) = await client.readUntilClosed()
            #expect(text.hasPrefix("HTTP/1.1 408 Request Timeout\r\n"), "\(text)")
            #expect(text.contains("Connection: close\r\n"))
            #expect(text.hasSuffix(#"{"error":"Request timed out: still running after operationsApi.network.timeout"}"#))
            #expect(!text.contains("late"))
            #expect(closed)
            for _ in 0..<300 where !readCancelled.isCancelled { try await Task.sleep(for: .milliseconds(10)) }
            #expect(readCancelled.isCancelled, "the timed-out request's reads must be cancelled")
        }
    }

    @Test func connectionsPastTheCapAreClosedAndOpenOnesAreServed() async throws {
        try await withServer(ConnectionLimits(keepAliveTimeout: nil, maximumConnections: 2)) { port in
            let first = try RawSocket(port: port)
            let second = try RawSocket(port: port)
            // Both are registered once each has been answered.
            for client in [first, second] {
                client.send(Self.request)
                #expect(await client.readResponse().hasPrefix("HTTP/1.1 200 OK\r\n"))
            }
            let third = try RawSocket(port: port)
            let (text, closed) = await third.readUntilClosed()
            #expect(text.isEmpty)
            #expect(closed, "the third connection must be closed at once")
            first.send(Self.request)
            #expect(await first.readResponse().hasPrefix("HTTP/1.1 200 OK\r\n"))
        }
    }

    @Test func theDefaultCapKeepsAReserveBelowTheOpenFileLimit() {
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        let cap = ConnectionLimits.defaultMaximumConnections()
        if limit.rlim_cur != rlim_t.max {
            let files = Int(limit.rlim_cur)
            #expect(cap == files - max(64, files / 8))
            #expect(cap < files)
        }
    }
}
