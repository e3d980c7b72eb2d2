#if canImport(Glibc)
import Glibc
#endif
import Foundation
import LyreCore
import LyreTestSupport
import Testing

/// `operationsApi.network.requestMemory` on the real binary: a body longer than the
/// budget, or one whose parsed tree would not fit, is a 413 with exact JSON and writes
/// nothing; ordinary inserts still work; a body that waits for room is served once the
/// room is there; the server goes on serving throughout.
@Suite struct RequestMemoryTests {
    static let budget = 2 << 20
    static let tooLarge = #"{"error":"Request body too large"}"#

    static func start(root: String) async throws -> LyreProcess {
        let lyre = try await LyreProcess(root: root, port: LyreProcess.freePort(),
                                         environment: ["OPERATIONSAPI_NETWORK_REQUESTMEMORY": String(budget)])
        _ = try await lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#)
        return lyre
    }

    static func insert(_ records: [String]) -> String {
        #"{"operation":"insert","database":"dev","table":"dog","records":["# + records.joined(separator: ",") + "]}"
    }

    static func dogs(_ range: Range<Int>) -> [String] {
        range.map { #"{"id":\#($0),"name":"a dog called number \#($0)","age":\#($0 % 20)}"# }
    }

    static func count(_ lyre: LyreProcess) async throws -> String {
        try await lyre.post(#"{"operation":"sql","sql":"SELECT COUNT(*) AS n FROM dev.dog"}"#).text
    }

    @Test func aTreeThatWouldNotFitIs413AndWritesNothing() async throws {
        let root = TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let lyre = try await Self.start(root: root)
        defer { lyre.terminate() }
        // 1 MB of text fits the 2 MiB budget; its 350,000 arrays parsed do not.
        let arrays = Self.insert(Self.dogs(0..<2) + Array(repeating: "[]", count: 350_000))
        #expect(arrays.utf8.count < Self.budget)
        let refused = try await lyre.post(arrays)
        #expect(refused.status == 413)
        #expect(refused.text == Self.tooLarge)
        #expect(try await Self.count(lyre) == #"[{"n":0}]"#)
        // Ordinary records near the budget's size in text go through.
        let ordinary = try await lyre.post(Self.insert(Self.dogs(0..<3_000)))
        #expect(ordinary.text == #"{"message":"inserted 3000 of 3000 records","inserted_hashes":"# + "[" +
                (0..<3_000).map(String.init).joined(separator: ",") + #"],"skipped_hashes":[]}"#)
        #expect(try await Self.count(lyre) == #"[{"n":3000}]"#)
    }

    @Test func aBodyLongerThanTheBudgetIs413BeforeItIsRead() async throws {
        let root = TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let lyre = try await Self.start(root: root)
        defer { lyre.terminate() }
        let client = try RawSocket(port: lyre.port)
        client.send("POST / HTTP/1.1\r\nHost: localhost\r\nAuthorization: \(TestApplication.adminAuthorization)\r\n" +
                    "Content-Type: application/json\r\nContent-Length: \(Self.budget + 1)\r\n\r\n")
        let (text, closed) = await client.readUntilClosed(limit: 10)
        #expect(text.hasPrefix("HTTP/1.1 413 "), "\(text)")
        #expect(text.hasSuffix("\r\n\r\n" + Self.tooLarge))
        #expect(closed)
        #expect(try await lyre.post(#"{"operation":"describe_all"}"#).status == 200)
    }

    @Test func aBodyWaitingForRoomIsServedOnceTheHolderIsDone() async throws {
        let root = TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let lyre = try await Self.start(root: root)
        defer { lyre.terminate() }
        // The holder announces 200 KB and sends half: with room for its parsed tree, 1.6 MB
        // of the 2 MiB are reserved.
        let held = Self.insert([#"{"id":1,"name":""# + String(repeating: "x", count: 200_000) + #""}"#])
        let holder = try RawSocket(port: lyre.port)
        let head = "POST / HTTP/1.1\r\nHost: localhost\r\nAuthorization: \(TestApplication.adminAuthorization)\r\n" +
            "Content-Type: application/json\r\nContent-Length: \(held.utf8.count)\r\n\r\n"
        let bytes = Array(held.utf8)
        Self.sendAll(holder, Array(head.utf8) + bytes[..<(bytes.count / 2)])
        try await Task.sleep(for: .milliseconds(200))
        // 2,000 records (100 KB, 800 KB reserved) do not fit beside it and wait; a small
        // request fits and is served meanwhile.
        async let waiting = lyre.post(Self.insert(Self.dogs(10..<2_010)))
        #expect(try await lyre.post(#"{"operation":"describe_all"}"#).status == 200)
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await Self.count(lyre) == #"[{"n":0}]"#, "the waiting insert has not run")
        Self.sendAll(holder, Array(bytes[(bytes.count / 2)...]))
        let holderAnswer = await holder.readResponse()
        #expect(holderAnswer.hasSuffix("\r\n\r\n" + #"{"message":"inserted 1 of 1 records","inserted_hashes":[1],"skipped_hashes":[]}"#),
                "\(holderAnswer.prefix(300))")
        let answer = try await waiting
        #expect(answer.status == 200, "\(answer.text.prefix(200))")
        #expect(try await Self.count(lyre) == #"[{"n":2001}]"#)
    }

    @Test func theBudgetSetThroughTheAPIAppliesAfterRestart() async throws {
        let root = TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let lyre = try await LyreProcess(root: root, port: LyreProcess.freePort())
        defer { lyre.terminate() }
        let set = try await lyre.post(#"{"operation":"set_configuration","operationsApi_network_requestMemory":\#(Self.budget)}"#)
        #expect(set.status == 200, "\(set)")
        #expect(try await lyre.post(#"{"operation":"restart"}"#).status == 200)
        var refused = false
        for _ in 0..<100 where !refused {
            try await Task.sleep(for: .milliseconds(100))
            guard let client = try? RawSocket(port: lyre.port) else { continue }
            client.send("POST / HTTP/1.1\r\nHost: localhost\r\nAuthorization: \(TestApplication.adminAuthorization)\r\n" +
                        "Content-Type: application/json\r\nContent-Length: \(Self.budget + 1)\r\n\r\n")
            let (text, _) = await client.readUntilClosed(limit: 2)
            refused = text.hasPrefix("HTTP/1.1 413 ") && text.hasSuffix("\r\n\r\n" + Self.tooLarge)
        }
        #expect(refused, "a body longer than the 2 MiB set must be refused once restarted")
        #expect(try await lyre.post(#"{"operation":"describe_all"}"#).status == 200)
    }

    /// Sends all of `text` (a large body takes several `send` calls).
    static func sendAll(_ socket: RawSocket, _ bytes: [UInt8]) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(socket.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return }
            sent += n
        }
    }
}
