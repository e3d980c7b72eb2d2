import Foundation
import LyreCore
import LyreTestSupport
import Testing

/// Clustering's data side on real `lyre` processes: schema changes replicating, full
/// copies for nodes that lack a table's history, users and roles from before the join,
/// tombstone expiry. Nodes are set up as in `ClusteringTests` (its helpers).
@Suite(.serialized, .enabled(if: NATSTestNode.isAvailable, "nats-server is not installed (scripts/bootstrap)"))
struct ClusterSchemaTests {
    typealias Node = ClusteringTests.Node

    static func stop(_ nodes: [Node]) {
        for node in nodes {
            _ = node.lyre.terminate()
            if ProcessInfo.processInfo.environment["LYRE_KEEP_ROOTS"] == nil { try? FileManager.default.removeItem(atPath: node.root) }
        }
    }

    static func describe(_ node: Node, _ table: String) async throws -> TestResponse {
        try await node.lyre.post(#"{"operation":"describe_table","database":"dev","table":"\#(table)"}"#)
    }

    static func attributes(_ node: Node, _ table: String) async throws -> Set<String> {
        let described = try await describe(node, table).json
        return Set((described["attributes"]?.arrayValue ?? []).compactMap { $0["attribute"]?.stringValue })
    }

    static func ids(_ node: Node, _ table: String = "dog") async throws -> [Int64] {
        let rows = try await node.lyre.post(#"{"operation":"sql","sql":"SELECT id FROM dev.\#(table) ORDER BY id"}"#).json
        return (rows.arrayValue ?? []).compactMap { $0["id"]?.intValue }
    }

    @Test func schemaChangesOnOneNodeReachThePeerInOrderWithTheRecords() async throws {
        let (alpha, beta) = try await ClusteringTests.pair()
        defer { Self.stop([alpha, beta]) }
        // create_attribute on alpha shows in beta's describe_table.
        #expect(try await alpha.lyre.post(#"{"operation":"create_attribute","database":"dev","table":"dog","attribute":"colour"}"#).status == 200)
        try await ClusteringTests.waitFor("colour on beta") { try await Self.attributes(beta, "dog").contains("colour") }
        // A table created on alpha in a database beta has appears there, with its primary key.
        #expect(try await alpha.lyre.post(#"{"operation":"create_table","database":"dev","table":"cat","primary_key":"name"}"#).status == 200)
        try await ClusteringTests.waitFor("dev.cat on beta") {
            try await Self.describe(beta, "cat").json["hash_attribute"] == "name"
        }
        // drop_attribute likewise.
        #expect(try await alpha.lyre.post(#"{"operation":"drop_attribute","database":"dev","table":"dog","attribute":"colour"}"#).status == 200)
        try await ClusteringTests.waitFor("colour gone on beta") { try await !Self.attributes(beta, "dog").contains("colour") }

        // Inserts, then the table dropped at once: the late inserts do not bring it back.
        let records = (0..<200).map { #"{"id":\#($0),"n":\#($0)}"# }.joined(separator: ",")
        #expect(try await alpha.lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[\#(records)]}"#).status == 200)
        #expect(try await alpha.lyre.post(#"{"operation":"drop_table","database":"dev","table":"dog"}"#).status == 200)
        try await ClusteringTests.waitFor("dev.dog gone on beta") { try await Self.describe(beta, "dog").status == 404 }
        try await Task.sleep(for: .seconds(2))
        #expect(try await Self.describe(beta, "dog").status == 404, "still gone once everything has arrived")

        // Re-created on alpha: beta gets the new table with the new records only.
        #expect(try await alpha.lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#).status == 200)
        #expect(try await alpha.lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":1000}]}"#).status == 200)
        try await ClusteringTests.waitFor("the new dev.dog on beta") { try await Self.ids(beta) == [1000] }

        // A database dropped on alpha goes on beta.
        #expect(try await alpha.lyre.post(#"{"operation":"drop_database","database":"dev"}"#).status == 200)
        try await ClusteringTests.waitFor("dev gone on beta") {
            try await beta.lyre.post(#"{"operation":"describe_database","database":"dev"}"#).status == 404
        }
    }

    @Test func aNodeAddedAfterDataWasWrittenAndThePeersStreamPurgedGetsAFullCopy() async throws {
        let (alpha, beta) = try await ClusteringTests.pair()
        var nodes = [alpha, beta]
        defer { Self.stop(nodes) }
        let records = (0..<1500).map { #"{"id":\#($0),"by":"alpha"}"# }.joined(separator: ",")
        #expect(try await alpha.lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[\#(records)]}"#).status == 200)
        #expect(try await alpha.lyre.post(#"{"operation":"delete","database":"dev","table":"dog","ids":[3,4,5]}"#).status == 200)
        #expect(try await beta.lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":5000,"by":"beta"}]}"#).status == 200)
        try await ClusteringTests.waitFor("beta with alpha's records") { try await Self.ids(beta).count == 1498 }
        // alpha's stream no longer holds any of it.
        #expect(try await alpha.lyre.post(#"{"operation":"purge_stream","database":"dev","table":"dog"}"#).status == 200)

        let gamma = try await ClusteringTests.startNode("gamma", routes: [alpha.routePort, beta.routePort])
        nodes.append(gamma)
        try await ClusteringTests.waitFor("alpha reachable from gamma") {
            try await gamma.lyre.post(#"{"operation":"add_node","node_name":"alpha","subscriptions":[{"schema":"dev","table":"dog","subscribe":true,"publish":false}]}"#).status == 200
        }
        let expected = try await Self.ids(alpha)
        #expect(expected.count == 1498)
        try await ClusteringTests.waitFor("gamma with every record of alpha") { try await Self.ids(gamma) == expected }
        // Then the changes after the copy's point.
        #expect(try await alpha.lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":9999}]}"#).status == 200)
        #expect(try await alpha.lyre.post(#"{"operation":"delete","database":"dev","table":"dog","ids":[6]}"#).status == 200)
        try await ClusteringTests.waitFor("gamma with the later changes") { try await Self.ids(gamma) == Self.ids(alpha) }
        let status = try await gamma.lyre.post(#"{"operation":"cluster_status"}"#).json
        let connection = status["connections"]?.arrayValue?.first { $0["node_name"] == "alpha" }
        #expect((connection?["copies"]?.intValue ?? 0) >= 1, "\(String(describing: connection))")
    }

    @Test func aNodeJoiningAfterThePeersSchemaStreamAgedOutGetsThePeersTablesOfItsDatabasesOnly() async throws {
        // alpha's streams keep their last message only.
        let alpha = try await ClusteringTests.startNode("alpha", extra: [("clustering_leafServer_streams_maxMsgs", .int(1))])
        var nodes = [alpha]
        defer { Self.stop(nodes) }
        for body in [
            #"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#,
            #"{"operation":"create_table","database":"dev","table":"cat","primary_key":"name"}"#,
            #"{"operation":"create_attribute","database":"dev","table":"cat","attribute":"colour"}"#,
            #"{"operation":"create_table","database":"other","table":"bird","primary_key":"id"}"#,
            #"{"operation":"insert","database":"dev","table":"dog","records":[{"id":1}]}"#,
        ] {
            let response = try await alpha.lyre.post(body)
            #expect(response.status == 200, "\(response.text)")
        }
        // alpha's schema stream holds the last of those changes only (other.bird's creation).

        let beta = try await ClusteringTests.startNode("beta", routes: [alpha.routePort])
        nodes.append(beta)
        try await ClusteringTests.waitFor("beta reachable from alpha") {
            try await alpha.lyre.post(#"{"operation":"add_node","node_name":"beta","subscriptions":[{"schema":"dev","table":"dog","subscribe":true,"publish":true}]}"#).status == 200
        }
        try await ClusteringTests.waitFor("dev.dog's record on beta") { try await Self.ids(beta) == [1] }
        // dev.cat (a table beta does not subscribe to, of a database it has) from the schema copy.
        try await ClusteringTests.waitFor("dev.cat on beta") {
            try await Self.describe(beta, "cat").json["hash_attribute"] == "name"
        }
        #expect(try await Self.attributes(beta, "cat").isSuperset(of: ["name", "colour"]))
        // Not a database beta has nothing to do with.
        #expect(try await beta.lyre.post(#"{"operation":"describe_database","database":"other"}"#).status == 404)
        // Later schema changes still come through the stream, after the copy's point.
        #expect(try await alpha.lyre.post(#"{"operation":"create_table","database":"dev","table":"fish","primary_key":"id"}"#).status == 200)
        try await ClusteringTests.waitFor("dev.fish on beta") { try await Self.describe(beta, "fish").status == 200 }
    }

    @Test func aNodeBehindAPurgeTakesAFullCopyOnItsRestart() async throws {
        let (alpha, first) = try await ClusteringTests.pair()
        var nodes = [alpha, first]
        defer { Self.stop(nodes) }
        #expect(try await alpha.lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":1},{"id":2}]}"#).status == 200)
        try await ClusteringTests.waitFor("beta with the first records") { try await Self.ids(first) == [1, 2] }
        // beta down while alpha writes, deletes, and purges its stream.
        _ = first.lyre.terminate()
        let records = (10..<400).map { #"{"id":\#($0)}"# }.joined(separator: ",")
        #expect(try await alpha.lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[\#(records)]}"#).status == 200)
        #expect(try await alpha.lyre.post(#"{"operation":"delete","database":"dev","table":"dog","ids":[1]}"#).status == 200)
        #expect(try await alpha.lyre.post(#"{"operation":"purge_stream","database":"dev","table":"dog"}"#).status == 200)
        let beta = Node(name: "beta", root: first.root, lyre: try await LyreProcess(root: first.root, port: NATSTestNode.freePort()),
                        routePort: first.routePort)
        nodes[1] = beta
        let expected = try await Self.ids(alpha)
        try await ClusteringTests.waitFor("beta with alpha's table, the delete included") { try await Self.ids(beta) == expected }
    }

    @Test func usersAndRolesCreatedBeforeTheNodesWereJoinedWorkOnBoth() async throws {
        let alpha = try await ClusteringTests.startNode("alpha")
        let beta = try await ClusteringTests.startNode("beta", routes: [alpha.routePort])
        defer { Self.stop([alpha, beta]) }
        for node in [alpha, beta] {
            #expect(try await node.lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#).status == 200)
        }
        let role = #"{"operation":"add_role","role":"reader","permission":{"dev":{"tables":{"dog":{"read":true,"insert":false,"update":false,"delete":false,"attribute_permissions":[]}}}}}"#
        #expect(try await alpha.lyre.post(role).status == 200)
        #expect(try await alpha.lyre.post(#"{"operation":"add_user","role":"reader","username":"kim","password":"k1","active":true}"#).status == 200)
        #expect(try await beta.lyre.post(#"{"operation":"add_user","role":"super_user","username":"lee","password":"l1","active":true}"#).status == 200)
        try await ClusteringTests.waitFor("beta reachable from alpha") {
            try await alpha.lyre.post(#"{"operation":"add_node","node_name":"beta","subscriptions":[{"schema":"dev","table":"dog","subscribe":true,"publish":true}]}"#).status == 200
        }
        let read = #"{"operation":"search_by_value","database":"dev","table":"dog","search_attribute":"id","search_value":"*","get_attributes":["id"]}"#
        try await ClusteringTests.waitFor("kim (made on alpha) on beta") {
            try await beta.lyre.post(read, authorization: ClusteringTests.basic("kim", "k1")).status == 200
        }
        try await ClusteringTests.waitFor("lee (made on beta) on alpha") {
            try await alpha.lyre.post(read, authorization: ClusteringTests.basic("lee", "l1")).status == 200
        }
        // The role came along with kim: kim may read but not write on beta.
        let insert = #"{"operation":"insert","database":"dev","table":"dog","records":[{"id":1}]}"#
        #expect(try await beta.lyre.post(insert, authorization: ClusteringTests.basic("kim", "k1")).status == 403)
    }

    @Test func tombstonesExpireAfterTheConfiguredRetention() async throws {
        let node = try await ClusteringTests.startNode("alpha")
        defer { Self.stop([node]) }
        let set = try await node.lyre.post(#"{"operation":"set_configuration","clustering_tombstoneRetention":"2s"}"#)
        #expect(set.status == 200, "\(set.text)")
        #expect(try await node.lyre.post(#"{"operation":"restart"}"#).status == 200)
        try await ClusteringTests.waitFor("the retention in force") {
            try await node.lyre.post(#"{"operation":"cluster_status"}"#).json["lyre"]?["tombstone_retention_seconds"]?.doubleValue == 2
        }
        #expect(try await node.lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#).status == 200)
        let records = (0..<20).map { #"{"id":\#($0)}"# }.joined(separator: ",")
        #expect(try await node.lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[\#(records)]}"#).status == 200)
        #expect(try await node.lyre.post(#"{"operation":"delete","database":"dev","table":"dog","ids":[\#((0..<20).map(String.init).joined(separator: ","))]}"#).status == 200)
        // Every delete left a tombstone: held, or already expired if the machine was slow
        // enough for the 2 s to pass before this answer (only their sum is certain here).
        let local = try await node.lyre.post(#"{"operation":"cluster_status"}"#).json["lyre"]
        #expect((local?["tombstones"]?.intValue ?? 0) + (local?["tombstones_expired"]?.intValue ?? 0) >= 20)
        try await ClusteringTests.waitFor("the tombstones expired") {
            let local = try await node.lyre.post(#"{"operation":"cluster_status"}"#).json["lyre"]
            return local?["tombstones"] == .int(0) && (local?["tombstones_expired"]?.intValue ?? 0) >= 20
        }
    }
}
