import Foundation
import LyreCore
import LyreTestSupport
import Testing

/// `operationsApi.network.*` set through `set_configuration` and applied by `restart`, on
/// the real binary (issue 22 §1): the guide's way of changing them works end to end.
@Suite struct NetworkSettingsTests {
    @Test func headersAndKeepAliveTimeoutsSetThroughTheAPIApplyAfterRestart() async throws {
        let root = TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let port = LyreProcess.freePort()
        let lyre = try await LyreProcess(root: root, port: port)
        defer { lyre.terminate() }
        let set = try await lyre.post(#"{"operation":"set_configuration","operationsApi_network_headersTimeout":500,"operationsApi_network_keepAliveTimeout":500}"#)
        #expect(set.status == 200, "\(set)")
        #expect(try await lyre.post(#"{"operation":"restart"}"#).status == 200)
        // The listener is replaced: wait until a connection gets the new timeouts.
        var verified = false
        for _ in 0..<100 where !verified {
            try await Task.sleep(for: .milliseconds(100))
            guard let client = try? RawSocket(port: port) else { continue }
            client.send("POST / HTTP/1.1\r\nHost: localhost\r\n")
            let (text, closed) = await client.readUntilClosed(limit: 10)
            verified = closed && text.hasPrefix("HTTP/1.1 408 Request Timeout\r\n")
        }
        #expect(verified, "a half-sent request head must get 408 once headersTimeout is 500 ms")
        let idle = try RawSocket(port: port)
        let (text, closed) = await idle.readUntilClosed(limit: 20)
        #expect(text.isEmpty)
        #expect(closed, "an idle connection must be closed after keepAliveTimeout")
        #expect(try await lyre.post(#"{"operation":"describe_all"}"#).status == 200)
    }

    @Test func theConnectionCapSetThroughTheAPIRefusesTheExtraConnection() async throws {
        let root = TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let port = LyreProcess.freePort()
        let lyre = try await LyreProcess(root: root, port: port)
        defer { lyre.terminate() }
        #expect(try await lyre.post(#"{"operation":"set_configuration","operationsApi_network_maxConnections":3,"operationsApi_network_keepAliveTimeout":600000}"#).status == 200)
        #expect(try await lyre.post(#"{"operation":"restart"}"#).status == 200)
        try await Task.sleep(for: .milliseconds(500))
        let body = #"{"operation":"describe_all"}"#
        let request = "POST / HTTP/1.1\r\nHost: localhost\r\nAuthorization: \(TestApplication.adminAuthorization)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
        var held: [RawSocket] = []
        for _ in 0..<3 {
            let client = try RawSocket(port: port)
            client.send(request)
            #expect(await client.readResponse().hasPrefix("HTTP/1.1 200 OK\r\n"))
            held.append(client)
        }
        let extra = try RawSocket(port: port)
        let (text, closed) = await extra.readUntilClosed(limit: 10)
        #expect(text.isEmpty && closed, "a fourth connection must be closed at once")
        held[0].send(request)
        #expect(await held[0].readResponse().hasPrefix("HTTP/1.1 200 OK\r\n"))
        let log = (try? String(contentsOfFile: root + "/log/hdb.log", encoding: .utf8)) ?? ""
        #expect(log.contains("Refused 1 connection(s): 3 are open, the limit (operationsApi.network.maxConnections)"))
    }
}
