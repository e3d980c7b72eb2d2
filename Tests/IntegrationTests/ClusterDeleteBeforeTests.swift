import Foundation
import LyreCore
import LyreTestSupport
import Testing

/// `delete_records_before` across nodes (issue 17 lists it among the replicated writes):
/// the operation's marker reaches every node, which deletes what it holds under it and keeps
/// out what arrives under it later, so a node that was cut off converges to what the
/// operation meant.
@Suite(.serialized, .enabled(if: NATSTestNode.isAvailable, "nats-server is not installed (scripts/bootstrap)"))
struct ClusterDeleteBeforeTests {
    typealias Node = ClusteringTests.Node

    static func waitForJob(_ node: Node, _ response: TestResponse) async throws {
        let id = try #require(response.json["job_id"]?.stringValue, "\(response.text)")
        try await ClusteringTests.waitFor("job \(id)") {
            let job = try await node.lyre.post(#"{"operation":"get_job","id":"\#(id)"}"#).json[0]
            #expect(job?["status"] != "ERROR", "\(String(describing: job))")
            return job?["status"] == "COMPLETE"
        }
    }

    static func insert(_ node: Node, _ ids: [Int]) async throws {
        let records = ids.map { #"{"id":\#($0),"by":"\#(node.name)"}"# }.joined(separator: ",")
        let response = try await node.lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[\#(records)]}"#)
        #expect(response.status == 200, "\(response.text)")
    }

    @Test func aNodeCutOffWhileAnotherRunsDeleteRecordsBeforeEndsWithOnlyWhatTheOperationSpared() async throws {
        let (alpha, beta) = try await ClusteringTests.pair()
        let hub = try String(contentsOfFile: beta.root + "/clustering/hub.pid", encoding: .utf8)
        let hubPID = try #require(pid_t(hub.trimmingCharacters(in: .whitespacesAndNewlines)))
        defer {
            kill(hubPID, SIGCONT)
            for node in [alpha, beta] {
                node.lyre.terminate()
                try? FileManager.default.removeItem(atPath: node.root)
            }
        }
        try await Self.insert(alpha, [1, 2, 3])
        try await ClusteringTests.waitFor("the first records on beta") { try await ClusteringTests.ids(beta) == [1, 2, 3] }

        // beta cut off (its hub frozen): it writes records alpha does not receive yet.
        kill(hubPID, SIGSTOP)
        do {
            try await Self.insert(beta, [11, 12, 13])
            try await Task.sleep(for: .milliseconds(20))
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            let date = formatter.string(from: Date())
            try await Task.sleep(for: .milliseconds(20))
            // On alpha: everything created before the date goes, also what alpha has not received.
            let job = try await alpha.lyre.post(#"{"operation":"delete_records_before","date":"\#(date)","schema":"dev","table":"dog"}"#)
            try await Self.waitForJob(alpha, job)
            #expect(try await ClusteringTests.ids(alpha).isEmpty)
            // After the operation, still cut off: beta updates one old record and creates a new one.
            try await Task.sleep(for: .milliseconds(20))
            let update = try await beta.lyre.post(#"{"operation":"update","database":"dev","table":"dog","records":[{"id":12,"by":"beta again"}]}"#)
            #expect(update.status == 200, "\(update.text)")
            try await Self.insert(beta, [20])
        } catch {
            kill(hubPID, SIGCONT)
            throw error
        }
        kill(hubPID, SIGCONT)

        // Healed: both end with no record created before the date that was not updated after the operation.
        var tables: [Value] = []
        try await ClusteringTests.waitFor("both with 12 and 20 only", timeout: .seconds(90)) {
            tables = [try await ClusteringTests.table(alpha), try await ClusteringTests.table(beta)]
            let ids = try await ClusteringTests.ids(alpha)
            return tables[0] == tables[1] && ids == [12, 20]
        }
        #expect(tables.count == 2 && tables[0] == tables[1])
        #expect(try await ClusteringTests.ids(beta) == [12, 20])
        #expect(tables.first?.arrayValue?.first?["by"] == "beta again")
    }
}
