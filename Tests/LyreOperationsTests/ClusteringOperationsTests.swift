import Foundation
import LyreCore
import LyreOperations
import LyreTestSupport
import Testing

/// The clustering operations that need no running engine (p2-surface.md §2): routes edit
/// the configuration as Harper's do, and the rest answer Harper's text while clustering is off.
@Suite struct ClusteringOperationsTests {
    @Test func routesAreSetSkippedListedAndDeletedInTheConfiguration() async throws {
        let h = try Harness()
        let set = await h.post(#"{"operation":"cluster_set_routes","server":"hub","routes":[{"host":"10.0.0.2","port":9932},{"host":"10.0.0.3","port":"9932"}]}"#)
        #expect(set.status == 200)
        #expect(set.json["message"] == "cluster routes successfully set")
        #expect(set.json["set"] == [["host": "10.0.0.2", "port": 9932], ["host": "10.0.0.3", "port": 9932]])
        #expect(set.json["skipped"] == [])
        // Already there (in either server's routes): skipped.
        let again = await h.post(#"{"operation":"cluster_set_routes","server":"leaf","routes":[{"host":"10.0.0.2","port":9932},{"host":"10.0.0.4","port":9940}]}"#)
        #expect(again.json["set"] == [["host": "10.0.0.4", "port": 9940]])
        #expect(again.json["skipped"] == [["host": "10.0.0.2", "port": 9932]])

        let routes = await h.post(#"{"operation":"cluster_get_routes"}"#)
        #expect(routes.json == ["hub": [["host": "10.0.0.2", "port": 9932], ["host": "10.0.0.3", "port": 9932]],
                                "leaf": [["host": "10.0.0.4", "port": 9940]]])
        let configuration = await h.post(#"{"operation":"get_configuration"}"#).json
        #expect(configuration["clustering"]?["hubServer"]?["cluster"]?["network"]?["routes"]?.arrayValue?.count == 2)

        let deleted = await h.post(#"{"operation":"cluster_delete_routes","routes":[{"host":"10.0.0.3","port":9932},{"host":"10.0.0.9","port":1}]}"#)
        #expect(deleted.json["message"] == "cluster routes successfully deleted")
        #expect(deleted.json["deleted"] == [["host": "10.0.0.3", "port": 9932]])
        #expect(deleted.json["skipped"] == [["host": "10.0.0.9", "port": 1]])
        #expect(await h.post(#"{"operation":"cluster_get_routes"}"#).json["hub"] == [["host": "10.0.0.2", "port": 9932]])
    }

    @Test func badRouteRequestsAreRefused() async throws {
        let h = try Harness()
        #expect(await h.post(#"{"operation":"cluster_set_routes","server":"moon","routes":[]}"#).json["error"] == "'server' must be one of [hub, leaf]")
        #expect(await h.post(#"{"operation":"cluster_set_routes","server":"hub"}"#).json["error"] == "'routes' is required")
        #expect(await h.post(#"{"operation":"cluster_delete_routes","routes":[{"host":"a"}]}"#).json["error"] == "'routes[0]' must have a 'host' and a 'port'")
    }

    @Test(arguments: ["add_node", "update_node", "set_node_replication", "remove_node", "configure_cluster", "cluster_network", "purge_stream"])
    func withClusteringOffAnswersHarpersError(operation: String) async throws {
        let h = try Harness()
        let r = await h.post(#"{"operation":"\#(operation)","node_name":"b","subscriptions":[],"connections":[],"database":"data","table":"t"}"#)
        #expect(r.status == 400)
        #expect(r.json["error"] == "Clustering must be enabled to perform this operation.")
    }

    @Test func clusterStatusSaysDisabledAndOnlySuperUsersMayAsk() async throws {
        let h = try Harness()
        let status = await h.post(#"{"operation":"cluster_status"}"#)
        #expect(status.json["is_enabled"] == false)
        #expect(status.json["connections"] == [])
        #expect(status.json["node_name"]?.stringValue?.isEmpty == false)
        #expect(await h.post(#"{"operation":"add_role","role":"plain","permission":{}}"#).status == 200)
        #expect(await h.post(#"{"operation":"add_user","role":"plain","username":"pat","password":"pw","active":true}"#).status == 200)
        let refused = await h.post(#"{"operation":"cluster_status"}"#, authorization: "Basic " + Data("pat:pw".utf8).base64EncodedString())
        #expect(refused.status == 403)
    }
}
