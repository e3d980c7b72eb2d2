import Foundation
import LyreCore
import LyreCluster

/// The `clustering.*` settings Lyre acts on (Harper 4.3's keys), read from
/// `harperdb-config.yaml` by `ConfigurationFile.map`.
public struct ClusteringSettings: Sendable, Equatable {
    /// `clustering.enabled`.
    public var enabled = false
    /// `clustering.nodeName`; when unset, the host name (with characters NATS forbids in a
    /// node name replaced by `-`).
    public var nodeName: String?
    /// `clustering.user`: the cluster user (a user whose role has `cluster_user: true`).
    public var user: String?
    /// `clustering.hubServer.cluster.name` (Harper's default `harperdb`).
    public var clusterName = "harperdb"
    /// `clustering.hubServer.cluster.network.port` (9932): the route listener.
    public var routePort = 9932
    /// `clustering.hubServer.cluster.network.routes`: `[{host, port}]`.
    public var routes: [Route] = []
    /// `clustering.hubServer.network.port` (9930).
    public var hubPort = 9930
    /// `clustering.hubServer.leafNodes.network.port` (9931).
    public var leafNodesPort = 9931
    /// `clustering.leafServer.network.port` (9940).
    public var leafPort = 9940
    /// `clustering.leafServer.streams.path` (default `<root>/clustering/leaf`).
    public var streamsPath: String?
    /// `clustering.leafServer.streams.maxAge` (seconds), `.maxBytes`, `.maxMsgs`: stream limits.
    public var streamMaxAge: Double?
    public var streamMaxBytes: Int64?
    public var streamMaxMessages: Int64?
    /// `clustering.tls.certificate`, `.privateKey`, `.certificateAuthority` (PEM files),
    /// `.insecure`, `.verify`: TLS on the routes between hubs, applied when the three files
    /// exist (Lyre creates none of them; Harper's defaults name `<root>/keys/…`).
    public var tlsCertificate: String?
    public var tlsPrivateKey: String?
    public var tlsCertificateAuthority: String?
    public var tlsInsecure = true
    public var tlsVerify = true
    /// Lyre's own `clustering.externalNats.url`: use this NATS system (JetStream on) instead
    /// of starting nats-servers (`nats://user:password@host:port`).
    public var externalURL: String?
    /// Lyre's own `clustering.maxPayload` (bytes, 1 MiB to 64 MiB; default 64 MiB): the
    /// supervised nats-servers' `max_payload`. The publisher splits what is larger
    /// (`ReplicationSplit`); a single record larger than it is not replicated (logged, and
    /// counted in `cluster_status`). With `externalNats.url`, that system's own limit applies.
    public var maxPayload = ClusterEngineSettings.defaultMaxPayload
    /// Lyre's own `clustering.tombstoneRetention` (seconds here; in the file a duration as
    /// Harper writes them: ms as a number, or `30s`, `12h`, `7d`): how long a deleted
    /// record's tombstone (and a dropped table's, attribute's or database's marker) is kept,
    /// so that an older write of it arriving late from another node cannot bring it back.
    public var tombstoneRetention: Double = ClusteringSettings.defaultTombstoneRetention
    /// Seven days: far beyond any replication delay short of a node down for days (whose
    /// streams' own limits then decide what it can still receive).
    public static let defaultTombstoneRetention: Double = 7 * 86_400

    public struct Route: Sendable, Hashable {
        public var host: String
        public var port: Int
        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
    }

    public init() {}

    /// Harper's rule for node names (natsTerms.js): no whitespace, `.`, `,`, `*` or `>`.
    static func isValidNodeName(_ name: String) -> Bool {
        !name.isEmpty && !name.contains { $0.isWhitespace || ".,*>".contains($0) }
    }

    /// The node name in force: the configured one, else the host name made valid.
    var effectiveNodeName: String {
        if let nodeName, !nodeName.isEmpty { return nodeName }
        let host = ProcessInfo.processInfo.hostName
        let cleaned = String(host.map { $0.isWhitespace || ".,*>".contains($0) ? "-" : $0 })
        return cleaned.isEmpty ? "lyre" : cleaned
    }

    /// Reads the keys from the configuration tree (missing keys keep their defaults).
    init(tree: JSONObject) {
        func v(_ path: String) -> Value? { ConfigurationFile.lookup(tree, path: path.split(separator: ".").map(String.init)) }
        func int(_ path: String) -> Int? {
            guard let value = v(path) else { return nil }
            return (value.intValue ?? value.stringValue.flatMap { Int64($0) }).map { Int($0) }
        }
        func string(_ path: String) -> String? { v(path)?.stringValue.flatMap { $0.isEmpty ? nil : $0 } }
        enabled = v("clustering.enabled")?.boolValue ?? (v("clustering.enabled")?.stringValue == "true")
        nodeName = string("clustering.nodeName")
        user = string("clustering.user")
        if let name = string("clustering.hubServer.cluster.name") { clusterName = name }
        if let port = int("clustering.hubServer.cluster.network.port") { routePort = port }
        if let port = int("clustering.hubServer.network.port") { hubPort = port }
        if let port = int("clustering.hubServer.leafNodes.network.port") { leafNodesPort = port }
        if let port = int("clustering.leafServer.network.port") { leafPort = port }
        streamsPath = string("clustering.leafServer.streams.path")
        streamMaxAge = v("clustering.leafServer.streams.maxAge")?.doubleValue
        streamMaxBytes = v("clustering.leafServer.streams.maxBytes")?.intValue
        streamMaxMessages = v("clustering.leafServer.streams.maxMsgs")?.intValue
        externalURL = string("clustering.externalNats.url")
        if let bytes = int("clustering.maxPayload") { maxPayload = min(max(bytes, 1 << 20), 64 << 20) }
        tlsCertificate = string("clustering.tls.certificate")
        tlsPrivateKey = string("clustering.tls.privateKey")
        tlsCertificateAuthority = string("clustering.tls.certificateAuthority")
        func bool(_ path: String) -> Bool? { v(path)?.boolValue ?? v(path)?.stringValue.flatMap { Bool($0) } }
        if let insecure = bool("clustering.tls.insecure") { tlsInsecure = insecure }
        if let verify = bool("clustering.tls.verify") { tlsVerify = verify }
        if let retention = v("clustering.tombstoneRetention").flatMap(ConfigurationSchema.duration), retention > .zero {
            tombstoneRetention = Double(retention.components.seconds) + Double(retention.components.attoseconds) / 1e18
        }
        routes = Self.routes(v("clustering.hubServer.cluster.network.routes"))
    }

    /// `[{host, port}]` (also a JSON text of it, as `set_configuration` may store).
    static func routes(_ value: Value?) -> [Route] {
        var value = value
        if let text = value?.stringValue, let parsed = try? JSON.parse(Array(text.utf8)) { value = parsed }
        return (value?.arrayValue ?? []).compactMap { entry in
            guard let object = entry.objectValue,
                  let host = (object["host"] ?? object["hostname"])?.stringValue,
                  let port = object["port"]?.intValue ?? object["port"]?.stringValue.flatMap({ Int64($0) }) else { return nil }
            return Route(host: host, port: Int(port))
        }
    }

    /// The route TLS in force: the three files exist (else nil, and why in `tlsProblem`).
    var routeTLS: ClusterEngineSettings.TLS? {
        guard tlsProblem == nil, let tlsCertificate, let tlsPrivateKey, let tlsCertificateAuthority else { return nil }
        return ClusterEngineSettings.TLS(certificate: tlsCertificate, privateKey: tlsPrivateKey,
                                         certificateAuthority: tlsCertificateAuthority, insecure: tlsInsecure, verify: tlsVerify)
    }

    /// Why routes are not encrypted, or nil when they are.
    var tlsProblem: String? {
        let files = [("certificate", tlsCertificate), ("privateKey", tlsPrivateKey), ("certificateAuthority", tlsCertificateAuthority)]
        let missing = files.filter { $0.1 == nil || !FileManager.default.fileExists(atPath: $0.1!) }
        guard !missing.isEmpty else { return nil }
        return "routes are not encrypted: " + missing.map { "clustering.tls.\($0.0) (\($0.1 ?? "not set")) does not exist" }.joined(separator: ", ")
    }

    /// These settings with the ones a running hub reloads (routes, cluster user) cleared:
    /// two that compare equal differ in nothing that needs a restart. (TLS changes restart
    /// the servers: a reload would keep routes made with the old certificates.)
    var withoutRouteSettings: ClusteringSettings {
        var copy = self
        copy.routes = []
        copy.user = nil
        return copy
    }

    /// The engine's settings for a root.
    func engineSettings(root: String, executable: String) -> ClusterEngineSettings {
        var settings = ClusterEngineSettings(nodeName: effectiveNodeName, directory: root + "/clustering", executable: executable)
        settings.clusterName = clusterName
        settings.routePort = routePort
        settings.routes = routes.map { ClusterRoute(host: $0.host, port: $0.port) }
        settings.hubClientPort = hubPort
        settings.leafNodesPort = leafNodesPort
        settings.leafClientPort = leafPort
        if let streamsPath { settings.streamsPath = streamsPath }
        settings.routeTLS = routeTLS
        settings.maxPayload = maxPayload
        return settings
    }
}
