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
}
