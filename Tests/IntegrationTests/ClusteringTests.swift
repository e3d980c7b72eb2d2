import Foundation
import LyreCore
import Synchronization
import LyreTestSupport
import Testing

/// Clustering on real `lyre` processes, each with its own root, ports and nats-servers
/// (started by Lyre itself), as a user sets them up: `set_configuration` with
/// `clustering_enabled: true` and the ports and routes, `restart`, then `add_node`.
@Suite(.serialized, .enabled(if: NATSTestNode.isAvailable, "nats-server is not installed (scripts/bootstrap)"))
struct ClusteringTests {
    /// One node's process and its clustering ports.
    struct Node: Sendable {
        let name: String
        let root: String
        let lyre: LyreProcess
        let routePort: Int
    }

    /// Starts a node and turns clustering on through the API (walkthrough step 7, with free
    /// ports so tests never meet another server's defaults), then waits until its engine runs.
    /// `clusterUser`: the cluster user (name, password) created before the restart, whose
    /// credentials authenticate routes (nil: none, so no routes, a cluster of one).
    /// `extra`: more `set_configuration` parameters (TLS).
    static func startNode(_ name: String?, routes: [Int] = [], routePort: Int = NATSTestNode.freePort(),
                          clusterUser: (String, String)? = ("cluster_account", "cluster-secret"),
                          extra: [(String, Value)] = []) async throws -> Node {
        let root = TestApplication.temporaryRoot()
        let lyre = try await LyreProcess(root: root, port: NATSTestNode.freePort())
        if let (user, password) = clusterUser {
            #expect(try await lyre.post(#"{"operation":"add_role","role":"cluster_user","permission":{"cluster_user":true}}"#).status == 200)
            let add = try await lyre.post(JSON.string(.object(JSONObject([
                ("operation", "add_user"), ("role", "cluster_user"), ("username", .string(user)), ("password", .string(password)), ("active", true),
            ]))))
            #expect(add.status == 200, "\(add.text)")
        }
        var settings: [(String, Value)] = [
            ("operation", "set_configuration"), ("clustering_enabled", true),
            ("clustering_hubServer_cluster_network_port", .int(Int64(routePort))),
            ("clustering_hubServer_network_port", .int(Int64(NATSTestNode.freePort()))),
            ("clustering_hubServer_leafNodes_network_port", .int(Int64(NATSTestNode.freePort()))),
            ("clustering_leafServer_network_port", .int(Int64(NATSTestNode.freePort()))),
        ]
        if let name { settings.append(("clustering_nodeName", .string(name))) }
        if let (user, _) = clusterUser { settings.append(("clustering_user", .string(user))) }
        settings += extra
        if !routes.isEmpty {
            settings.append(("clustering_hubServer_cluster_network_routes",
                             .array(routes.map { .object(JSONObject([("host", "127.0.0.1"), ("port", .int(Int64($0)))])) })))
        }
        let set = try await lyre.post(JSON.string(.object(JSONObject(settings))))
        #expect(set.status == 200, "\(set.text)")
        #expect(try await lyre.post(#"{"operation":"restart"}"#).status == 200)
        do {
            try await waitFor("clustering on \(name ?? "node")", timeout: .seconds(120)) {
                let status = try await lyre.post(#"{"operation":"cluster_status"}"#).json
                return status["is_enabled"] == .bool(true) && status["lyre"]?["nats_connected"] == .bool(true)
            }
        } catch {
            // What the node and its servers said, so a failure in CI can be read from its log.
            let status = (try? await lyre.post(#"{"operation":"cluster_status"}"#).text) ?? "(no answer)"
            func tail(_ file: String) -> String {
                let text = (try? String(contentsOfFile: root + "/clustering/" + file, encoding: .utf8)) ?? "(none)"
                return text.split(separator: "\n").suffix(15).joined(separator: "\n")
            }
            Issue.record("cluster_status: \(status)\nhub.log:\n\(tail("hub.log"))\nleaf.log:\n\(tail("leaf.log"))")
            throw error
        }
        return Node(name: name ?? "", root: root, lyre: lyre, routePort: routePort)
    }

    static func waitFor(_ what: String, timeout: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? await condition()) == true { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        Issue.record("timed out waiting for \(what)")
        throw TimedOut()
    }

    struct TimedOut: Error {}

    /// The pids in a node's nats-server pid files that are alive.
    static func runningServers(root: String) -> [pid_t] {
        ["hub.pid", "leaf.pid"].compactMap { file in
            guard let text = try? String(contentsOfFile: root + "/clustering/" + file, encoding: .utf8),
                  let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), kill(pid, 0) == 0 else { return nil }
            // A zombie is not running.
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            return stat.contains(") Z") ? nil : pid
        }
    }

    @Test func withClusteringOffTheOperationsAnswerHarpersError() async throws {
        let root = TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let lyre = try await LyreProcess(root: root, port: NATSTestNode.freePort())
        defer { lyre.terminate() }
        for body in [#"{"operation":"add_node","node_name":"b","subscriptions":[]}"#, #"{"operation":"remove_node","node_name":"b"}"#,
                     #"{"operation":"update_node","node_name":"b","subscriptions":[]}"#, #"{"operation":"cluster_network"}"#,
                     #"{"operation":"purge_stream","database":"data","table":"t"}"#] {
            let response = try await lyre.post(body)
            #expect(response.status == 400)
            #expect(response.json["error"] == "Clustering must be enabled to perform this operation.", "\(body)")
        }
        let status = try await lyre.post(#"{"operation":"cluster_status"}"#)
        #expect(status.json["is_enabled"] == false)
        #expect(status.json["connections"] == .array([]))
    }

    @Test func stepSevenEnableAndRestartServesAClusterOfOneAndStopsItsServers() async throws {
        let node = try await Self.startNode(nil)
        defer { try? FileManager.default.removeItem(atPath: node.root) }
        let status = try await node.lyre.post(#"{"operation":"cluster_status"}"#).json
        #expect(status["node_name"]?.stringValue?.isEmpty == false, "named after the host")
        #expect(status["connections"] == .array([]))
        #expect(status["lyre"]?["warnings"]?.arrayValue?.contains("no routes configured: a cluster of one") == true)
        #expect(Self.runningServers(root: node.root).count == 2)
        let routes = try await node.lyre.post(#"{"operation":"cluster_get_routes"}"#).json
        #expect(routes == .object(JSONObject([("hub", .array([])), ("leaf", .array([]))])))
        // Harper's default cluster name, in the hub's generated configuration.
        let hub = try String(contentsOfFile: node.root + "/clustering/hub.json", encoding: .utf8)
        #expect(hub.contains(#""name" : "harperdb""#))

        let servers = Self.runningServers(root: node.root)
        node.lyre.terminate()
        #expect(servers.allSatisfy { kill($0, 0) != 0 || ((try? String(contentsOfFile: "/proc/\($0)/stat", encoding: .utf8)) ?? ") Z").contains(") Z") },
                "the nats-servers stop with lyre")
    }

    @Test func twoNodesConvergeAfterConcurrentWritesOnBoth() async throws {
        let alpha = try await Self.startNode("alpha")
        let beta = try await Self.startNode("beta", routes: [alpha.routePort])
        defer {
            alpha.lyre.terminate()
            beta.lyre.terminate()
            try? FileManager.default.removeItem(atPath: alpha.root)
            try? FileManager.default.removeItem(atPath: beta.root)
        }
        for node in [alpha, beta] {
            #expect(try await node.lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#).status == 200)
        }
        // One add_node on alpha: beta is told and subscribes the other way.
        try await Self.waitFor("beta reachable from alpha") {
            let added = try await alpha.lyre.post(#"{"operation":"add_node","node_name":"beta","subscriptions":[{"schema":"dev","table":"dog","subscribe":true,"publish":true}]}"#)
            return added.status == 200 && added.json["message"] == "Successfully added 'beta' to manifest"
        }
        let betaNodes = try await beta.lyre.post(#"{"operation":"search_by_value","database":"system","table":"hdb_nodes","search_attribute":"name","search_value":"*","get_attributes":["*"]}"#)
        #expect(betaNodes.json.arrayValue?.first?["name"] == "alpha")

        // Concurrent inserts, updates and deletes on both nodes, overlapping ids.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, node) in [alpha, beta].enumerated() {
                group.addTask {
                    for i in 0..<60 {
                        let id = i % 40
                        let body: String
                        switch i % 3 {
                        case 0: body = #"{"operation":"upsert","database":"dev","table":"dog","records":[{"id":\#(id),"by":"\#(node.name)","n":\#(i)}]}"#
                        case 1: body = #"{"operation":"insert","database":"dev","table":"dog","records":[{"id":\#(100 * (index + 1) + i),"by":"\#(node.name)"}]}"#
                        default: body = #"{"operation":"delete","database":"dev","table":"dog","ids":[\#((id + 7) % 40)]}"#
                        }
                        let response = try await node.lyre.post(body)
                        #expect(response.status == 200, "\(response.text)")
                    }
                    // SQL writes replicate too.
                    let update = try await node.lyre.post(#"{"operation":"sql","sql":"UPDATE dev.dog SET sql_by = '\#(node.name)' WHERE id = 101"}"#)
                    #expect(update.status == 200)
                }
            }
            try await group.waitForAll()
        }

        let query = #"{"operation":"sql","sql":"SELECT * FROM dev.dog ORDER BY id"}"#
        var last: (Value, Value) = (.null, .null)
        try await Self.waitFor("both nodes identical", timeout: .seconds(90)) {
            let a = try await alpha.lyre.post(query).json
            let b = try await beta.lyre.post(query).json
            last = (a, b)
            return a == b && (a.arrayValue?.count ?? 0) > 0
        }
        #expect(last.0 == last.1)
        let rows: [Value] = last.0.arrayValue ?? []
        let ids: Set<Int64> = Set(rows.compactMap { $0["id"]?.intValue })
        var inserted: Set<Int64> = []
        for i in 0..<60 where i % 3 == 1 {
            inserted.insert(Int64(100 + i))
            inserted.insert(Int64(200 + i))
        }
        #expect(ids.isSuperset(of: inserted), "every insert of both nodes is on both")
        let status = try await alpha.lyre.post(#"{"operation":"cluster_status"}"#).json
        let connection = status["connections"]?.arrayValue?.first
        #expect(connection?["node_name"] == "beta")
        #expect(connection?["status"] == "open")
        #expect(connection?["lag"]?["records"] == .int(0))
    }

    /// Two nodes replicating dev.dog both ways (one `add_node` on the first).
    static func pair() async throws -> (Node, Node) {
        let alpha = try await startNode("alpha")
        let beta = try await startNode("beta", routes: [alpha.routePort])
        for node in [alpha, beta] {
            #expect(try await node.lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#).status == 200)
        }
        try await waitFor("beta reachable from alpha") {
            try await alpha.lyre.post(#"{"operation":"add_node","node_name":"beta","subscriptions":[{"schema":"dev","table":"dog","subscribe":true,"publish":true}]}"#).status == 200
        }
        return (alpha, beta)
    }

    /// Inserts ids on a node until `until` says stop; returns the ids acknowledged with a 200.
    static func insertUntil(_ node: Node, from start: Int, _ until: @Sendable () -> Bool) async -> [Int] {
        var acknowledged: [Int] = []
        var id = start
        while !until() {
            let body = #"{"operation":"insert","database":"dev","table":"dog","records":[{"id":\#(id),"by":"\#(node.name)"}]}"#
            if let response = try? await node.lyre.post(body), response.status == 200 { acknowledged.append(id) } else { break }
            id += 1
        }
        return acknowledged
    }

    static func ids(_ node: Node) async throws -> Set<Int64> {
        let rows = try await node.lyre.post(#"{"operation":"sql","sql":"SELECT id FROM dev.dog"}"#).json
        return Set((rows.arrayValue ?? []).compactMap { $0["id"]?.intValue })
    }

    @Test func aKilledNatsServerIsRestartedByLyreAndReplicationResumes() async throws {
        let (alpha, beta) = try await Self.pair()
        defer {
            alpha.lyre.terminate()
            beta.lyre.terminate()
            try? FileManager.default.removeItem(atPath: alpha.root)
            try? FileManager.default.removeItem(atPath: beta.root)
        }
        let before = Set((0..<20).map(Int64.init))
        for id in before {
            #expect(try await alpha.lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":\#(id)}]}"#).status == 200)
        }
        try await Self.waitFor("the first writes on beta") { try await Self.ids(beta) == before }
        // kill -9 of alpha's JetStream server, then more writes on alpha while it is down.
        let leaf = try String(contentsOfFile: alpha.root + "/clustering/leaf.pid", encoding: .utf8)
        let pid = try #require(pid_t(leaf.trimmingCharacters(in: .whitespacesAndNewlines)))
        kill(pid, SIGKILL)
        let after = Set((20..<40).map(Int64.init))
        for id in after {
            #expect(try await alpha.lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":\#(id)}]}"#).status == 200)
        }
        try await Self.waitFor("every write on beta") { try await Self.ids(beta) == before.union(after) }
        let status = try await alpha.lyre.post(#"{"operation":"cluster_status"}"#).json
        #expect((status["lyre"]?["engine_restarts"]?.intValue ?? 0) >= 1)
    }

    @Test func aNodeKilledDuringWritesCatchesUpAndNoAcknowledgedWriteIsLost() async throws {
        let (first, beta) = try await Self.pair()
        defer {
            beta.lyre.terminate()
            try? FileManager.default.removeItem(atPath: first.root)
            try? FileManager.default.removeItem(atPath: beta.root)
        }
        let stop = Flag()
        async let alphaWrites = Self.insertUntil(first, from: 1_000_000, { stop.isSet })
        async let betaWrites = Self.insertUntil(beta, from: 2_000_000, { stop.isSet })
        try await Task.sleep(for: .milliseconds(1500))
        first.lyre.kill()  // SIGKILL: its nats-servers die with it
        try await Task.sleep(for: .milliseconds(1000))
        stop.set()
        let acknowledged = Set((await alphaWrites + betaWrites).map(Int64.init))
        #expect(acknowledged.count > 10)

        // Restarted on its root: clustering is in its configuration; it resumes from its
        // durable position on beta, and publishes what it had committed but not sent.
        let alpha = Node(name: "alpha", root: first.root, lyre: try await LyreProcess(root: first.root, port: NATSTestNode.freePort()),
                         routePort: first.routePort)
        defer { alpha.lyre.terminate() }
        try await Self.waitFor("both nodes with every acknowledged write", timeout: .seconds(90)) {
            let a = try await Self.ids(alpha)
            let b = try await Self.ids(beta)
            return a == b && a.isSuperset(of: acknowledged)
        }
        let a = try await Self.ids(alpha)
        #expect(a.isSuperset(of: acknowledged), "acknowledged but missing: \(acknowledged.subtracting(a).prefix(10))")
    }
}

extension ClusteringTests {
    /// Random upserts and deletes on one node over ids 0..<`ids`; returns when done.
    static func randomWrites(_ node: Node, count: Int, ids: Int, seed: UInt64) async throws {
        var random = SplitMix64(seed: seed)
        for _ in 0..<count {
            let id = Int(random.next() % UInt64(ids))
            let body: String
            if random.next() % 4 == 0 {
                body = #"{"operation":"delete","database":"dev","table":"dog","ids":[\#(id)]}"#
            } else {
                body = #"{"operation":"upsert","database":"dev","table":"dog","records":[{"id":\#(id),"by":"\#(node.name)","v":\#(random.next() % 1000)}]}"#
            }
            let response = try await node.lyre.post(body)
            #expect(response.status == 200, "\(response.text)")
        }
    }

    static func table(_ node: Node) async throws -> Value {
        try await node.lyre.post(#"{"operation":"sql","sql":"SELECT * FROM dev.dog ORDER BY id"}"#).json
    }

    @Test func threeNodesWithOneCutOffConvergeRecordForRecordOnceHealed() async throws {
        let alpha = try await Self.startNode("alpha")
        let beta = try await Self.startNode("beta", routes: [alpha.routePort])
        let gamma = try await Self.startNode("gamma", routes: [alpha.routePort, beta.routePort])
        let nodes = [alpha, beta, gamma]
        defer {
            for node in nodes {
                node.lyre.terminate()
                try? FileManager.default.removeItem(atPath: node.root)
            }
        }
        for node in nodes {
            #expect(try await node.lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#).status == 200)
        }
        let both = #"[{"schema":"dev","table":"dog","subscribe":true,"publish":true}]"#
        for (from, to) in [(alpha, "beta"), (alpha, "gamma"), (beta, "gamma")] {
            try await Self.waitFor("\(to) reachable from \(from.name)") {
                try await from.lyre.post(#"{"operation":"add_node","node_name":"\#(to)","subscriptions":\#(both)}"#).status == 200
            }
        }
        // Concurrent random writes on all three.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (i, node) in nodes.enumerated() {
                group.addTask { try await Self.randomWrites(node, count: 60, ids: 30, seed: UInt64(i + 1)) }
            }
            try await group.waitForAll()
        }
        // gamma cut off: its hub (its only way to the others) frozen, while all sides write.
        let hub = try String(contentsOfFile: gamma.root + "/clustering/hub.pid", encoding: .utf8)
        let hubPID = try #require(pid_t(hub.trimmingCharacters(in: .whitespacesAndNewlines)))
        kill(hubPID, SIGSTOP)
        do {
            let cut = try await alpha.lyre.post(#"{"operation":"cluster_status"}"#).json
            let gammaStatus = cut["connections"]?.arrayValue?.first { $0["node_name"] == "gamma" }?["status"]
            #expect(gammaStatus != nil && gammaStatus != "open", "gamma is cut off: \(String(describing: gammaStatus))")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (i, node) in nodes.enumerated() {
                    group.addTask { try await Self.randomWrites(node, count: 40, ids: 30, seed: UInt64(100 + i)) }
                }
                try await group.waitForAll()
            }
        } catch {
            kill(hubPID, SIGCONT)
            throw error
        }
        kill(hubPID, SIGCONT)

        var tables: [Value] = []
        try await Self.waitFor("three identical tables", timeout: .seconds(120)) {
            tables = []
            for node in nodes { tables.append(try await Self.table(node)) }
            return tables[0] == tables[1] && tables[1] == tables[2]
        }
        #expect(tables.count == 3 && tables[0] == tables[1] && tables[1] == tables[2])
        #expect((tables.first?.arrayValue?.count ?? 0) > 0)
    }
}

extension ClusteringTests {
    @Test func aNodeAddedLaterReceivesEverythingWrittenBefore() async throws {
        let (alpha, beta) = try await Self.pair()
        var nodes = [alpha, beta]
        defer {
            for node in nodes {
                node.lyre.terminate()
                try? FileManager.default.removeItem(atPath: node.root)
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (i, node) in [alpha, beta].enumerated() {
                group.addTask { try await Self.randomWrites(node, count: 50, ids: 40, seed: UInt64(7 + i)) }
            }
            try await group.waitForAll()
        }
        // A third node joins afterwards, without the table: it is created on first receipt.
        let gamma = try await Self.startNode("gamma", routes: [alpha.routePort, beta.routePort])
        nodes.append(gamma)
        let both = #"[{"schema":"dev","table":"dog","subscribe":true,"publish":true}]"#
        for peer in ["alpha", "beta"] {
            try await Self.waitFor("\(peer) reachable from gamma") {
                try await gamma.lyre.post(#"{"operation":"add_node","node_name":"\#(peer)","subscriptions":\#(both)}"#).status == 200
            }
        }
        var tables: [Value] = []
        try await Self.waitFor("gamma with everything", timeout: .seconds(90)) {
            tables = []
            for node in nodes { tables.append(try await Self.table(node)) }
            return tables[0] == tables[1] && tables[1] == tables[2]
        }
        #expect(tables.count == 3 && tables[0] == tables[2])
        #expect((tables.first?.arrayValue?.count ?? 0) > 0)
    }
}

extension ClusteringTests {
    static func basic(_ user: String, _ password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }

    @Test func usersAndRolesReplicateSoOneSetOfCredentialsWorksOnEveryNode() async throws {
        let (alpha, beta) = try await Self.pair()
        defer {
            for node in [alpha, beta] {
                node.lyre.terminate()
                try? FileManager.default.removeItem(atPath: node.root)
            }
        }
        let role = #"{"operation":"add_role","role":"reader","permission":{"dev":{"tables":{"dog":{"read":true,"insert":false,"update":false,"delete":false,"attribute_permissions":[]}}}}}"#
        #expect(try await alpha.lyre.post(role).status == 200)
        #expect(try await alpha.lyre.post(#"{"operation":"add_user","role":"reader","username":"kim","password":"first","active":true}"#).status == 200)
        let read = #"{"operation":"search_by_value","database":"dev","table":"dog","search_attribute":"id","search_value":"*","get_attributes":["id"]}"#
        try await Self.waitFor("kim can read on beta") {
            try await beta.lyre.post(read, authorization: Self.basic("kim", "first")).status == 200
        }
        // A change made on beta (a new password) holds on alpha too.
        #expect(try await beta.lyre.post(#"{"operation":"alter_user","username":"kim","password":"second"}"#).status == 200)
        try await Self.waitFor("the new password on alpha") {
            try await alpha.lyre.post(read, authorization: Self.basic("kim", "second")).status == 200
        }
        #expect(try await alpha.lyre.post(read, authorization: Self.basic("kim", "first")).status == 401)
        // Dropped on alpha: refused on beta.
        #expect(try await alpha.lyre.post(#"{"operation":"drop_user","username":"kim"}"#).status == 200)
        try await Self.waitFor("kim refused on beta") {
            try await beta.lyre.post(read, authorization: Self.basic("kim", "second")).status == 401
        }
    }
}

/// A flag set once, read from other tasks.
final class Flag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}

