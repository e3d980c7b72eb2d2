import Foundation
import LyreCore
import LyreTestSupport
import Testing

/// `threads.count`, `logging.auditAuthEvents` and `operationsApi.network.domainSocket` set
/// through `set_configuration` and applied by `restart`, on the real binary (issue 22 §3, §5, §6).
@Suite struct ServerSettingsTests {
    /// The event-loop threads of the process, from `system_information`'s thread list.
    private func eventLoops(_ lyre: LyreProcess) async throws -> Int {
        let info = try await lyre.post(#"{"operation":"system_information","attributes":["threads"]}"#).json
        return info["threads"]?.arrayValue?.filter { $0["name"]?.stringValue?.hasPrefix("NIO-ELT-") == true }.count ?? -1
    }

    @Test func threadsCountIsTheNumberOfEventLoopsServingRequests() async throws {
        let root = TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let lyre = try await LyreProcess(root: root, port: LyreProcess.freePort())
        defer { lyre.terminate() }
        for count in [3, 1] {
            #expect(try await lyre.post(#"{"operation":"set_configuration","threads_count":\#(count)}"#).status == 200)
            #expect(try await lyre.post(#"{"operation":"restart"}"#).status == 200)
            var seen = -1
            for _ in 0..<100 {
                seen = (try? await eventLoops(lyre)) ?? -1
                if seen == count { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(seen == count, "threads.count \(count)")
        }
    }

    /// The `auth-event` entries `read_log` returns.
    private func authEvents(_ lyre: LyreProcess) async throws -> [Value] {
        let log = try await lyre.post(#"{"operation":"read_log","limit":1000,"order":"desc"}"#).json
        return log.arrayValue?.filter { $0["tags"]?.arrayValue?.contains(.string("auth-event")) == true } ?? []
    }

    @Test func authenticationEventsAreLoggedWhenAuditAuthEventsAsksAndReadLogReturnsThem() async throws {
        let root = TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let lyre = try await LyreProcess(root: root, port: LyreProcess.freePort())
        defer { lyre.terminate() }
        let wrong = TestApplication.basic(TestApplication.adminUsername, "not-the-password-4711")
        #expect(try await lyre.post(#"{"operation":"describe_all"}"#, authorization: wrong).status == 401)
        #expect(try await authEvents(lyre).isEmpty, "off by default")

        #expect(try await lyre.post(#"{"operation":"set_configuration","logging_auditAuthEvents_logFailed":true,"logging_auditAuthEvents_logSuccessful":true}"#).status == 200)
        #expect(try await lyre.post(#"{"operation":"restart"}"#).status == 200)
        var events: [Value] = []
        for _ in 0..<100 {
            #expect(try await lyre.post(#"{"operation":"describe_all"}"#, authorization: wrong).status == 401)
            events = try await authEvents(lyre)
            if events.contains(where: { $0["level"] == "error" }) && events.contains(where: { $0["level"] == "notify" }) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let failure = try #require(events.first { $0["level"] == "error" })
        let failed = try JSON.parse(Array((failure["message"]?.stringValue ?? "").utf8))
        #expect(failed["username"] == .string(TestApplication.adminUsername))
        #expect(failed["status"] == "failure")
        #expect(failed["originating_ip"] == "127.0.0.1")
        #expect(failed["auth_strategy"] == "Basic")
        #expect(failure["timestamp"]?.stringValue?.isEmpty == false)
        let success = try #require(events.first { $0["level"] == "notify" })
        let succeeded = try JSON.parse(Array((success["message"]?.stringValue ?? "").utf8))
        #expect(succeeded["username"] == .string(TestApplication.adminUsername))
        #expect(succeeded["status"] == "success")
        #expect(succeeded["originating_ip"] == "127.0.0.1")

        let file = (try? String(contentsOfFile: root + "/log/hdb.log", encoding: .utf8)) ?? ""
        #expect(file.contains("[auth-event]"))
        #expect(!file.contains("not-the-password-4711"), "a password is never logged")
        #expect(!file.contains(TestApplication.adminPassword + "\""), "a password is never logged")
    }

    @Test func theAPIIsServedOnTheDomainSocketWhichTheCLIUsesWithoutAURL() async throws {
        let root = TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let lyre = try await LyreProcess(root: root, port: LyreProcess.freePort())
        let socket = root + "/operations-server"
        var status = stat()
        for _ in 0..<100 where stat(socket, &status) != 0 { try await Task.sleep(for: .milliseconds(50)) }
        #expect(status.st_mode & S_IFMT == S_IFSOCK)
        #expect(status.st_mode & 0o777 == 0o600, "only the server's user may connect")

        // No URL and no credentials: the CLI goes through the root's socket.
        let created = try CLITests.lyre(["create_database", "database=viasocket", "--root", root],
                                        environment: ["HDB_ADMIN_PASSWORD": ""])
        #expect(created.status == 0, "\(created.stdout) \(created.stderr)")
        #expect(created.json?["message"] == "database 'viasocket' successfully created")
        let described = try await lyre.post(#"{"operation":"describe_all"}"#).json
        #expect(described["viasocket"] != nil)

        // Moved by set_configuration + restart: the new socket serves, the old file is gone.
        let moved = root + "/ops.sock"
        #expect(try await lyre.post(#"{"operation":"set_configuration","operationsApi_network_domainSocket":"\#(moved)"}"#).status == 200)
        #expect(try await lyre.post(#"{"operation":"restart"}"#).status == 200)
        for _ in 0..<100 where stat(moved, &status) != 0 { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!FileManager.default.fileExists(atPath: socket))
        let listed = try CLITests.lyre(["describe_database", "database=viasocket", "--root", root],
                                       environment: ["HDB_ADMIN_PASSWORD": ""])
        #expect(listed.status == 0, "\(listed.stdout) \(listed.stderr)")

        lyre.terminate()
        #expect(!FileManager.default.fileExists(atPath: moved), "the socket is removed at shutdown")
    }
}
