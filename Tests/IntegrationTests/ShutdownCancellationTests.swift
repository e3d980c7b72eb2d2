import Foundation
import LyreCore
import LyreTestSupport
import Testing

/// SIGTERM no longer waits for a long read (session 12): two seconds after the signal the
/// reads still running are cancelled (`ReadCancellation`), so the server closes storage and
/// exits; a write in flight commits whole or not at all. Before, the process stayed up until
/// the read ended (here: a nested-loop join of 20,000 × 20,000 rows, many minutes), and this
/// test ran into the suite's time limit. States are asserted, not timings.
@Suite struct ShutdownCancellationTests {
    static let rows = 20_000

    static func insert(_ range: Range<Int>) -> String {
        let records = range.map { #"{"id":\#($0),"x":\#($0)}"# }.joined(separator: ",")
        return #"{"operation":"insert","database":"dev","table":"t","records":[\#(records)]}"#
    }

    @Test func sigtermEndsALongReadAndTheRestartedServerHasItsData() async throws {
        let root = TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let lyre = try await LyreProcess(root: root, port: LyreProcess.freePort())
        defer { lyre.terminate() }
        _ = try await lyre.post(#"{"operation":"create_table","database":"dev","table":"t","primary_key":"id"}"#)
        for start in stride(from: 0, to: Self.rows, by: 5_000) {
            let inserted = try await lyre.post(Self.insert(start..<start + 5_000))
            #expect(inserted.status == 200, "\(inserted)")
        }
        // No pair matches, so nothing accumulates: only the 4·10^8 comparisons take time.
        let join = #"{"operation":"sql","sql":"SELECT COUNT(*) AS c FROM dev.t a INNER JOIN dev.t b ON a.x < b.x - 1000000"}"#
        let read = Task { try? await lyre.post(join) }
        try await Task.sleep(for: .seconds(1))
        // A write racing the shutdown: whole or nothing.
        let write = Task { try? await lyre.post(Self.insert(Self.rows..<Self.rows + 5_000)) }
        try await Task.sleep(for: .milliseconds(100))
        #expect(lyre.terminate() == 0, "the server must exit cleanly")
        let answer = await read.value
        if let answer {
            #expect(answer.status == 503, "\(answer)")
            #expect(answer.text == #"{"error":"The server is shutting down; the request was cancelled, please retry"}"#)
        }
        let wrote = await write.value

        let restarted = try await LyreProcess(root: root, port: LyreProcess.freePort())
        defer { restarted.terminate() }
        let count = try await restarted.post(#"{"operation":"sql","sql":"SELECT COUNT(*) AS c, MAX(id) AS m FROM dev.t"}"#)
        if wrote?.status == 200 {
            #expect(count.text == #"[{"c":25000,"m":24999}]"#)
        } else {
            #expect([#"[{"c":20000,"m":19999}]"#, #"[{"c":25000,"m":24999}]"#].contains(count.text), "\(count)")
        }
        let sample = try await restarted.post(#"{"operation":"search_by_id","database":"dev","table":"t","ids":[0,19999],"get_attributes":["x"]}"#)
        #expect(sample.text == #"[{"x":0},{"x":19999}]"#)
    }
}
