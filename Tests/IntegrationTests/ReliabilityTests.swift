import Foundation
import LyreCore
import LyreTestSupport
import Synchronization
import Testing

/// What was acknowledged is on disk: the real binary, killed with SIGKILL mid-load.
@Suite(.serialized) struct ReliabilityTests {
    @Test func acknowledgedInsertsSurviveSIGKILL() async throws {
        let root = TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let port = LyreProcess.freePort()
        let lyre = try await LyreProcess(root: root, port: port)
        #expect(try await lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#).status == 200)

        // Several concurrent clients insert until the process dies under them; each keeps
        // the ids the server acknowledged with a 200.
        let clients = 8
        let acknowledgedSoFar = AcknowledgedCount()
        let acknowledged = try await withThrowingTaskGroup(of: [Int].self) { group in
            for client in 0..<clients {
                group.addTask {
                    var mine: [Int] = []
                    var n = 0
                    while true {
                        let id = client + n * clients
                        n += 1
                        let body = #"{"operation":"insert","database":"dev","table":"dog","records":[{"id":\#(id),"client":\#(client)}]}"#
                        guard let r = try? await lyre.post(body), r.status == 200 else { return mine }
                        mine.append(id)
                        acknowledgedSoFar.value.add(1, ordering: .relaxed)
                    }
                }
            }
            group.addTask {
                // At least 1.5 s of load, and on a loaded machine until 50 writes were
                // acknowledged (at most 60 s), so the kill always lands under load.
                try await Task.sleep(for: .milliseconds(1500))
                let deadline = ContinuousClock.now + .seconds(60)
                while acknowledgedSoFar.value.load(ordering: .relaxed) < 50 && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(50))
                }
                lyre.kill()
                return []
            }
            var all: [Int] = []
            for try await ids in group { all += ids }
            return all
        }
        #expect(acknowledged.count > 10, "the load must have run before the kill")

        let restarted = try await LyreProcess(root: root, port: LyreProcess.freePort())
        defer { restarted.terminate() }
        let ids = acknowledged.map(String.init).joined(separator: ",")
        let found = try await restarted.post(#"{"operation":"search_by_id","database":"dev","table":"dog","ids":[\#(ids)],"get_attributes":["id"]}"#)
        #expect(found.status == 200)
        let foundIDs = Set(found.json.arrayValue?.compactMap { $0["id"]?.intValue } ?? [])
        let missing = acknowledged.filter { !foundIDs.contains(Int64($0)) }
        #expect(missing.isEmpty, "acknowledged but lost after SIGKILL: \(missing.prefix(20))")

        // The index has them too (single-record inserts leave their index changes in the
        // backlog; it is durable with the records and applied when the index is read).
        for client in 0..<clients {
            let byValue = try await restarted.post(#"{"operation":"search_by_value","database":"dev","table":"dog","search_attribute":"client","search_value":\#(client),"get_attributes":["id"]}"#)
            #expect(byValue.status == 200)
            let indexed = Set(byValue.json.arrayValue?.compactMap { $0["id"]?.intValue } ?? [])
            let unindexed = acknowledged.filter { $0 % clients == client && !indexed.contains(Int64($0)) }
            #expect(unindexed.isEmpty, "acknowledged but missing from the index of client after SIGKILL: \(unindexed.prefix(20))")
        }
    }

    @Test func sigtermShutsDownCleanlyAndKeepsData() async throws {
        let root = TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let lyre = try await LyreProcess(root: root, port: LyreProcess.freePort())
        _ = try await lyre.post(#"{"operation":"create_table","table":"t","primary_key":"id"}"#)
        _ = try await lyre.post(#"{"operation":"insert","table":"t","records":[{"id":1,"v":"kept"}]}"#)
        #expect(lyre.terminate() == 0)
        let again = try await LyreProcess(root: root, port: LyreProcess.freePort())
        defer { again.terminate() }
        let r = try await again.post(#"{"operation":"search_by_id","table":"t","ids":[1],"get_attributes":["v"]}"#)
        #expect(r.text == #"[{"v":"kept"}]"#)
    }

    /// Lyre's own setting for harnesses: a server whose starter is killed stops by itself.
    @Test func aServerWithExitWithParentStopsWhenItsParentIsKilled() async throws {
        let root = TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let port = LyreProcess.freePort()
        let pidFile = root + ".pid"
        defer { try? FileManager.default.removeItem(atPath: pidFile) }
        var environment = ProcessInfo.processInfo.environment
        environment["HDB_ADMIN_USERNAME"] = TestApplication.adminUsername
        environment["HDB_ADMIN_PASSWORD"] = TestApplication.adminPassword
        environment["LYRE_EXIT_WITH_PARENT"] = "1"
        // A shell starts the server and waits for it; killing the shell orphans the server.
        let shell = try ChildProcess.spawn(["/bin/sh", "-c", "\"$0\" run --root \"$1\" --port \"$2\" & echo $! > \"$3\"; wait",
                                            try LyreProcess.executable().path, root, String(port), pidFile],
                                           log: "/dev/null", environment: environment)
        var answered = false
        for _ in 0..<600 where !answered {
            answered = (try? await HTTPClient.request(port: port, method: "GET", path: "/health", headers: [], body: []))?.status == 200
            if !answered { try await Task.sleep(for: .milliseconds(50)) }
        }
        let server = pid_t(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        defer { if server > 0 { _ = Glibc.kill(server, SIGKILL) } }
        #expect(answered)
        #expect(server > 0)
        _ = Glibc.kill(shell, SIGKILL)
        var status: Int32 = 0
        _ = waitpid(shell, &status, 0)
        // Gone, or a zombie its new parent has not reaped yet: either way no longer running.
        func running() -> Bool {
            guard let stat = try? String(contentsOfFile: "/proc/\(server)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            return !stat[stat.index(close, offsetBy: 2)...].hasPrefix("Z")
        }
        for _ in 0..<600 where running() { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!running())
        #expect((try? await HTTPClient.request(port: port, method: "GET", path: "/health", headers: [], body: [])) == nil)
    }

    @Test func firstStartWithoutAdminCredentialsStopsWithOneLine() throws {
        let root = TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var environment = ProcessInfo.processInfo.environment
        environment["HDB_ADMIN_USERNAME"] = nil
        environment["HDB_ADMIN_PASSWORD"] = nil
        let run = try Subprocess.runBlocking([try LyreProcess.executable().path, "run", "--root", root,
                                              "--port", String(LyreProcess.freePort())],
                                             environment: environment, separateErrors: true)
        let text = run.errors
        #expect(run.status != 0)
        #expect(text.contains("HDB_ADMIN_USERNAME"))
        #expect(text.split(separator: "\n").count == 1)
    }
}

/// Writes acknowledged so far across the clients of the SIGKILL test.
private final class AcknowledgedCount: Sendable {
    let value = Atomic<Int>(0)
}
