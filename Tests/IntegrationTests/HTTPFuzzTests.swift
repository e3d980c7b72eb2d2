import Foundation
import LyreCore
import LyreTestSupport
import Testing

/// The black-box HTTP fuzzer (`OperationFuzzer`) against the real binary. In the normal
/// suite: a fixed seed, a few hundred requests, about 25 seconds. `scripts/http-fuzz` runs it
/// longer with other seeds (environment below); every failing request is kept for replay.
///
/// - `LYRE_HTTP_FUZZ_SEED` (default 11), `LYRE_HTTP_FUZZ_REQUESTS` (300), `LYRE_HTTP_FUZZ_SECONDS` (25)
/// - `LYRE_HTTP_FUZZ_FAMILIES`: comma-separated subset of `OperationFuzzer.families`
/// - `LYRE_HTTP_FUZZ_LOG`: the folder for failing requests (default: a temporary one, named on failure)
/// - `LYRE_HTTP_FUZZ_REPLAY`: a logged file to send instead of fuzzing
@Suite struct HTTPFuzzTests {
    static func environment(_ name: String) -> String? {
        ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    @Test func mutatedRequestsForEveryOperationAreAnsweredBelow500AndTheServerKeepsServing() async throws {
        let root = TestApplication.temporaryRoot()
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let log = Self.environment("LYRE_HTTP_FUZZ_LOG") ?? root + "-fuzz-log"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let lyre = try await LyreProcess(root: root, port: LyreProcess.freePort())
        defer { lyre.terminate() }
        if let file = Self.environment("LYRE_HTTP_FUZZ_REPLAY") {
            let replies = try OperationFuzzer.replay(file: file, port: lyre.port)
            print("replay \(file): \(replies)")
            for reply in replies {
                if case .response(let status, _) = reply { #expect(status < 500, "\(reply)") }
            }
            return
        }
        let seed = Self.environment("LYRE_HTTP_FUZZ_SEED").flatMap { UInt64($0) } ?? 11
        let requests = Self.environment("LYRE_HTTP_FUZZ_REQUESTS").flatMap { Int($0) } ?? 300
        let seconds = Self.environment("LYRE_HTTP_FUZZ_SECONDS").flatMap { Double($0) } ?? 25
        let families = Self.environment("LYRE_HTTP_FUZZ_FAMILIES")?.split(separator: ",").map(String.init) ?? []
        let fuzzer = OperationFuzzer(port: lyre.port, seed: seed, logDirectory: log, scratchDirectory: root + "/fuzz-scratch")
        let failures = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(returning: fuzzer.run(requests: requests, seconds: seconds, families: families))
            }
        }
        print("HTTP fuzzer, seed \(seed): \(fuzzer.sent) requests, statuses \(fuzzer.statuses.sorted { $0.key < $1.key }), \(failures.count) failures")
        for failure in failures { Issue.record("HTTP fuzzer, seed \(seed): \(failure)") }
        if failures.isEmpty { try? FileManager.default.removeItem(atPath: log) }
    }
}
