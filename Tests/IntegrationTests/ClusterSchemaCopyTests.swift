import Foundation
import LyreCore
import LyreTestSupport
import Testing

/// A schema copy carries the peer's drop and `delete_records_before` markers: a node joining
/// after the peer's schema stream lost a drop or the operation (here: streams that keep one
/// message) still learns it, and applies it as it would have from the stream.
@Suite(.serialized, .enabled(if: NATSTestNode.isAvailable, "nats-server is not installed (scripts/bootstrap)"))
struct ClusterSchemaCopyTests {
    typealias Node = ClusteringTests.Node

    static func post(_ node: Node, _ body: String) async throws {
        let response = try await node.lyre.post(body)
        #expect(response.status == 200, "\(body): \(response.text)")
    }

    static func insert(_ node: Node, _ ids: [Int]) async throws {
        let records = ids.map { #"{"id":\#($0),"by":"\#(node.name)"}"# }.joined(separator: ",")
        try await post(node, #"{"operation":"insert","database":"dev","table":"dog","records":[\#(records)]}"#)
    }

    static func addNode(on node: Node, _ other: String) async throws {
        try await ClusteringTests.waitFor("\(other) reachable from \(node.name)") {
            try await node.lyre.post(#"{"operation":"add_node","node_name":"\#(other)","subscriptions":[{"schema":"dev","table":"dog","subscribe":true,"publish":true}]}"#).status == 200
        }
    }

    @Test func aTableDroppedOnThePeerBeforeItsSchemaStreamLostTheDropIsDroppedOnANodeJoiningLater() async throws {
        // alpha's streams keep their last message only.
        let alpha = try await ClusteringTests.startNode("alpha", extra: [("clustering_leafServer_streams_maxMsgs", .int(1))])
        var nodes = [alpha]
        defer { ClusterSchemaTests.stop(nodes) }
        let beta = try await ClusteringTests.startNode("beta", routes: [alpha.routePort])
        nodes.append(beta)
        for node in [alpha, beta] {
            try await Self.post(node, #"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#)
            try await Self.post(node, #"{"operation":"create_table","database":"dev","table":"cat","primary_key":"id"}"#)
        }
        // beta's dev.cat holds records written before alpha drops the table.
        try await Self.post(beta, #"{"operation":"insert","database":"dev","table":"cat","records":[{"id":1},{"id":2}]}"#)
        try await Task.sleep(for: .milliseconds(20))
        try await Self.post(alpha, #"{"operation":"drop_table","database":"dev","table":"cat"}"#)
        // alpha's schema stream now holds the next change only, not the drop.
        try await Self.post(alpha, #"{"operation":"create_table","database":"dev","table":"fish","primary_key":"id"}"#)

        try await Self.addNode(on: alpha, "beta")
        try await ClusteringTests.waitFor("dev.fish on beta (the schema copy done)") {
            try await ClusterSchemaTests.describe(beta, "fish").status == 200
        }
        try await ClusteringTests.waitFor("dev.cat dropped on beta") { try await ClusterSchemaTests.describe(beta, "cat").status == 404 }
        #expect(try await ClusterSchemaTests.describe(alpha, "cat").status == 404, "beta's older dev.cat does not come back on alpha")
        // A table re-created after the drop is not kept out by the marker.
        try await Self.post(alpha, #"{"operation":"create_table","database":"dev","table":"cat","primary_key":"id"}"#)
        try await Self.post(alpha, #"{"operation":"insert","database":"dev","table":"cat","records":[{"id":9}]}"#)
        try await ClusteringTests.waitFor("the new dev.cat on beta") { try await ClusterSchemaTests.describe(beta, "cat").status == 200 }
    }

    @Test func nodesJoiningAfterTheOriginsSchemaStreamLostADeleteRecordsBeforeEndWithOnlyWhatItSpared() async throws {
        let alpha = try await ClusteringTests.startNode("alpha", extra: [("clustering_leafServer_streams_maxMsgs", .int(1))])
        var nodes = [alpha]
        defer { ClusterSchemaTests.stop(nodes) }
        let beta = try await ClusteringTests.startNode("beta", routes: [alpha.routePort])
        nodes.append(beta)
        let gamma = try await ClusteringTests.startNode("gamma", routes: [alpha.routePort, beta.routePort])
        nodes.append(gamma)
        for node in [alpha, beta, gamma] {
            try await Self.post(node, #"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#)
        }
        // Records created before the date on every node, none of them joined yet.
        try await Self.insert(alpha, [1, 2, 3])
        try await Self.insert(beta, [11, 12])
        try await Self.insert(gamma, [31, 32])
        try await Task.sleep(for: .milliseconds(20))
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let date = formatter.string(from: Date())
        try await Task.sleep(for: .milliseconds(20))
        try await Self.insert(alpha, [20])
        let job = try await alpha.lyre.post(#"{"operation":"delete_records_before","date":"\#(date)","schema":"dev","table":"dog"}"#)
        try await ClusterDeleteBeforeTests.waitForJob(alpha, job)
        #expect(try await ClusterSchemaTests.ids(alpha) == [20])
        // alpha's schema stream then holds the next change only, not the operation's marker.
        try await Self.post(alpha, #"{"operation":"create_table","database":"dev","table":"fish","primary_key":"id"}"#)

        // beta joins alpha: its own records created before the date go (the marker came with
        // the schema copy), and alpha's table copy brings the record the operation spared.
        try await Self.addNode(on: alpha, "beta")
        try await ClusteringTests.waitFor("beta with 20 only") { try await ClusterSchemaTests.ids(beta) == [20] }
        // gamma joins beta only: it learns the operation from beta's schema copy (beta keeps
        // alpha's marker), and gamma's older records copied to beta are kept out there.
        try await Self.addNode(on: beta, "gamma")
        try await ClusteringTests.waitFor("gamma with 20 only") { try await ClusterSchemaTests.ids(gamma) == [20] }
        try await Task.sleep(for: .seconds(2))
        for node in [alpha, beta, gamma] {
            #expect(try await ClusterSchemaTests.ids(node) == [20], "\(node.name), once everything has arrived")
        }
        // Later writes still flow: a record made on beta reaches both of its peers.
        try await Self.insert(beta, [40])
        try await ClusteringTests.waitFor("40 on alpha and gamma") {
            let (onAlpha, onGamma) = (try await ClusterSchemaTests.ids(alpha), try await ClusterSchemaTests.ids(gamma))
            return onAlpha == [20, 40] && onGamma == [20, 40]
        }
    }
}
