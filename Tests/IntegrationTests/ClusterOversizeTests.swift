import Foundation
import LyreCore
import LyreTestSupport
import Testing

/// Changes larger than NATS's `max_payload` (the largest message a server accepts) on real
/// nodes: they must never stall replication. A group too large for one message goes in
/// parts, a wide `create_table` in pieces, and a single record larger than the limit is left
/// out loudly (log and `cluster_status`) while everything after it still replicates.
@Suite(.serialized, .enabled(if: NATSTestNode.isAvailable, "nats-server is not installed (scripts/bootstrap)"))
struct ClusterOversizeTests {
    typealias Node = ClusteringTests.Node

    /// alpha and beta replicating dev.dog both ways, with `clustering.maxPayload` when given.
    static func pair(maxPayload: Int?) async throws -> (Node, Node) {
        let extra: [(String, Value)] = maxPayload.map { [("clustering_maxPayload", .int(Int64($0)))] } ?? []
        let alpha = try await ClusteringTests.startNode("alpha", extra: extra)
        let beta = try await ClusteringTests.startNode("beta", routes: [alpha.routePort], extra: extra)
        for node in [alpha, beta] {
            #expect(try await node.lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#).status == 200)
        }
        try await ClusteringTests.waitFor("beta reachable from alpha") {
            try await alpha.lyre.post(#"{"operation":"add_node","node_name":"beta","subscriptions":[{"schema":"dev","table":"dog","subscribe":true,"publish":true}]}"#).status == 200
        }
        return (alpha, beta)
    }

    static func stop(_ nodes: Node...) {
        for node in nodes {
            node.lyre.terminate()
            try? FileManager.default.removeItem(atPath: node.root)
        }
    }

    static func insert(_ node: Node, _ records: [(Int, Int)]) async throws {
        let body = records.map { #"{"id":\#($0.0),"pad":"\#(String(repeating: "x", count: $0.1))"}"# }.joined(separator: ",")
        let response = try await node.lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[\#(body)]}"#)
        #expect(response.status == 200, "\(response.text.prefix(300))")
    }

    /// The length of each record's `pad` on a node, by id.
    static func pads(_ node: Node) async throws -> [Int64: Int64] {
        let rows = try await node.lyre.post(#"{"operation":"sql","sql":"SELECT id, LENGTH(pad) AS size FROM dev.dog"}"#).json
        var out: [Int64: Int64] = [:]
        for row in rows.arrayValue ?? [] {
            if let id = row["id"]?.intValue { out[id] = row["size"]?.intValue ?? -1 }
        }
        return out
    }

    @Test func aTwoMegabyteRecordAndABatchOfSeveralMegabytesReplicateUnderTheDefaultLimit() async throws {
        let (alpha, beta) = try await Self.pair(maxPayload: nil)
        defer { Self.stop(alpha, beta) }
        try await Self.insert(alpha, [(1, 2 << 20)])
        try await Self.insert(alpha, (10..<50).map { ($0, 100_000) })
        try await Self.insert(alpha, [(2, 10)])
        var expected: [Int64: Int64] = [1: 2 << 20, 2: 10]
        for id in 10..<50 { expected[Int64(id)] = 100_000 }
        try await ClusteringTests.waitFor("every record on beta") { try await Self.pads(beta) == expected }
        let status = try await alpha.lyre.post(#"{"operation":"cluster_status"}"#).json
        #expect(status["lyre"]?["max_payload"] == .int(64 << 20))
        #expect(status["lyre"]?["unpublished"] == .int(0))
    }

    @Test func overAOneMegabyteLimitGroupsGoInPartsWideTablesInPiecesAndATooLargeRecordDoesNotStallTheRest() async throws {
        let (alpha, beta) = try await Self.pair(maxPayload: 1 << 20)
        defer { Self.stop(alpha, beta) }
        // A group of about 3 MB: in parts.
        try await Self.insert(alpha, (10..<70).map { ($0, 50_000) })
        // One record of 2 MB: cannot be sent at all under 1 MB.
        try await Self.insert(alpha, [(9000, 2 << 20)])
        // A schema-defined table whose create_table is about 1.5 MB: in pieces.
        let names = (0..<6000).map { "attribute_\($0)_" + String(repeating: "w", count: 200) }
        let attributes = names.map { #"{"name":"\#($0)","type":"String"}"# }.joined(separator: ",")
        let created = try await alpha.lyre.post(
            #"{"operation":"create_table","database":"dev","table":"wide","primary_key":"id","attributes":[{"name":"id","type":"Int"},\#(attributes)]}"#)
        #expect(created.status == 200, "\(created.text.prefix(300))")
        // And after all of them, a small record.
        try await Self.insert(alpha, [(1, 10)])

        var expected: [Int64: Int64] = [1: 10]
        for id in 10..<70 { expected[Int64(id)] = 50_000 }
        // The small record came after the others in commit order: once it is on beta, so is
        // everything before it that could be sent.
        try await ClusteringTests.waitFor("the small record on beta") { try await Self.pads(beta)[1] == 10 }
        #expect(try await Self.pads(beta) == expected)
        try await ClusteringTests.waitFor("dev.wide on beta with every attribute") {
            let described = try await beta.lyre.post(#"{"operation":"describe_table","database":"dev","table":"wide"}"#).json
            let received = Set((described["attributes"]?.arrayValue ?? []).compactMap { $0["attribute"]?.stringValue })
            return described["schema_defined"] == true && received.isSuperset(of: names)
        }

        let status = try await alpha.lyre.post(#"{"operation":"cluster_status"}"#).json
        let local = try #require(status["lyre"]?.objectValue)
        #expect(local["max_payload"] == .int(1 << 20))
        #expect(local["unpublished"] == .int(1))
        #expect(local["last_unpublished"]?.stringValue?.hasPrefix("record 9000 of dev.dog (") == true, "\(local)")
        let warnings = (local["warnings"]?.arrayValue ?? []).compactMap(\.stringValue)
        #expect(warnings.contains { $0.hasPrefix("1 change(s) larger than NATS's max_payload (1048576 bytes) were not replicated") },
                "\(warnings)")
        #expect(local["publish_pending"] == .int(0))
        // Said loudly in alpha's log too.
        let log = (try? String(contentsOfFile: alpha.root + "/log/hdb.log", encoding: .utf8)) ?? ""
        #expect(log.contains("record 9000 of dev.dog is"), "log: \(log.suffix(500))")
    }

    @Test func theMaxPayloadSettingIsBoundedToWhatNATSAllows() async throws {
        let root = TestApplication.temporaryRoot()
        let lyre = try await LyreProcess(root: root, port: NATSTestNode.freePort())
        defer {
            lyre.terminate()
            try? FileManager.default.removeItem(atPath: root)
        }
        for value in [1000, 128 << 20] {
            let response = try await lyre.post(#"{"operation":"set_configuration","clustering_maxPayload":\#(value)}"#)
            #expect(response.status == 400, "\(response.text)")
        }
        #expect(try await lyre.post(#"{"operation":"set_configuration","clustering_maxPayload":2097152}"#).status == 200)
    }
}
