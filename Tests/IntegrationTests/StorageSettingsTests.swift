import Foundation
import LyreCore
import LyreTestSupport
import Testing

/// `storage.*` set through `set_configuration` and applied by `restart` (or read from the
/// file at start), on the real binary (issue 22 §2, §4).
@Suite struct StorageSettingsTests {
    /// Each database's `syncEachCommit` in `system_information`'s metrics.
    private func syncModes(_ lyre: LyreProcess) async throws -> [String: Bool] {
        let info = try await lyre.post(#"{"operation":"system_information","attributes":["metrics"]}"#).json
        var modes: [String: Bool] = [:]
        for entry in info["metrics"]?.objectValue ?? JSONObject() {
            if let sync = entry.value["syncEachCommit"]?.boolValue { modes[entry.key] = sync }
        }
        return modes
    }

    @Test func writeAsyncSetThroughTheAPIStopsSyncingEachCommitAndAKillLosesNothingAcknowledged() async throws {
        let root = TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let lyre = try await LyreProcess(root: root, port: LyreProcess.freePort())
        #expect(try await syncModes(lyre) == ["data": true, "system": true])
        #expect(try await lyre.post(#"{"operation":"set_configuration","storage_writeAsync":true}"#).status == 200)
        #expect(try await lyre.post(#"{"operation":"restart"}"#).status == 200)
        var modes: [String: Bool] = [:]
        for _ in 0..<100 {
            modes = (try? await syncModes(lyre)) ?? [:]
            if modes == ["data": false, "system": false] { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(modes == ["data": false, "system": false])

        #expect(try await lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#).status == 200)
        for batch in 0..<20 {
            let records = (0..<10).map { #"{"id":\#(batch * 10 + $0),"name":"dog \#(batch * 10 + $0)"}"# }.joined(separator: ",")
            let r = try await lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[\#(records)]}"#)
            #expect(r.status == 200, "\(r)")
        }
        #expect(try await syncModes(lyre)["dev"] == false, "a database created with writeAsync on does not sync each commit")
        lyre.kill()

        // The file's setting applies at start; the killed process's commits were in the page cache.
        let restarted = try await LyreProcess(root: root, port: LyreProcess.freePort())
        defer { restarted.terminate() }
        #expect(try await syncModes(restarted) == ["data": false, "dev": false, "system": false])
        let count = try await restarted.post(#"{"operation":"sql","sql":"SELECT COUNT(*) AS n FROM dev.dog"}"#)
        #expect(count.json[0]?["n"] == 200, "\(count)")

        #expect(try await restarted.post(#"{"operation":"set_configuration","storage_writeAsync":false}"#).status == 200)
        #expect(try await restarted.post(#"{"operation":"restart"}"#).status == 200)
        for _ in 0..<100 {
            modes = (try? await syncModes(restarted)) ?? [:]
            if modes == ["data": true, "dev": true, "system": true] { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(modes == ["data": true, "dev": true, "system": true])
    }

    @Test func writesQueuedPastMaxTransactionQueueTimeGet503AndTheConditionClearsByItself() async throws {
        let root = TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let lyre = try await LyreProcess(root: root, port: LyreProcess.freePort())
        defer { lyre.terminate() }
        #expect(try await lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#).status == 200)
        // 1 ms: a write that waits behind another group's commit (an fsync) is refused.
        #expect(try await lyre.post(#"{"operation":"set_configuration","storage_maxTransactionQueueTime":"1ms"}"#).status == 200)
        #expect(try await lyre.post(#"{"operation":"restart"}"#).status == 200)

        // Many clients insert batches at once, holding the writer busy, until writes are refused.
        var refused: [String] = []
        var acknowledged = 0
        for round in 0..<40 where refused.isEmpty {
            let answers = await withTaskGroup(of: (status: Int, error: String?).self) { group in
                for client in 0..<24 {
                    group.addTask {
                        let first = (round * 24 + client) * 200
                        let records = (first..<first + 200).map { #"{"id":\#($0),"n":\#($0 % 7)}"# }.joined(separator: ",")
                        guard let r = try? await lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[\#(records)]}"#)
                        else { return (0, nil) }
                        return (r.status, r.status == 503 ? (r.json["error"]?.stringValue ?? r.text) : nil)
                    }
                }
                var all: [(status: Int, error: String?)] = []
                for await answer in group { all.append(answer) }
                return all
            }
            acknowledged += answers.filter { $0.status == 200 }.count * 200
            refused += answers.compactMap(\.error)
        }
        #expect(!refused.isEmpty, "writes queued behind the busy writer must be refused")
        #expect(Set(refused) == ["Outstanding write transactions have too long of queue, please try again later"])

        // No restart: once the writer has caught up, a lone write goes through.
        var cleared = false
        for _ in 0..<100 where !cleared {
            let r = try await lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":-1}]}"#)
            cleared = r.status == 200
            if !cleared { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(cleared, "the condition must clear by itself")
        // A refused write wrote nothing: the table holds exactly what was acknowledged.
        let count = try await lyre.post(#"{"operation":"sql","sql":"SELECT COUNT(*) AS n FROM dev.dog WHERE id >= 0"}"#)
        #expect(count.json[0]?["n"]?.intValue == Int64(acknowledged), "\(count)")
    }
}
