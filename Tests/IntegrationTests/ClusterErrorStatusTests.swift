import Foundation
import LyreCore
import LyreTestSupport
import Testing

/// The statuses of clustering's failures to reach a peer (session 12): Harper answers 500
/// for all of them; a `node_name` that reaches no node is the request's fault, so Lyre
/// answers 400 with Harper's text, and writes nothing.
@Suite(.serialized, .enabled(if: NATSTestNode.isAvailable, "nats-server is not installed (scripts/bootstrap)"))
struct ClusterErrorStatusTests {
    @Test func aNodeNameThatReachesNoNodeIs400WithHarpersTextAndNothingIsStored() async throws {
        let node = try await ClusteringTests.startNode("solo", clusterUser: nil)
        defer {
            node.lyre.terminate()
            try? FileManager.default.removeItem(atPath: node.root)
        }
        let subscriptions = #""subscriptions":[{"database":"dev","table":"dog","subscribe":true,"publish":true}]"#
        for operation in ["add_node", "update_node"] {
            let response = try await node.lyre.post(#"{"operation":"\#(operation)","node_name":"nowhere",\#(subscriptions)}"#)
            #expect(response.status == 400)
            #expect(response.text == #"{"error":"Unable to \#(operation), node 'nowhere' is not listening."}"#)
        }
        let stored = try await node.lyre.post(#"{"operation":"sql","sql":"SELECT COUNT(*) AS n FROM system.hdb_nodes"}"#)
        #expect(stored.text == #"[{"n":0}]"#)
        #expect(try await node.lyre.post(#"{"operation":"cluster_status"}"#).status == 200)
    }
}
