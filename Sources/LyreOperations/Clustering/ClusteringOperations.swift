import Foundation
import LyreCluster
import LyreCore
import LyreStorage

/// The NATS clustering operations of Harper 4.0–4.3 (p2-surface.md §2). Super user only
/// (`Authorization`). With clustering off they answer Harper's
/// `Clustering must be enabled to perform this operation.`, except `cluster_status` (which
/// says `is_enabled: false`) and the route operations (which edit the configuration, as
/// Harper's do).
enum ClusteringOperations {
    static func register(into registry: inout OperationRegistry) {
        registry.register(.clusterStatus, .async(clusterStatus))
        registry.register(.addNode, .async(addNode))
        registry.register(.updateNode, .async(updateNode))
        registry.register(.setNodeReplication, .async(updateNode))
        registry.register(.removeNode, .async(removeNode))
        registry.register(.configureCluster, .async(configureCluster))
        registry.register(.clusterSetRoutes, .async(setRoutes))
        registry.register(.clusterGetRoutes, .async(getRoutes))
        registry.register(.clusterDeleteRoutes, .async(deleteRoutes))
        registry.register(.clusterNetwork, .async(clusterNetwork))
        registry.register(.purgeStream, .async(purgeStream))
    }

    static let notEnabled = "Clustering must be enabled to perform this operation."

    /// The running node. - Throws: Harper's 400 when clustering is off; a 500 with the
    /// reason when it is on but the node could not start.
    private static func node(_ context: OperationContext) throws -> ClusterNode {
        guard context.app.configuration.clustering.enabled else { throw LyreError.badRequest(notEnabled) }
        guard let node = context.app.cluster.node else {
            throw LyreError(.internalError, status: 500, context.app.cluster.lastError ?? "clustering is not running")
        }
        return node
    }

    // MARK: cluster_status

    @Sendable static func clusterStatus(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        let settings = context.app.configuration.clustering
        var response = JSONObject()
        response["node_name"] = .string(settings.effectiveNodeName)
        response["is_enabled"] = .bool(settings.enabled)
        guard settings.enabled else {
            response["connections"] = .array([])
            return .json(.object(response))
        }
        guard let node = context.app.cluster.node else {
            response["connections"] = .array([])
            response["error"] = .string(context.app.cluster.lastError ?? "clustering is not running")
            return .json(.object(response))
        }
        let nodes = try NodeRecord.all(in: context.app.storage).filter { $0.name != node.nodeName }
        let connections = await withTaskGroup(of: (Int, Value).self) { group in
            for (index, record) in nodes.enumerated() {
                // A peer that does not answer holds its request up to its timeout: off the cooperative pool.
                group.addTask { (index, (try? await blocking { connectionStatus(record, node: node) }) ?? .null) }
            }
            var out: [(Int, Value)] = []
            for await entry in group { out.append(entry) }
            return out.sorted { $0.0 < $1.0 }.map(\.1)
        }
        response["connections"] = .array(connections)
        // Lyre's additions: this node's engine and publishing.
        let progress = node.publisher.progress
        var local = JSONObject()
        local["nats_connected"] = .bool(node.isConnected)
        let live = node.settings
        local["routes"] = .array(live.routes.map(routeValue))
        if let engine = node.engine {
            local["routes_authenticated"] = .bool(node.credentialProblem == nil)
            local["routes_tls"] = .bool(engine.settings.routeTLS != nil)
        }
        local["published"] = .int(Int64(progress.published))
        local["publish_pending"] = .int(Int64(progress.pending))
        if let error = progress.lastError { local["last_publish_error"] = .string(error) }
        // Lyre's: what was left out because it alone is larger than NATS's max_payload.
        let refused = node.publisher.refused
        local["max_payload"] = .int(Int64(refused.maxPayload))
        local["unpublished"] = .int(Int64(refused.count))
        if let last = refused.last { local["last_unpublished"] = .string(last) }
        if let engine = node.engine { local["engine_restarts"] = .int(Int64(engine.restarts)) }
        // Tombstones (and drop markers) held, and removed since start after the retention.
        let storage = context.app.storage
        let held = try await blocking { storage.databaseNames.reduce(0) { $0 + ((try? storage.database($1)?.tombstoneCount()) ?? 0) } }
        local["tombstones"] = .int(Int64(held))
        local["tombstones_expired"] = .int(Int64(node.tombstoneSweeper.removed))
        local["tombstone_retention_seconds"] = .double(node.tombstoneSweeper.retention)
        var warnings: [Value] = []
        if live.routes.isEmpty, node.engine != nil { warnings.append(.string("no routes configured: a cluster of one")) }
        if refused.count > 0 {
            warnings.append(.string("\(refused.count) change(s) larger than NATS's max_payload (\(refused.maxPayload) bytes) were not replicated, the last: \(refused.last ?? "?")"))
        }
        if let engine = node.engine {
            if let problem = node.credentialProblem { warnings.append(.string(problem)) }
            if node.credentialProblem == nil, let problem = live.tlsProblem { warnings.append(.string(problem)) }
            warnings += engine.routeProblems().map(Value.string)
        }
        // Leaf routes: kept and listed as Harper keeps them, and, as in Harper, not used
        // (docs/compatibility.md); said here rather than ignored silently.
        let leafRoutes = (try? ConfigurationFile.read(root: context.app.configuration.root))
            .map { ClusteringSettings.routes(ConfigurationFile.lookup($0, path: routeKeys["leaf"]!)) } ?? []
        if !leafRoutes.isEmpty {
            warnings.append(.string(Self.leafRoutesWarning(leafRoutes.count)))
        }
        if !warnings.isEmpty { local["warnings"] = .array(warnings) }
        response["lyre"] = .object(local)
        return .json(.object(response))
    }

    /// One peer's status: a request to it (status and latency), then what its subscribers say.
    private static func connectionStatus(_ record: NodeRecord, node: ClusterNode) -> Value {
        var status = "open"
        var ports: Value = .null
        var uptime: Value = .null
        var latency: Double?
        let start = ContinuousClock.now
        do {
            let reply = try node.request(record.name, JSONObject([("operation", .string("cluster_status")), ("node_name", .string(node.nodeName))]),
                                         timeout: .seconds(2))
            let elapsed = ContinuousClock.now - start
            latency = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            if reply["status"]?.stringValue != "success" { status = "closed" }
            ports = reply["ports"] ?? .null
            uptime = reply["uptime"] ?? .null
        } catch let error as NATSError {
            status = error.isTimeout ? "Timeout" : error.isNoResponders ? "NoResponders" : "closed"
        } catch {
            status = "closed"
        }
        var object = JSONObject()
        object["node_name"] = .string(record.name)
        object["status"] = .string(status)
        object["ports"] = ports
        object["latency_ms"] = latency.map { .double(($0 * 100).rounded() / 100) } ?? .null
        object["uptime"] = uptime
        object["subscriptions"] = .array(record.subscriptions.map(\.value))
        // Lyre's addition: how far behind this node is in receiving from that node.
        let subscribers = node.subscribers(of: record.name)
        let pending = subscribers.reduce(UInt64(0)) { $0 + $1.status.pending }
        let oldest = subscribers.compactMap { $0.status.pending > 0 ? $0.status.lastStored : nil }.min()
        var lag = JSONObject()
        lag["records"] = .int(Int64(pending))
        lag["seconds"] = .double(oldest.map { max(0, Date().timeIntervalSince($0)) } ?? 0)
        object["lag"] = .object(lag)
        object["receiving"] = .bool(!subscribers.isEmpty && subscribers.allSatisfy { $0.status.connected })
        // Full copies of tables taken from that node (a new subscription, or history gone from its stream).
        object["copies"] = .int(Int64(subscribers.reduce(0) { $0 + $1.status.copies }))
        object["copying"] = .bool(subscribers.contains { $0.status.copying })
        if let error = subscribers.compactMap({ $0.status.lastError }).first { object["last_error"] = .string(error) }
        return .object(object)
    }

    // MARK: Nodes

    /// `node_name` (also `name`, `hostname` for `remove_node`), checked as Harper checks it.
    private static func nodeName(_ request: Request, local: String) throws -> String {
        let value = request["node_name"] ?? (request.operation == .removeNode ? request["name"] ?? request["hostname"] : nil)
        guard let value, !value.isNull else { throw LyreError.validation("'node_name' is required") }
        guard let name = value.stringValue else { throw LyreError.validation("'node_name' must be a string") }
        guard ClusteringSettings.isValidNodeName(name) else { throw LyreError.validation("'node_name' invalid, must not contain ., * or >") }
        guard name != local else { throw LyreError.validation("'node_name' cannot be this nodes name") }
        return name
    }

    private static func subscriptions(_ request: Request, adding: Bool) throws -> [NodeSubscription] {
        guard let value = request["subscriptions"], !value.isNull else { throw LyreError.validation("'subscriptions' is required") }
        guard let items = value.arrayValue else { throw LyreError.validation("'subscriptions' must be an array") }
        var out: [NodeSubscription] = []
        var problems: [String] = []
        for (i, item) in items.enumerated() {
            guard let object = item.objectValue else {
                problems.append("'subscriptions[\(i)]' must be of type object")
                continue
            }
            if object["table"]?.stringValue == nil { problems.append("'subscriptions[\(i)].table' is required") }
            for key in ["subscribe", "publish"] where object[key]?.boolValue == nil {
                problems.append(object[key] == nil ? "'subscriptions[\(i)].\(key)' is required" : "'subscriptions[\(i)].\(key)' must be a boolean")
            }
            if let start = object["start_time"], !start.isNull, NodeSubscription(item)?.startDate == nil {
                problems.append("'subscriptions[\(i)].start_time' must be in ISO 8601 date format")
            }
            guard let subscription = NodeSubscription(item), object["subscribe"]?.boolValue != nil, object["publish"]?.boolValue != nil else { continue }
            if adding, !subscription.publish, !subscription.subscribe {
                problems.append("'subscriptions[\(i)]' subscribe and/or publish must be set to true when adding a node")
            }
            out.append(subscription)
        }
        guard problems.isEmpty else { throw LyreError.validation(problems) }
        return out
    }

    /// How long a request keeps being retried while nobody answers its subject: interest in a
    /// node's request subject crosses a route a moment after the route is up, so an `add_node`
    /// sent right after `cluster_set_routes` would otherwise find "not listening" for a node
    /// that is (inferred: Harper answers at once).
    static let noRespondersGrace: Duration = .seconds(5)

    /// `node.request`, sent again every 250 ms while NATS says no one listens, for up to
    /// `noRespondersGrace`; other errors and the last "no responders" are thrown.
    private static func requestRetryingNoResponders(_ node: ClusterNode, _ remote: String, _ payload: JSONObject) throws -> JSONObject {
        let deadline = ContinuousClock.now + noRespondersGrace
        while true {
            do {
                return try node.request(remote, payload)
            } catch let error as NATSError where error.isNoResponders && ContinuousClock.now < deadline {
                Thread.sleep(forTimeInterval: 0.25)
            }
        }
    }

    /// Tells the other node, which applies the reversed subscriptions (Harper's flow).
    private static func tellRemote(_ node: ClusterNode, _ remote: String, operation: String, _ subscriptions: [NodeSubscription]) throws {
        let payload = JSONObject([
            ("operation", .string(operation)), ("node_name", .string(node.nodeName)),
            ("subscriptions", .array(subscriptions.map(\.reversed.value))),
        ])
        let reply: JSONObject
        do {
            // A node being removed may well be gone: no grace for it.
            reply = operation == "remove_node" ? try node.request(remote, payload)
                : try requestRetryingNoResponders(node, remote, payload)
        } catch let error as NATSError {
            throw remoteFailure(error, operation: operation, remote: remote)
        }
        if reply["status"]?.stringValue != "success" {
            // The remote's own status when it refused the request (4xx); its failure otherwise.
            let status = reply["status_code"]?.intValue.flatMap { (400..<500).contains($0) ? Int($0) : nil } ?? 502
            throw LyreError(status < 500 ? .badRequest : .unavailable, status: status,
                            "Error returned from remote node \(remote): \(reply["message"]?.stringValue ?? "unknown error")")
        }
    }

    /// Harper's texts for a peer that cannot be asked, with Lyre's statuses (Harper answers
    /// 500 for all): no node listening under that name is the request's fault (400); a
    /// peer that listens but does not answer in time is the peer's (504, a gateway timeout).
    static func remoteFailure(_ error: NATSError, operation: String, remote: String) -> LyreError {
        if error.isNoResponders {
            return LyreError(.badRequest, status: 400, "Unable to \(operation), node '\(remote)' is not listening.")
        }
        if error.isTimeout {
            return LyreError(.unavailable, status: 504, "Unable to \(operation), node '\(remote)' is listening but did not respond.")
        }
        return LyreError(.unavailable, status: 502, error.description)
    }

    @Sendable static func addNode(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        let node = try node(context)
        let name = try nodeName(request, local: node.nodeName)
        let subscriptions = try subscriptions(request, adding: true)
        if try NodeRecord.find(name, in: context.app.storage) != nil {
            throw LyreError.badRequest("Node '\(name)' has already been added, perform update_node to proceed.")
        }
        try await blocking { try tellRemote(node, name, operation: "add_node", subscriptions) }
        try await NodeRecord.save(NodeRecord(name: name, subscriptions: subscriptions), in: context.app.storage)
        node.refresh()
        return .message("Successfully added '\(name)' to manifest")
    }

    /// `update_node` and `set_node_replication`: patch the node's subscriptions (adding it when unknown).
    @Sendable static func updateNode(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        let node = try node(context)
        let name = try nodeName(request, local: node.nodeName)
        let subscriptions = try subscriptions(request, adding: false)
        var record = try NodeRecord.find(name, in: context.app.storage) ?? NodeRecord(name: name, subscriptions: [])
        record.merge(subscriptions)
        try await blocking { try tellRemote(node, name, operation: "update_node", subscriptions) }
        try await NodeRecord.save(record, in: context.app.storage)
        node.refresh()
        return .message("Successfully updated '\(name)'")
    }

    @Sendable static func removeNode(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        let node = try node(context)
        let name = try nodeName(request, local: node.nodeName)
        guard try NodeRecord.find(name, in: context.app.storage) != nil else {
            throw LyreError.badRequest("Node '\(name)' was not found.")
        }
        _ = try await NodeRecord.remove(name, in: context.app.storage)
        node.refresh()
        do {
            try await blocking { try tellRemote(node, name, operation: "remove_node", []) }
        } catch {
            return .message("Successfully removed '\(name)' from local manifest, however there was an error reaching remote node. Check the logs for more details.")
        }
        return .message("Successfully removed '\(name)' from manifest")
    }

    @Sendable static func configureCluster(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        let node = try node(context)
        guard let connections = request["connections"]?.arrayValue else { throw LyreError.validation("'connections' is required") }
        var wanted: [NodeRecord] = []
        for connection in connections {
            guard let object = connection.objectValue else { throw LyreError.validation("'connections' must contain objects") }
            let sub = Request(operation: .addNode, body: object)
            wanted.append(NodeRecord(name: try nodeName(sub, local: node.nodeName), subscriptions: try subscriptions(sub, adding: true)))
        }
        for existing in try NodeRecord.all(in: context.app.storage) where !wanted.contains(where: { $0.name == existing.name }) {
            _ = try await NodeRecord.remove(existing.name, in: context.app.storage)
            try? await blocking { try tellRemote(node, existing.name, operation: "remove_node", []) }
        }
        for record in wanted {
            try await blocking { try tellRemote(node, record.name, operation: "update_node", record.subscriptions) }
            try await NodeRecord.save(record, in: context.app.storage)
        }
        node.refresh()
        return .message("Cluster successfully configured.")
    }

    // MARK: Routes (stored in the configuration, as Harper's, and applied to the running hub at once)

    private static let routeKeys: [String: [String]] = [
        "hub": ["clustering", "hubServer", "cluster", "network", "routes"],
        "leaf": ["clustering", "leafServer", "network", "routes"],
    ]

    /// What `cluster_status` says while leaf routes are configured.
    static func leafRoutesWarning(_ count: Int) -> String {
        "\(count) leaf route\(count == 1 ? " is" : "s are") configured (clustering.leafServer.network.routes) and not used, "
            + "as in Harper: the leaf server connects only to this node's hub; list other nodes with server \"hub\""
    }

    private static func requestRoutes(_ request: Request) throws -> [ClusteringSettings.Route] {
        guard let value = request["routes"], !value.isNull else { throw LyreError.validation("'routes' is required") }
        guard let items = value.arrayValue else { throw LyreError.validation("'routes' must be an array") }
        return try items.enumerated().map { i, item in
            guard let route = ClusteringSettings.routes(.array([item])).first else {
                throw LyreError.validation("'routes[\(i)]' must have a 'host' and a 'port'")
            }
            return route
        }
    }

    private static func routeValue(_ route: ClusteringSettings.Route) -> Value {
        .object(JSONObject([("host", .string(route.host)), ("port", .int(Int64(route.port)))]))
    }

    @Sendable static func setRoutes(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        guard let server = request["server"]?.stringValue, let path = routeKeys[server] else {
            throw LyreError.validation("'server' must be one of [hub, leaf]")
        }
        let routes = try requestRoutes(request)
        let root = context.app.configuration.root
        var tree = try ConfigurationFile.read(root: root)
        var existing = ClusteringSettings.routes(ConfigurationFile.lookup(tree, path: path))
        let other = ClusteringSettings.routes(ConfigurationFile.lookup(tree, path: routeKeys[server == "hub" ? "leaf" : "hub"]!))
        var set: [Value] = []
        var skipped: [Value] = []
        for route in routes {
            if existing.contains(route) || other.contains(route) {
                skipped.append(routeValue(route))
            } else {
                existing.append(route)
                set.append(routeValue(route))
            }
        }
        ConfigurationFile.set(&tree, path: path, .array(existing.map(routeValue)))
        try ConfigurationFile.write(tree, root: root)
        if server == "hub" { applyRoutes(existing, context) }
        return .json(.object(JSONObject([
            ("message", .string("cluster routes successfully set")), ("set", .array(set)), ("skipped", .array(skipped)),
        ])))
    }

    /// The running hub takes the new hub routes without a restart (nats-server reloads them
    /// on SIGHUP: new routes are solicited, removed ones closed).
    private static func applyRoutes(_ routes: [ClusteringSettings.Route], _ context: OperationContext) {
        guard context.app.configuration.clustering.enabled, let node = context.app.cluster.node else { return }
        var settings = node.settings
        settings.routes = routes
        node.reloadRoutes(settings)
    }

    @Sendable static func getRoutes(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        let tree = try ConfigurationFile.read(root: context.app.configuration.root)
        return .json(.object(JSONObject([
            ("hub", .array(ClusteringSettings.routes(ConfigurationFile.lookup(tree, path: routeKeys["hub"]!)).map(routeValue))),
            ("leaf", .array(ClusteringSettings.routes(ConfigurationFile.lookup(tree, path: routeKeys["leaf"]!)).map(routeValue))),
        ])))
    }

    @Sendable static func deleteRoutes(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        let routes = try requestRoutes(request)
        let root = context.app.configuration.root
        var tree = try ConfigurationFile.read(root: root)
        var hub = ClusteringSettings.routes(ConfigurationFile.lookup(tree, path: routeKeys["hub"]!))
        var leaf = ClusteringSettings.routes(ConfigurationFile.lookup(tree, path: routeKeys["leaf"]!))
        var deleted: [Value] = []
        var skipped: [Value] = []
        for route in routes {
            if let i = hub.firstIndex(of: route) {
                hub.remove(at: i)
                deleted.append(routeValue(route))
            } else if let i = leaf.firstIndex(of: route) {
                leaf.remove(at: i)
                deleted.append(routeValue(route))
            } else {
                skipped.append(routeValue(route))
            }
        }
        ConfigurationFile.set(&tree, path: routeKeys["hub"]!, hub.isEmpty ? .null : .array(hub.map(routeValue)))
        ConfigurationFile.set(&tree, path: routeKeys["leaf"]!, leaf.isEmpty ? .null : .array(leaf.map(routeValue)))
        if !deleted.isEmpty {
            try ConfigurationFile.write(tree, root: root)
            applyRoutes(hub, context)
        }
        return .json(.object(JSONObject([
            ("message", .string("cluster routes successfully deleted")), ("deleted", .array(deleted)), ("skipped", .array(skipped)),
        ])))
    }

    // MARK: cluster_network, purge_stream

    /// Harper's `cluster_network`: every node whose hub is enmeshed with this one (its hub
    /// answers the system account's statistics request), how long it took to answer, the
    /// nodes its hub has routes to (`connected_nodes`) and the routes in its configuration
    /// (`routes`, asked from the node itself). `connected_nodes: true` / `routes: true` leave
    /// those fields out, as Harper documents.
    @Sendable static func clusterNetwork(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        let node = try node(context)
        var milliseconds = 2000.0
        if let value = request["timeout"], !value.isNull {
            guard let number = value.doubleValue, number >= 0 else { throw LyreError.validation("'timeout' must be a number") }
            milliseconds = min(number, 60_000)
        }
        let timeout = Duration.milliseconds(Int64(milliseconds))
        var omit: Set<String> = []
        for key in ["connected_nodes", "routes"] {
            guard let value = request[key], !value.isNull else { continue }
            guard let flag = value.boolValue else { throw LyreError.validation("'\(key)' must be a boolean") }
            if flag { omit.insert(key) }
        }
        var mesh = try await blocking { try node.meshStatus(timeout: timeout) }
        if node.engine == nil {
            // An external NATS system: the nodes that answer through it.
            mesh = [(node.nodeName, .zero, [])]
            for record in try NodeRecord.all(in: context.app.storage) where record.name != node.nodeName {
                let start = ContinuousClock.now
                if (try? await blocking({ try node.request(record.name, JSONObject([
                    ("operation", .string("cluster_status")), ("node_name", .string(node.nodeName)),
                ]), timeout: timeout) })) != nil {
                    mesh.append((record.name, ContinuousClock.now - start, []))
                }
            }
        }
        if !mesh.contains(where: { $0.node == node.nodeName }) { mesh.insert((node.nodeName, .zero, []), at: 0) }
        let local = mesh.filter { $0.node == node.nodeName }
        mesh = local + mesh.filter { $0.node != node.nodeName }
        // Each node's configured routes, asked from it (in parallel; silent nodes list none).
        let peers = omit.contains("routes") ? [] : mesh.map(\.node).filter { $0 != node.nodeName }
        let routes: [String: Value] = await withTaskGroup(of: (String, Value).self) { group in
            for peer in peers {
                group.addTask {
                    let reply = try? await blocking {
                        try node.request(peer, JSONObject([("operation", .string("cluster_status")), ("node_name", .string(node.nodeName))]),
                                         timeout: timeout)
                    }
                    return (peer, reply?["routes"] ?? .array([]))
                }
            }
            var out: [String: Value] = [:]
            for await (name, value) in group { out[name] = value }
            return out
        }
        let nodes: [Value] = mesh.map { entry in
            var object = JSONObject()
            object["name"] = .string(entry.node)
            object["response_time"] = .int(entry.responseTime.components.seconds * 1000
                + entry.responseTime.components.attoseconds / 1_000_000_000_000_000)
            if !omit.contains("connected_nodes") { object["connected_nodes"] = .array(entry.connected.map(Value.string)) }
            if !omit.contains("routes") {
                object["routes"] = entry.node == node.nodeName ? .array(node.settings.routes.map(routeValue)) : routes[entry.node] ?? .array([])
            }
            return .object(object)
        }
        return .json(.object(JSONObject([("nodes", .array(nodes))])))
    }

    @Sendable static func purgeStream(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        let node = try node(context)
        let database = try request.database()
        let table = try request.table()
        guard let db = context.app.storage.database(database) else { throw LyreError.databaseNotFound(database) }
        guard db.table(table) != nil else { throw LyreError.tableNotFound(database, table) }
        let options = request["options"]?.objectValue
        let keep = options?["keep"]?.intValue.map { UInt64(max(0, $0)) }
        let before = options?["seq"]?.intValue.map { UInt64(max(0, $0)) }
        let stream = NATSNames.stream(node: node.nodeName, database: database, table: table)
        try await blocking {
            do {
                try node.connection.jetStream().purgeStream(stream, keep: keep, before: before)
            } catch let error as NATSError where error.jetStreamCode == NATSError.streamNotFound {
                // Nothing published yet: nothing to purge.
            }
        }
        return .message("Successfully purged table '\(database).\(table)'")
    }

    /// Runs blocking NATS work off the cooperative pool's threads.
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }
}
