import Foundation
import LyreCore
import LyreTestSupport
import Testing

/// The network side of clustering on real `lyre` processes: routes authenticated with the
/// cluster user, route operations applied without a restart, `cluster_network`, route TLS.
@Suite(.serialized, .enabled(if: NATSTestNode.isAvailable, "nats-server is not installed (scripts/bootstrap)"))
struct ClusterNetworkTests {
    typealias Node = ClusteringTests.Node

    static func stop(_ nodes: [Node]) {
        for node in nodes {
            node.lyre.terminate()
            try? FileManager.default.removeItem(atPath: node.root)
        }
    }

    static func network(_ node: Node, _ options: String = "") async throws -> [String: Value] {
        let response = try await node.lyre.post(#"{"operation":"cluster_network"\#(options)}"#)
        var out: [String: Value] = [:]
        for entry in response.json["nodes"]?.arrayValue ?? [] {
            if let name = entry["name"]?.stringValue { out[name] = entry }
        }
        return out
    }

    static func warnings(_ node: Node) async throws -> [String] {
        let status = try await node.lyre.post(#"{"operation":"cluster_status"}"#).json
        return (status["lyre"]?["warnings"]?.arrayValue ?? []).compactMap(\.stringValue)
    }

    static let leafRoute: Value = .object(JSONObject([("host", "198.51.100.7"), ("port", .int(41234))]))

    static func route(_ port: Int) -> Value {
        .object(JSONObject([("host", "127.0.0.1"), ("port", .int(Int64(port)))]))
    }

    @Test func clusterSetRoutesJoinsARunningNodeWithoutRestartAndClusterDeleteRoutesLeaves() async throws {
        let alpha = try await ClusteringTests.startNode("alpha")
        let beta = try await ClusteringTests.startNode("beta")
        defer { Self.stop([alpha, beta]) }
        let hubPid = ClusteringTests.runningServers(root: beta.root)
        let set = try await beta.lyre.post(#"{"operation":"cluster_set_routes","server":"hub","routes":[{"host":"127.0.0.1","port":\#(alpha.routePort)}]}"#)
        #expect(set.json == .object(JSONObject([
            ("message", "cluster routes successfully set"), ("set", .array([Self.route(alpha.routePort)])), ("skipped", .array([])),
        ])))
        try await ClusteringTests.waitFor("alpha enmeshed with beta") {
            try await Self.network(alpha)["alpha"]?["connected_nodes"] == .array(["beta"])
        }
        #expect(ClusteringTests.runningServers(root: beta.root) == hubPid, "no restart: the same nats-servers")
        // Replication works over the new route.
        for node in [alpha, beta] {
            #expect(try await node.lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#).status == 200)
        }
        let added = try await alpha.lyre.post(#"{"operation":"add_node","node_name":"beta","subscriptions":[{"schema":"dev","table":"dog","subscribe":true,"publish":true}]}"#)
        #expect(added.json["message"] == "Successfully added 'beta' to manifest", "\(added.text)")
        #expect(try await alpha.lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":1,"name":"Penny"}]}"#).status == 200)
        try await ClusteringTests.waitFor("the record on beta") {
            try await beta.lyre.post(#"{"operation":"search_by_id","database":"dev","table":"dog","ids":[1],"get_attributes":["name"]}"#).json
                == .array([.object(JSONObject([("name", "Penny")]))])
        }

        let deleted = try await beta.lyre.post(#"{"operation":"cluster_delete_routes","routes":[{"host":"127.0.0.1","port":\#(alpha.routePort)}]}"#)
        #expect(deleted.json == .object(JSONObject([
            ("message", "cluster routes successfully deleted"), ("deleted", .array([Self.route(alpha.routePort)])), ("skipped", .array([])),
        ])))
        try await ClusteringTests.waitFor("alpha alone") {
            let network = try await Self.network(alpha)
            return network.keys.sorted() == ["alpha"] && network["alpha"]?["connected_nodes"] == .array([])
        }
        #expect(ClusteringTests.runningServers(root: beta.root) == hubPid)
        #expect(try await beta.lyre.post(#"{"operation":"cluster_get_routes"}"#).json
            == .object(JSONObject([("hub", .array([])), ("leaf", .array([]))])))
    }

    @Test func leafRoutesAreKeptAndListedAsHarperKeepsThemNotUsedAndClusterStatusSaysSo() async throws {
        let alpha = try await ClusteringTests.startNode("alpha")
        defer { Self.stop([alpha]) }
        // A documentation address (TEST-NET-2): nothing of the test's own can contain it.
        let set = try await alpha.lyre.post(#"{"operation":"cluster_set_routes","server":"leaf","routes":[{"host":"198.51.100.7","port":41234}]}"#)
        #expect(set.json == .object(JSONObject([
            ("message", "cluster routes successfully set"), ("set", .array([Self.leafRoute])), ("skipped", .array([])),
        ])))
        // Harper: a route already listed for the other server is skipped.
        let hub = try await alpha.lyre.post(#"{"operation":"cluster_set_routes","server":"hub","routes":[{"host":"198.51.100.7","port":41234}]}"#)
        #expect(hub.json["skipped"] == .array([Self.leafRoute]))
        #expect(try await alpha.lyre.post(#"{"operation":"cluster_get_routes"}"#).json
            == .object(JSONObject([("hub", .array([])), ("leaf", .array([Self.leafRoute]))])))
        #expect(try await Self.warnings(alpha).contains(
            #"1 leaf route is configured (clustering.leafServer.network.routes) and not used, as in Harper: the leaf server connects only to this node's hub; list other nodes with server "hub""#))
        // The leaf server's only remote is this node's own hub, as Harper's leaf config.
        let leaf = try String(contentsOfFile: alpha.root + "/clustering/leaf.json", encoding: .utf8)
        #expect(!leaf.contains("198.51.100.7"))
        let deleted = try await alpha.lyre.post(#"{"operation":"cluster_delete_routes","routes":[{"host":"198.51.100.7","port":41234}]}"#)
        #expect(deleted.json["deleted"] == .array([Self.leafRoute]))
        #expect(try await !Self.warnings(alpha).contains { $0.contains("leaf route") })
    }

    @Test func clusterNetworkListsEachNodesConnectedNodesAndConfiguredRoutesAsHarperDoes() async throws {
        let alpha = try await ClusteringTests.startNode("alpha")
        let beta = try await ClusteringTests.startNode("beta", routes: [alpha.routePort])
        let gamma = try await ClusteringTests.startNode("gamma", routes: [alpha.routePort])
        defer { Self.stop([alpha, beta, gamma]) }
        // Routes are gossiped: every hub ends up routed to every other one.
        try await ClusteringTests.waitFor("a full mesh") {
            let network = try await Self.network(beta)
            return network["alpha"]?["connected_nodes"] == .array(["beta", "gamma"])
                && network["beta"]?["connected_nodes"] == .array(["alpha", "gamma"])
                && network["gamma"]?["connected_nodes"] == .array(["alpha", "beta"])
        }
        let network = try await Self.network(beta)
        #expect(network["alpha"]?["routes"] == .array([]))
        #expect(network["beta"]?["routes"] == .array([Self.route(alpha.routePort)]))
        #expect(network["gamma"]?["routes"] == .array([Self.route(alpha.routePort)]))
        #expect(network.values.allSatisfy { $0["response_time"]?.intValue != nil })
        let raw = try await beta.lyre.post(#"{"operation":"cluster_network"}"#).json
        #expect(raw["nodes"]?.arrayValue?.first?["name"] == "beta", "this node first")
        #expect(raw["nodes"]?.arrayValue?.first?.objectValue?.keys == ["name", "response_time", "connected_nodes", "routes"])

        // Harper's documented flags: `connected_nodes: true` / `routes: true` omit those fields (inferred from its docs).
        let trimmed = try await Self.network(beta, #","connected_nodes":true,"routes":true"#)
        #expect(trimmed.count == 3)
        #expect(trimmed.values.allSatisfy { $0.objectValue?.keys == ["name", "response_time"] })
        let bad = try await beta.lyre.post(#"{"operation":"cluster_network","timeout":"soon"}"#)
        #expect(bad.status == 400)
        #expect(bad.json["error"] == "'timeout' must be a number")
    }

    @Test func clusterStatusReportsThePortTheOperationsAPIListensOnNotTheConfigurationFiles() async throws {
        let alpha = try await ClusteringTests.startNode("alpha")
        let beta = try await ClusteringTests.startNode("beta", routes: [alpha.routePort])
        defer { Self.stop([alpha, beta]) }
        #expect(beta.lyre.port != 9925)
        try await ClusteringTests.waitFor("beta reachable from alpha") {
            try await alpha.lyre.post(#"{"operation":"add_node","node_name":"beta","subscriptions":[{"schema":"dev","table":"dog","subscribe":true,"publish":true}]}"#).status == 200
        }
        let status = try await alpha.lyre.post(#"{"operation":"cluster_status"}"#).json
        let connection = status["connections"]?.arrayValue?.first
        #expect(connection?["ports"] == .object(JSONObject([
            ("clustering", .int(Int64(beta.routePort))), ("operations_api", .int(Int64(beta.lyre.port))),
        ])))
    }

    @Test func aNodeWithAWrongClusterPasswordCannotJoinAndClusterStatusSaysWhyOnBothSides() async throws {
        let alpha = try await ClusteringTests.startNode("alpha")
        let intruder = try await ClusteringTests.startNode("intruder", routes: [alpha.routePort],
                                                           clusterUser: ("cluster_account", "not-the-secret"))
        defer { Self.stop([alpha, intruder]) }
        try await ClusteringTests.waitFor("the intruder told why") {
            try await Self.warnings(intruder).contains { $0.contains("a route refused this node's cluster credentials (clustering.user)") }
        }
        try await ClusteringTests.waitFor("alpha told why") {
            try await Self.warnings(alpha).contains { $0.contains("a route with wrong cluster credentials was rejected") }
        }
        #expect(try await Self.network(alpha).keys.sorted() == ["alpha"])
        let added = try await intruder.lyre.post(#"{"operation":"add_node","node_name":"alpha","subscriptions":[{"schema":"dev","table":"dog","subscribe":true,"publish":true}]}"#)
        #expect(added.status == 400, "a node name that reaches no node is the request's fault (session 12)")
        #expect(added.text == #"{"error":"Unable to add_node, node 'alpha' is not listening."}"#)

        // The right password, set with alter_user: the running hub takes it, the node joins.
        #expect(try await intruder.lyre.post(#"{"operation":"alter_user","username":"cluster_account","password":"cluster-secret"}"#).status == 200)
        try await ClusteringTests.waitFor("the node joined") {
            try await Self.network(alpha)["alpha"]?["connected_nodes"] == .array(["intruder"])
        }
        #expect(try await Self.warnings(intruder).allSatisfy { !$0.contains("refused") })
    }

    @Test func withoutAClusterUserANodeServesAsAClusterOfOneAndSaysRoutesAreDisabled() async throws {
        let alpha = try await ClusteringTests.startNode("alpha")
        let loner = try await ClusteringTests.startNode("loner", routes: [alpha.routePort], clusterUser: nil)
        defer { Self.stop([alpha, loner]) }
        let status = try await loner.lyre.post(#"{"operation":"cluster_status"}"#).json
        #expect(status["lyre"]?["routes_authenticated"] == false)
        #expect(try await Self.warnings(loner).contains("no cluster user configured (clustering.user): routes are disabled, this node is a cluster of one"))
        let hub = try String(contentsOfFile: loner.root + "/clustering/hub.json", encoding: .utf8)
        #expect(!hub.contains("nats-route://"), "nothing solicited")
        #expect(try await Self.network(loner).keys.sorted() == ["loner"])
        #expect(try await Self.network(alpha).keys.sorted() == ["alpha"])
        // A user without the cluster_user role named as the cluster user: still disabled, and said so.
        #expect(try await loner.lyre.post(#"{"operation":"add_user","role":"super_user","username":"admin2","password":"x","active":true}"#).status == 200)
        #expect(try await loner.lyre.post(#"{"operation":"set_configuration","clustering_user":"admin2"}"#).status == 200)
        #expect(try await loner.lyre.post(#"{"operation":"restart"}"#).status == 200)
        try await ClusteringTests.waitFor("the role problem reported") {
            try await Self.warnings(loner).contains("the user 'admin2' (clustering.user) has no role with cluster_user: true: routes are disabled")
        }
        // Cluster users' reversible passwords are never shown.
        let users = try await alpha.lyre.post(#"{"operation":"list_users"}"#).json
        #expect(users.arrayValue?.allSatisfy { $0["hash"] == nil && $0["password"] == nil } == true)
    }

    @Test func routesOverTLSWithClusteringTLSKeysReplicateAndATLSProblemIsReported() async throws {
        guard let material = try TestCertificates.make() else {
            Issue.record("openssl is not installed")
            return
        }
        defer { try? FileManager.default.removeItem(atPath: material.directory) }
        let tls: [(String, Value)] = [
            ("clustering_tls_certificate", .string(material.certificate)), ("clustering_tls_privateKey", .string(material.privateKey)),
            ("clustering_tls_certificateAuthority", .string(material.authority)), ("clustering_tls_insecure", false),
        ]
        let alpha = try await ClusteringTests.startNode("alpha", extra: tls)
        let beta = try await ClusteringTests.startNode("beta", routes: [alpha.routePort], extra: tls)
        defer { Self.stop([alpha, beta]) }
        let status = try await beta.lyre.post(#"{"operation":"cluster_status"}"#).json
        #expect(status["lyre"]?["routes_tls"] == true)
        let hub = try String(contentsOfFile: beta.root + "/clustering/hub.json", encoding: .utf8)
        #expect(hub.contains(material.certificate) && hub.contains(#""insecure" : false"#))
        try await ClusteringTests.waitFor("alpha enmeshed with beta over TLS") {
            try await Self.network(alpha)["alpha"]?["connected_nodes"] == .array(["beta"])
        }
        // A node whose certificate another authority signed is refused.
        let strangerTLS: [(String, Value)] = [
            ("clustering_tls_certificate", .string(material.strangerCertificate)),
            ("clustering_tls_privateKey", .string(material.strangerPrivateKey)),
            ("clustering_tls_certificateAuthority", .string(material.strangerAuthority)), ("clustering_tls_insecure", false),
        ]
        let stranger = try await ClusteringTests.startNode("stranger", routes: [alpha.routePort], extra: strangerTLS)
        defer { Self.stop([stranger]) }
        try await ClusteringTests.waitFor("the stranger's TLS failure reported") {
            try await Self.warnings(stranger).contains { $0.hasPrefix("route TLS failed") }
        }
        #expect(try await Self.network(alpha).keys.sorted() == ["alpha", "beta"])
    }
}
