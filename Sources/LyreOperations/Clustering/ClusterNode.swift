import Foundation
import Logging
import LyreCluster
import LyreCore
import LyreStorage
import Synchronization

/// A running clustered node: its NATS engine (or an external NATS system), the
/// connection to it, the publisher of this node's changes, one subscriber per (peer,
/// table) it receives, and the service that answers other nodes' requests (`add_node`
/// made on a peer, status pings).
final class ClusterNode: Sendable {
    let nodeName: String
    /// The settings in force (routes and the cluster user change without a restart).
    var settings: ClusteringSettings { live.withLock { $0 } }
    private let live: Mutex<ClusteringSettings>
    /// Why routes are disabled (no usable cluster user), or nil.
    var credentialProblem: String? { problem.withLock { $0 } }
    private let problem = Mutex<String?>(nil)
    /// A connection to the local hub's system account (`cluster_network`), made when first needed.
    private let systemConnection = Mutex<NATSConnection?>(nil)
    let engine: ClusterEngine?
    let connection: NATSConnection
    let publisher: ReplicationPublisher
    private let storage: StorageEngine
    private let logger: Logger
    private let published = Mutex<Set<TableKey>>([])
    /// Tables a peer took a full copy of: their changes are kept and published from the
    /// copy's point on, whatever `hdb_nodes` says by then.
    private let copied = Mutex<Set<TableKey>>([])
    /// The tables this node subscribes to, from any peer (schema changes of them are taken).
    private let subscribed = Mutex<Set<TableKey>>([])
    private let subscribers = Mutex<[SubscriberKey: ReplicationSubscriber]>([:])
    private let service = Mutex<RequestService?>(nil)
    private let copyService = Mutex<RequestService?>(nil)
    let tombstoneSweeper: TombstoneSweeper
    let startedAt = Date()
    /// Lyre's operations API port, reported to peers: the one listening (a `--port` flag's), read when asked.
    private let operationsPortSource: @Sendable () -> Int
    var operationsPort: Int { operationsPortSource() }
    /// Called after users or roles arrived from another node (cached credentials are stale).
    private let securityChanged: @Sendable () -> Void

    /// Users and roles replicate between every pair of nodes that know each other, whatever
    /// the subscriptions say, so one set of credentials works on every node.
    static let securityTables = [
        TableKey(database: StorageEngine.systemDatabase, table: SystemDatabase.userTable),
        TableKey(database: StorageEngine.systemDatabase, table: SystemDatabase.roleTable),
    ]

    struct SubscriberKey: Hashable, Sendable {
        var peer: String
        var source: ReplicationStream
    }

    /// Starts the engine (unless an external NATS is configured), connects, and starts
    /// replicating as `system.hdb_nodes` says.
    /// - Throws: `ClusterEngineError` / `NATSError` with a one-line reason.
    init(settings: ClusteringSettings, root: String, operationsPort: @escaping @Sendable () -> Int, storage: StorageEngine,
         environmentPath: String?, logger: Logger, securityChanged: @escaping @Sendable () -> Void = {}) throws {
        live = Mutex(settings)
        self.securityChanged = securityChanged
        self.storage = storage
        self.logger = logger
        operationsPortSource = operationsPort
        var initialProblem: String?
        nodeName = settings.effectiveNodeName
        guard ClusteringSettings.isValidNodeName(nodeName) else {
            throw ClusterEngineError("clustering: node name '\(nodeName)' is invalid, it must not contain whitespace, ., ,, * or >")
        }
        if let url = settings.externalURL {
            engine = nil
            connection = try NATSConnection(url: url, name: "lyre-\(nodeName)")
        } else {
            guard let executable = ClusterEngineSettings.findExecutable(path: environmentPath) else {
                throw ClusterEngineError("clustering: nats-server not found (install the nats-server package, or run scripts/bootstrap)")
            }
            var engineSettings = settings.engineSettings(root: root, executable: executable)
            switch ClusterUser.credentials(settings, storage: storage) {
            case .success(let credentials): engineSettings.routeCredentials = credentials
            case .failure(let problem):
                initialProblem = problem.text
                logger.warning("clustering: \(problem.text)")
            }
            if let tlsProblem = settings.tlsProblem, settings.user != nil { logger.notice("clustering: \(tlsProblem)") }
            let engine = try ClusterEngine(settings: engineSettings, logger: logger)
            try engine.start()
            self.engine = engine
            do {
                // Not nats.c's `sendAsap`: its flusher gathers what is sent within a millisecond
                // into one write, and the four nats-servers then handle fewer packets; writing
                // each message at once cost them more than it saved this node
                // (Benchmarks/README.md, sessions 11 and 12).
                connection = try NATSConnection(url: engine.leafURL, user: engine.localUser, password: engine.localPassword,
                                                name: "lyre-\(nodeName)")
            } catch {
                engine.stop()
                throw error
            }
        }
        do {
            let jetStream = try connection.jetStream()
            publisher = try ReplicationPublisher(connection: connection, jetStream: jetStream, node: nodeName, settings: settings,
                                                 storage: storage, logger: logger)
        } catch {
            engine?.stop()
            throw error
        }
        tombstoneSweeper = TombstoneSweeper(storage: storage, retention: settings.tombstoneRetention, logger: logger)
        do {
            let service = try connection.serve(subject: NATSNames.requestSubject(node: nodeName)) { [weak self] request in
                self?.answer(request) ?? JSON.encode(.object(JSONObject([("status", .string("error"))])))
            }
            self.service.withLock { $0 = service }
            let copyService = try connection.serve(subject: NATSNames.copySubject(node: nodeName)) { [weak self] request in
                self?.answerCopy(request) ?? RecordCodec.encode(JSONObject([("status", .string("error"))]))
            }
            self.copyService.withLock { $0 = copyService }
        } catch {
            service.withLock { $0 }?.stop()
            tombstoneSweeper.stop()
            publisher.stop()
            engine?.stop()
            throw error
        }
        problem.withLock { $0 = initialProblem }
        storage.setCommitObserver(CommitObservation(
            observes: { [weak self] database, table in
                guard let self else { return false }
                let key = TableKey(database: database, table: table)
                return published.withLock { $0.contains(key) } || copied.withLock { $0.contains(key) }
            },
            observe: { [weak self] group in self?.publisher.enqueue(group) }))
        refresh()
        // What was committed but not published before the last stop (or crash) goes first.
        for name in storage.databaseNames {
            guard let db = storage.database(name) else { continue }
            do {
                let pending = try db.pendingOutbox()
                if !pending.isEmpty {
                    logger.notice("clustering: publishing \(pending.count) groups of \(name) left from before the restart")
                    publisher.enqueue(pending, first: true)
                }
            } catch {
                logger.error("clustering: cannot read the outbox of \(name): \(error)")
            }
        }
        if settings.routes.isEmpty, engine != nil {
            logger.notice("clustering: node \(nodeName) has no routes yet (clustering.hubServer.cluster.network.routes): a cluster of one")
        }
    }

    /// Stops replication and the engine. Idempotent.
    func stop() {
        storage.setCommitObserver(nil)
        service.withLock { $0 }?.stop()
        systemConnection.withLock { $0 }?.close()
        copyService.withLock { $0 }?.stop()
        tombstoneSweeper.stop()
        for subscriber in subscribers.withLock({ Array($0.values) }) { subscriber.stop() }
        subscribers.withLock { $0.removeAll() }
        publisher.stop()
        connection.close()
        engine?.stop()
    }

    /// Whether the NATS connection is up.
    var isConnected: Bool { connection.isConnected }

    // MARK: Replication

    /// Re-reads `system.hdb_nodes`: publishes the tables some node subscribes to, and pulls
    /// every (node, table) this node subscribes to.
    func refresh() {
        let nodes: [NodeRecord]
        do { nodes = try NodeRecord.all(in: storage) } catch {
            logger.error("clustering: cannot read hdb_nodes: \(error)")
            return
        }
        var publish: Set<TableKey> = []
        var wanted: [SubscriberKey: NodeSubscription?] = [:]
        for node in nodes where node.name != nodeName {
            // Every node that knows another takes its schema changes.
            wanted[SubscriberKey(peer: node.name, source: .schema)] = .some(nil)
            for table in Self.securityTables {
                publish.insert(table)
                wanted[SubscriberKey(peer: node.name, source: .table(table))] = NodeSubscription(
                    database: table.database, table: table.table, publish: true, subscribe: true)
            }
            for subscription in node.subscriptions {
                if subscription.publish { publish.insert(subscription.key) }
                if subscription.subscribe { wanted[SubscriberKey(peer: node.name, source: .table(subscription.key))] = subscription }
            }
        }
        published.withLock { $0 = publish }
        subscribed.withLock { set in
            set = Set(wanted.keys.compactMap { key in
                if case .table(let table) = key.source { return table }
                return nil
            })
        }
        publisher.ensureStreams(publish)
        let (removed, added) = subscribers.withLock { running -> ([ReplicationSubscriber], [SubscriberKey]) in
            let removedKeys = running.keys.filter { wanted[$0] == nil }
            let removed = removedKeys.compactMap { running.removeValue(forKey: $0) }
            return (removed, wanted.keys.filter { running[$0] == nil })
        }
        for subscriber in removed { subscriber.stop() }
        // A database subscribed to for the first time gets its part of each peer's schema.
        for subscriber in subscribers.withLock({ Array($0.values) }) where subscriber.source == .schema {
            subscriber.recheckSchemaCopies()
        }
        // After users or roles arrived: cached credentials are stale, and the cluster user
        // may have arrived or changed (the routes follow).
        let securityApplied: @Sendable () -> Void = { [weak self] in
            self?.securityChanged()
            self?.reloadRoutes()
        }
        for key in added {
            let security: Bool
            if case .table(let table) = key.source { security = Self.securityTables.contains(table) } else { security = false }
            let subscriber = ReplicationSubscriber(
                peer: key.peer, source: key.source, startTime: wanted[key]??.startDate, connection: connection,
                domain: engine == nil ? nil : key.peer, localNode: nodeName, storage: storage, logger: logger,
                applied: security ? securityApplied : nil,
                takesSchema: { [weak self] database, table in self?.takesSchema(database: database, table: table) ?? false },
                schemaDatabases: { [weak self] in
                    guard let self else { return [] }
                    return Array(Set(subscribed.withLock { $0 }.map(\.database)))
                })
            subscribers.withLock { $0[key] = subscriber }
        }
    }

    /// Whether a schema change of `database` (`table`: one of its tables; empty: the
    /// database itself) made on a peer is applied here: this node has the database, or
    /// subscribes to that table (to one of the database's tables, for the database's change).
    private func takesSchema(database: String, table: String) -> Bool {
        if database == StorageEngine.systemDatabase { return false }
        if storage.database(database) != nil { return true }
        return subscribed.withLock { set in
            table.isEmpty ? set.contains { $0.database == database } : set.contains(TableKey(database: database, table: table))
        }
    }

    /// Answers a peer's full-copy request (`TableCopy`): the first request of a copy fixes
    /// its point (the table's changes kept and published from now on, every group that could
    /// have missed that committed, then the stream's last sequence); each request returns
    /// one batch of records or tombstones. Requests and replies are `RecordCodec`.
    private func answerCopy(_ bytes: [UInt8]) -> [UInt8] {
        let request: JSONObject
        do { request = try RecordCodec.decode(bytes) } catch {
            return RecordCodec.encode(JSONObject([("status", .string("error")), ("message", .string("bad copy request"))]))
        }
        if request["part"]?.stringValue == "schema" {
            return RecordCodec.encode(SchemaCopy.answer(request, storage: storage) {
                // Every group that began before this committed (a schema change is in its
                // database's group, a database's in the system database's), then the point.
                for name in storage.databaseNames { try storage.database(name)?.writeSync { _ in } }
                return try connection.jetStream().streamState(NATSNames.schemaStream(node: nodeName))?.lastSequence ?? 0
            })
        }
        return RecordCodec.encode(TableCopy.answer(request, storage: storage) { database, table in
            let key = TableKey(database: database, table: table)
            copied.withLock { _ = $0.insert(key) }
            publisher.ensureStreams([key])
            // A group that began before the insert may have passed the observer's filter:
            // once this (empty) write is done, every such group has committed.
            try storage.database(database)?.writeSync { _ in }
            let stream = try connection.jetStream().streamState(NATSNames.stream(node: nodeName, database: database, table: table))
            return stream?.lastSequence ?? 0
        })
    }

    /// The subscribers pulling from `peer`.
    func subscribers(of peer: String) -> [ReplicationSubscriber] {
        subscribers.withLock { $0.values.filter { $0.peer == peer } }
    }

    // MARK: Routes

    /// Applies `wanted`'s routes and the cluster user's current credentials to the running
    /// hub (SIGHUP, no restart); with nil, the settings in force (the cluster user changed).
    func reloadRoutes(_ wanted: ClusteringSettings? = nil) {
        let settings = live.withLock { s -> ClusteringSettings in
            if let wanted { s = wanted }
            return s
        }
        guard let engine else { return }
        var credentials: ClusterEngineSettings.Credentials?
        switch ClusterUser.credentials(settings, storage: storage) {
        case .success(let found):
            credentials = found
            problem.withLock { $0 = nil }
        case .failure(let failure):
            if problem.withLock({ $0 }) != failure.text { logger.warning("clustering: \(failure.text)") }
            problem.withLock { $0 = failure.text }
        }
        do {
            try engine.reload(routes: settings.routes.map { ClusterRoute(host: $0.host, port: $0.port) }, credentials: credentials,
                              tls: engine.settings.routeTLS)
        } catch {
            logger.error("\(error)")
        }
    }

    /// The hub-level view of the cluster (Harper's `cluster_network`): every hub that
    /// answers the system account's `$SYS.REQ.SERVER.PING.STATSZ` within `timeout`, with the
    /// names of the hubs it has routes to. Hub server names are `<node>-hub`.
    /// - Throws: `NATSError` when the local hub cannot be asked.
    func meshStatus(timeout: Duration) throws -> [(node: String, responseTime: Duration, connected: [String])] {
        guard let engine else { return [] }
        let connection = try systemConnection.withLock { current -> NATSConnection in
            if let current, current.isConnected { return current }
            current?.close()
            let made = try NATSConnection(url: engine.hubURL, user: engine.systemUser, password: engine.localPassword,
                                          name: "lyre-\(nodeName)-system", timeout: .seconds(2))
            current = made
            return made
        }
        let replies = try connection.requestAll(subject: "$SYS.REQ.SERVER.PING.STATSZ", data: Array("{}".utf8), timeout: timeout)
        func node(_ server: String) -> String { server.hasSuffix("-hub") ? String(server.dropLast(4)) : server }
        var out: [(node: String, responseTime: Duration, connected: [String])] = []
        for reply in replies {
            guard let object = try? JSON.parse(reply.data).objectValue,
                  let server = object["server"]?.objectValue?["name"]?.stringValue else { continue }
            let routes = object["statsz"]?.objectValue?["routes"]?.arrayValue ?? []
            let connected = routes.compactMap { $0.objectValue?["name"]?.stringValue }.map(node)
            out.append((node(server), reply.elapsed, Array(Set(connected)).sorted()))
        }
        return out
    }

    // MARK: Requests between nodes

    /// Sends `payload` to `node`'s request service and returns its answer.
    /// - Throws: `NATSError` (no responders: the node is not reachable; timeout).
    func request(_ node: String, _ payload: JSONObject, timeout: Duration = .seconds(5)) throws -> JSONObject {
        let reply = try connection.request(subject: NATSNames.requestSubject(node: node), data: JSON.encode(.object(payload)),
                                           timeout: timeout)
        return (try? JSON.parse(reply))?.objectValue ?? JSONObject()
    }

    /// Answers another node: `add_node` / `update_node` / `remove_node` made there about
    /// this node (applied here with the subscriptions reversed), and `cluster_status` pings.
    private func answer(_ bytes: [UInt8]) -> [UInt8] {
        var reply = JSONObject()
        do {
            guard let request = try JSON.parse(bytes).objectValue, let operation = request["operation"]?.stringValue,
                  let from = request["node_name"]?.stringValue else { throw LyreError.badRequest("bad request") }
            switch operation {
            case "add_node", "update_node":
                let subscriptions = (request["subscriptions"]?.arrayValue ?? []).compactMap(NodeSubscription.init)
                var node = try NodeRecord.find(from, in: storage) ?? NodeRecord(name: from, subscriptions: [])
                node.merge(subscriptions)
                try NodeRecord.saveBlocking(node, in: storage)
                refresh()
            case "remove_node":
                _ = try NodeRecord.removeBlocking(from, in: storage)
                refresh()
            case "cluster_status":
                reply["ports"] = .object(JSONObject([
                    ("clustering", .int(Int64(settings.routePort))), ("operations_api", .int(Int64(operationsPort))),
                ]))
                reply["uptime"] = .string(Self.uptime(since: startedAt))
                // cluster_network: the routes in this node's configuration.
                reply["routes"] = .array(settings.routes.map {
                    .object(JSONObject([("host", .string($0.host)), ("port", .int(Int64($0.port)))]))
                })
            default:
                throw LyreError.badRequest("unknown request \(operation)")
            }
            reply["status"] = .string("success")
        } catch {
            reply["status"] = .string("error")
            reply["message"] = .string((error as? LyreError)?.message ?? "\(error)")
            reply["status_code"] = .int(Int64((error as? LyreError)?.status ?? 500))
        }
        return JSON.encode(.object(reply))
    }

    /// Harper's uptime text: `30d 1h 18m 8s`.
    static func uptime(since start: Date) -> String {
        var seconds = Int(Date().timeIntervalSince(start))
        let days = seconds / 86_400
        seconds %= 86_400
        return "\(days)d \(seconds / 3600)h \(seconds % 3600 / 60)m \(seconds % 60)s"
    }
}
