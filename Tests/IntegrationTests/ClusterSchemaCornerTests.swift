import Foundation
import LyreCore
import LyreTestSupport
import Testing

/// A schema copy's corners on real nodes: a database a node begins to take after joining
/// (its copy of the whole schema skipped it) comes with the tables and markers the peer's
/// schema stream no longer holds; a database's creation time decides against a drop, so an
/// empty database re-created after a drop is kept on both nodes.
@Suite(.serialized, .enabled(if: NATSTestNode.isAvailable, "nats-server is not installed (scripts/bootstrap)"))
struct ClusterSchemaCornerTests {
    typealias Node = ClusteringTests.Node

    static func post(_ node: Node, _ body: String) async throws {
        let response = try await node.lyre.post(body)
        #expect(response.status == 200, "\(node.name): \(body): \(response.text)")
    }

    static func ids(_ node: Node, _ database: String, _ table: String) async throws -> [Int64] {
        let rows = try await node.lyre.post(#"{"operation":"sql","sql":"SELECT id FROM \#(database).\#(table) ORDER BY id"}"#).json
        return (rows.arrayValue ?? []).compactMap { $0["id"]?.intValue }
    }

    static func hasDatabase(_ node: Node, _ database: String) async throws -> Bool {
        try await node.lyre.post(#"{"operation":"describe_database","database":"\#(database)"}"#).status == 200
    }

    static func subscriptions(_ tables: [(String, String)]) -> String {
        tables.map { #"{"schema":"\#($0.0)","table":"\#($0.1)","subscribe":true,"publish":true}"# }.joined(separator: ",")
    }

    static func addNode(on node: Node, _ other: String, _ tables: [(String, String)]) async throws {
        try await ClusteringTests.waitFor("\(other) reachable from \(node.name)") {
            try await node.lyre.post(#"{"operation":"add_node","node_name":"\#(other)","subscriptions":[\#(subscriptions(tables))]}"#).status == 200
        }
    }

    @Test func aDatabaseANodeBeginsToTakeAfterJoiningComesWithTheTablesAndMarkersThePeersStreamNoLongerHolds() async throws {
        // alpha's streams keep their last message only.
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
        // gamma's zoo.cat holds records created before the date.
        try await Self.post(gamma, #"{"operation":"create_table","database":"zoo","table":"cat","primary_key":"id"}"#)
        try await Self.post(gamma, #"{"operation":"insert","database":"zoo","table":"cat","records":[{"id":31},{"id":32}]}"#)
        // alpha: zoo.cat, zoo.bird, and delete_records_before on zoo.cat.
        try await Self.post(alpha, #"{"operation":"create_table","database":"zoo","table":"cat","primary_key":"id"}"#)
        try await Self.post(alpha, #"{"operation":"create_table","database":"zoo","table":"bird","primary_key":"id"}"#)
        try await Self.post(alpha, #"{"operation":"insert","database":"zoo","table":"cat","records":[{"id":1},{"id":2}]}"#)
        try await Task.sleep(for: .milliseconds(20))
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let date = formatter.string(from: Date())
        try await Task.sleep(for: .milliseconds(20))
        try await Self.post(alpha, #"{"operation":"insert","database":"zoo","table":"cat","records":[{"id":20}]}"#)
        let job = try await alpha.lyre.post(#"{"operation":"delete_records_before","date":"\#(date)","schema":"zoo","table":"cat"}"#)
        try await ClusterDeleteBeforeTests.waitForJob(alpha, job)
        #expect(try await Self.ids(alpha, "zoo", "cat") == [20])
        // alpha's schema stream then holds the next change only, none of zoo's.
        try await Self.post(alpha, #"{"operation":"create_table","database":"dev","table":"fish","primary_key":"id"}"#)

        // beta joins both on dev.dog only: its copies of their schemas skip zoo.
        try await Self.addNode(on: beta, "alpha", [("dev", "dog")])
        try await Self.addNode(on: beta, "gamma", [("dev", "dog")])
        try await ClusteringTests.waitFor("dev.fish on beta (alpha's schema copied)") {
            try await ClusterSchemaTests.describe(beta, "fish").status == 200
        }
        #expect(try await !Self.hasDatabase(beta, "zoo"), "a database beta takes nothing of")

        // beta subscribes to zoo.cat on both: it gets zoo's part of each peer's schema.
        for peer in ["alpha", "gamma"] {
            try await Self.post(beta, #"{"operation":"update_node","node_name":"\#(peer)","subscriptions":[\#(Self.subscriptions([("zoo", "cat")]))]}"#)
        }
        try await ClusteringTests.waitFor("zoo.bird on beta (a table of zoo beta does not subscribe to)") {
            try await beta.lyre.post(#"{"operation":"describe_table","database":"zoo","table":"bird"}"#).status == 200
        }
        // alpha's marker keeps gamma's records created before the date out of beta's zoo.cat.
        try await ClusteringTests.waitFor("beta's zoo.cat with 20 only") { try await Self.ids(beta, "zoo", "cat") == [20] }
        try await Task.sleep(for: .seconds(2))
        #expect(try await Self.ids(beta, "zoo", "cat") == [20], "once everything has arrived")
        #expect(try await Self.ids(alpha, "zoo", "cat") == [20])
        // Later writes flow both ways on the new subscription.
        try await Self.post(beta, #"{"operation":"insert","database":"zoo","table":"cat","records":[{"id":40}]}"#)
        try await ClusteringTests.waitFor("40 on alpha") { try await Self.ids(alpha, "zoo", "cat") == [20, 40] }
    }

    @Test func anEmptyDatabaseReCreatedAfterADropOnTheOtherNodeEndsOnBothAndOneDroppedAfterItsCreationOnNeither() async throws {
        let alpha = try await ClusteringTests.startNode("alpha")
        var nodes = [alpha]
        defer { ClusterSchemaTests.stop(nodes) }
        let beta = try await ClusteringTests.startNode("beta", routes: [alpha.routePort])
        nodes.append(beta)
        for node in [alpha, beta] {
            try await Self.post(node, #"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#)
        }
        // park: created on beta, later created and dropped on alpha. zoo: dropped on alpha,
        // later re-created (empty) on beta.
        try await Self.post(beta, #"{"operation":"create_database","database":"park"}"#)
        try await Task.sleep(for: .milliseconds(20))
        for database in ["zoo", "park"] {
            try await Self.post(alpha, #"{"operation":"create_database","database":"\#(database)"}"#)
            try await Self.post(alpha, #"{"operation":"drop_database","database":"\#(database)"}"#)
        }
        try await Task.sleep(for: .milliseconds(20))
        try await Self.post(beta, #"{"operation":"create_database","database":"zoo"}"#)

        // Joined with subscriptions to a table of each (neither has one): both take both databases.
        try await Self.addNode(on: alpha, "beta", [("dev", "dog"), ("zoo", "cat"), ("park", "cat")])
        try await ClusteringTests.waitFor("zoo on alpha") { try await Self.hasDatabase(alpha, "zoo") }
        try await ClusteringTests.waitFor("park gone on beta") { try await !Self.hasDatabase(beta, "park") }
        try await Task.sleep(for: .seconds(2))
        for node in [alpha, beta] {
            #expect(try await Self.hasDatabase(node, "zoo"), "\(node.name): zoo was re-created after the drop")
            #expect(try await !Self.hasDatabase(node, "park"), "\(node.name): park was dropped after its creation")
        }
    }
}
