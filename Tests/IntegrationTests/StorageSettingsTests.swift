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
}
