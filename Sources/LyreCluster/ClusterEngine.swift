package import Foundation
package import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A route to another node's hub server.
package struct ClusterRoute: Sendable, Hashable, Codable {
    package var host: String
    package var port: Int
    package init(host: String, port: Int) {
        self.host = host
        self.port = port
    }
}

/// How a node's NATS servers are set up (Harper's `clustering.*` keys, parsed by the
/// operation layer).
package struct ClusterEngineSettings: Sendable, Equatable {
    /// `clustering.nodeName`: the node's name, its JetStream domain and its subjects' prefix.
    package var nodeName: String
    /// `<root>/clustering`: configs, pid files, logs; the leaf's JetStream store by default.
    package var directory: String
    /// `clustering.hubServer.cluster.name` (Harper's default `harperdb`).
    package var clusterName: String = "harperdb"
    /// `clustering.hubServer.cluster.network.port`: the route listener (all interfaces).
    package var routePort: Int = 9932
    /// `clustering.hubServer.cluster.network.routes`.
    package var routes: [ClusterRoute] = []
    /// `clustering.hubServer.network.port`: the hub's client listener (loopback).
    package var hubClientPort: Int = 9930
    /// `clustering.hubServer.leafNodes.network.port`: where the local leaf server connects (loopback).
    package var leafNodesPort: Int = 9931
    /// `clustering.leafServer.network.port`: the leaf's client listener (loopback); Lyre connects here.
    package var leafClientPort: Int = 9940
    /// `clustering.leafServer.streams.path`: the JetStream store.
    package var streamsPath: String
    /// The address the route listener binds (all interfaces by default).
    package var routeHost: String = "0.0.0.0"
    /// `clustering.user` with its password: authenticates routes between hubs, both ways
    /// (the route listener requires it, solicited routes present it). Nil: no cluster user,
    /// so no routes at all: nothing is solicited and the route listener requires a random
    /// secret nobody knows (a node without the cluster credentials cannot join, nor be
    /// joined).
    package var routeCredentials: Credentials?
    /// `clustering.tls.*`: TLS on the routes between hubs (nil: plain TCP).
    package var routeTLS: TLS?
    /// The nats-server binary (`PATH`, else `/usr/sbin/nats-server`).
    package var executable: String
    /// Lyre's `clustering.maxPayload`: both servers' `max_payload`, the largest message
    /// (headers and data) a client may publish; NATS's own ceiling is 64 MiB, its default 1 MiB.
    package var maxPayload = ClusterEngineSettings.defaultMaxPayload
    package static let defaultMaxPayload = 64 << 20

    package struct Credentials: Sendable, Equatable {
        package var user: String
        package var password: String
        package init(user: String, password: String) {
            self.user = user
            self.password = password
        }
    }

    /// Harper's `clustering.tls` keys, applied to the route listener and solicited routes.
    package struct TLS: Sendable, Equatable {
        /// `certificate`: PEM file of this node's certificate (presented both ways on routes).
        package var certificate: String
        /// `privateKey`: its key's PEM file.
        package var privateKey: String
        /// `certificateAuthority`: PEM file of the CA that signs the nodes' certificates (nil:
        /// the system's roots).
        package var certificateAuthority: String?
        /// `insecure`: do not verify the other node's certificate chain and name.
        package var insecure = false
        /// `verify`: require and verify the other node's certificate (nats-server always
        /// does on routes; kept for the client listeners' meaning in Harper).
        package var verify = true
        package init(certificate: String, privateKey: String, certificateAuthority: String?, insecure: Bool, verify: Bool) {
            self.certificate = certificate
            self.privateKey = privateKey
            self.certificateAuthority = certificateAuthority
            self.insecure = insecure
            self.verify = verify
        }
    }

    package init(nodeName: String, directory: String, executable: String) {
        self.nodeName = nodeName
        self.directory = directory
        self.executable = executable
        streamsPath = directory + "/leaf"
    }

    /// The nats-server on `PATH` or in `/usr/sbin`, or nil.
    package static func findExecutable(path: String?) -> String? {
        let directories = (path ?? "").split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/local/sbin", "/usr/bin"]
        for directory in directories where !directory.isEmpty {
            let candidate = directory + "/nats-server"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

/// A node's clustering engine, as Harper 4.x runs it: two supervised nats-server processes.
///
/// - The **hub** joins the cluster: routes to the other nodes' hubs on the route port, no
///   JetStream. Clustered JetStream would need a quorum of nodes for every stream and
///   consumer change (a cluster of one or two could not lose a node), so it is not used.
/// - The **leaf** holds this node's JetStream (domain = node name, store under
///   `<root>/clustering/leaf`) and connects to the local hub as a leaf node. Other nodes
///   reach its streams through the hubs by addressing its domain.
///
/// Client listeners bind loopback only and require a per-root secret
/// (`<root>/clustering/local.secret`); Lyre connects to its leaf.
package final class ClusterEngine: Sendable {
    /// The settings in force (routes and route credentials change with `reload`).
    package var settings: ClusterEngineSettings { current.withLock { $0 } }
    private let current: Mutex<ClusterEngineSettings>
    private let reloading = Mutex(())
    private let logger: Logger
    private let hub: SupervisedProcess
    private let leaf: SupervisedProcess
    /// The local user's secret (client and leaf-node listeners).
    package let localUser = "lyre-local"
    package let localPassword: String
    /// The hub's system-account user (same secret): asks the hubs of the cluster for their
    /// routes (`$SYS.REQ.SERVER.PING.STATSZ`), as Harper's `cluster_network` does.
    package let systemUser = "lyre-system"
    /// Without a cluster user the route listener requires this, which nobody else knows.
    private let unguessableRouteSecret: String

    /// Writes the configs and prepares the processes (nothing runs until `start()`).
    /// - Throws: `ClusterEngineError` when `<root>/clustering` cannot be written.
    package init(settings: ClusterEngineSettings, logger: Logger) throws {
        current = Mutex(settings)
        self.logger = logger
        unguessableRouteSecret = Self.randomHex(count: 24)
        let directory = settings.directory
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: settings.streamsPath, withIntermediateDirectories: true)
            localPassword = try Self.localSecret(directory: directory)
        } catch {
            throw ClusterEngineError("clustering: cannot prepare \(directory): \(error.localizedDescription)")
        }
        hub = SupervisedProcess(name: "nats hub server", executable: settings.executable,
                                arguments: ["-c", directory + "/hub.json"], logFile: directory + "/hub.log", logger: logger)
        leaf = SupervisedProcess(name: "nats leaf server", executable: settings.executable,
                                 arguments: ["-c", directory + "/leaf.json"], logFile: directory + "/leaf.log", logger: logger)
        do {
            try write(hubConfiguration(), to: directory + "/hub.json")
            try write(leafConfiguration(), to: directory + "/leaf.json")
        } catch {
            throw ClusterEngineError("clustering: cannot write the NATS configuration in \(directory): \(error.localizedDescription)")
        }
    }

    /// The URL Lyre's client connects to (the leaf's loopback listener).
    package var leafURL: String { "nats://127.0.0.1:\(settings.leafClientPort)" }
    /// The hub's loopback client listener (the system account's requests go there).
    package var hubURL: String { "nats://127.0.0.1:\(settings.hubClientPort)" }

    /// Applies new routes, route credentials and TLS to the running hub without a restart:
    /// rewrites `hub.json` and sends the hub SIGHUP (nats-server reloads routes, cluster
    /// authorization and TLS; added routes are solicited, removed ones closed). A hub that
    /// is restarting reads the new file when it starts.
    /// - Throws: `ClusterEngineError` when the configuration cannot be written.
    package func reload(routes: [ClusterRoute], credentials: ClusterEngineSettings.Credentials?, tls: ClusterEngineSettings.TLS?) throws {
        // One reload at a time: the file written last is the settings set last.
        try reloading.withLock { _ in try reloadLocked(routes: routes, credentials: credentials, tls: tls) }
    }

    private func reloadLocked(routes: [ClusterRoute], credentials: ClusterEngineSettings.Credentials?, tls: ClusterEngineSettings.TLS?) throws {
        let changed = current.withLock { s -> Bool in
            let before = s
            s.routes = routes
            s.routeCredentials = credentials
            s.routeTLS = tls
            return s != before
        }
        guard changed else { return }
        do {
            try write(hubConfiguration(), to: settings.directory + "/hub.json")
        } catch {
            throw ClusterEngineError("clustering: cannot write the NATS configuration in \(settings.directory): \(error.localizedDescription)")
        }
        hub.signal(SIGHUP)
        logger.notice("clustering: hub reloaded with \(routes.count) routes\(credentials == nil ? " (no cluster user: routes disabled)" : "")")
    }

    /// What the hub's log says went wrong with routes lately (at most one line per kind):
    /// this node's cluster credentials refused by another hub, another hub's refused here,
    /// TLS handshakes failing. Empty when the last route event was a success.
    package func routeProblems() -> [String] {
        var problems: [String: String] = [:]
        for line in hub.logTail(lines: 200) {
            if line.contains("Route connection created") || line.contains("Reloaded server configuration") {
                problems.removeAll()
            } else if line.contains("Route Error 'Authorization Violation'") {
                problems["refused"] = "a route refused this node's cluster credentials (clustering.user): \(Self.trimmedAddress(line))"
            } else if line.contains("rid:"), line.contains("authentication error") {
                problems["rejected"] = "a route with wrong cluster credentials was rejected: \(Self.trimmedAddress(line))"
            } else if line.contains("rid:"), line.lowercased().contains("tls") && line.contains("[ERR]") {
                problems["tls"] = "route TLS failed: \(Self.trimmedAddress(line))"
            }
        }
        return problems.keys.sorted().compactMap { problems[$0] }
    }

    /// Starts the hub, then the leaf, and waits (up to `timeout`) until both accept clients.
    /// - Throws: `ClusterEngineError` with one line: a port taken, a binary missing, a
    ///   server that exits at start (its last log line).
    package func start(timeout: Duration = .seconds(10)) throws {
        killLeftovers()
        for (process, port) in [(hub, settings.hubClientPort), (leaf, settings.leafClientPort)] {
            for taken in [port] + (process === hub ? [settings.routePort, settings.leafNodesPort] : []) where Self.isListening(port: taken) {
                stop()
                throw ClusterEngineError("clustering: port \(taken) is already in use (\(process.name))")
            }
            try process.start()
            let deadline = ContinuousClock.now + timeout
            while !Self.isListening(port: port) {
                if ContinuousClock.now > deadline || process.pid == nil {
                    let last = process.logTail(lines: 3).last { $0.contains("[FTL]") || $0.contains("[ERR]") }
                        ?? process.logTail(lines: 1).last ?? "no output"
                    stop()
                    throw ClusterEngineError("clustering: the \(process.name) did not start: \(Self.trimmed(last))")
                }
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
        logger.notice("clustering: node \(settings.nodeName) running (hub \(settings.hubClientPort), routes \(settings.routePort), leaf \(settings.leafClientPort))")
    }

    /// Stops both servers (leaf first). Idempotent.
    package func stop() {
        leaf.stop()
        hub.stop()
    }

    /// pids of the running hub and leaf servers (tests kill them).
    package var pids: (hub: pid_t?, leaf: pid_t?) { (hub.pid, leaf.pid) }

    /// How many times each server was restarted after dying.
    package var restarts: Int { hub.restarts + leaf.restarts }

    /// When the leaf server (the one Lyre talks to) last started.
    package var startedAt: Date? { leaf.startedAt }

    // MARK: Configuration files

    /// nats-server reads JSON as its configuration format.
    func hubConfiguration() -> [String: Any] {
        let settings = self.settings
        var cluster: [String: Any] = [
            "name": settings.clusterName,
            "listen": "\(settings.routeHost):\(settings.routePort)",
        ]
        if let c = settings.routeCredentials {
            cluster["routes"] = settings.routes.map { route in
                "nats-route://\(Self.escape(c.user)):\(Self.escape(c.password))@\(Self.urlHost(route.host)):\(route.port)"
            }
            cluster["authorization"] = ["user": c.user, "password": c.password, "timeout": 2]
        } else {
            // No cluster user: nothing solicited, nothing accepted.
            cluster["routes"] = [String]()
            cluster["authorization"] = ["user": "lyre-no-cluster-user", "password": unguessableRouteSecret, "timeout": 2]
        }
        if let tls = settings.routeTLS {
            var block: [String: Any] = ["cert_file": tls.certificate, "key_file": tls.privateKey, "timeout": 2,
                                        "verify": tls.verify, "insecure": tls.insecure]
            if let ca = tls.certificateAuthority { block["ca_file"] = ca }
            cluster["tls"] = block
        }
        return [
            "server_name": settings.nodeName + "-hub",
            "listen": "127.0.0.1:\(settings.hubClientPort)",
            "pid_file": settings.directory + "/hub.pid",
            "max_payload": settings.maxPayload,
            "jetstream": ["enabled": false],
            // Lyre's traffic in one account; the system account answers route questions.
            "accounts": [
                "LYRE": ["users": [["user": localUser, "password": localPassword]]],
                "SYS": ["users": [["user": systemUser, "password": localPassword]]],
            ],
            "system_account": "SYS",
            "leafnodes": [
                "listen": "127.0.0.1:\(settings.leafNodesPort)",
                "authorization": ["user": localUser, "password": localPassword, "account": "LYRE"],
            ],
            "cluster": cluster,
        ]
    }

    func leafConfiguration() -> [String: Any] {
        let settings = self.settings
        return [
            "server_name": settings.nodeName + "-leaf",
            "listen": "127.0.0.1:\(settings.leafClientPort)",
            "pid_file": settings.directory + "/leaf.pid",
            "max_payload": settings.maxPayload,
            "jetstream": ["enabled": true, "store_dir": settings.streamsPath, "domain": settings.nodeName],
            "authorization": ["user": localUser, "password": localPassword],
            "leafnodes": [
                "remotes": [["url": "nats-leaf://\(Self.escape(localUser)):\(Self.escape(localPassword))@127.0.0.1:\(settings.leafNodesPort)"]],
                "reconnect": 1,
            ],
        ]
    }

    private func write(_ configuration: [String: Any], to path: String) throws {
        let data = try JSONSerialization.data(withJSONObject: configuration, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw ClusterEngineError("cannot write \(path)")
        }
    }

    /// A server left running by a Lyre that was killed before it could stop it (its pid
    /// file names it) is stopped, so its ports are free again.
    private func killLeftovers() {
        for file in ["hub.pid", "leaf.pid"] {
            let path = settings.directory + "/" + file
            guard let text = try? String(contentsOfFile: path, encoding: .utf8),
                  let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0,
                  let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
                  String(decoding: cmdline, as: UTF8.self).contains(settings.directory) else { continue }
            kill(pid, SIGKILL)
            for _ in 0..<100 where kill(pid, 0) == 0 { Thread.sleep(forTimeInterval: 0.02) }
        }
    }

    private static func localSecret(directory: String) throws -> String {
        let path = directory + "/local.secret"
        if let text = try? String(contentsOfFile: path, encoding: .utf8), text.count >= 16 {
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let secret = randomHex(count: 24)
        guard FileManager.default.createFile(atPath: path, contents: Data(secret.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw ClusterEngineError("cannot write \(path)")
        }
        return secret
    }

    private static func randomHex(count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// An IPv6 literal goes in brackets in a URL.
    private static func urlHost(_ host: String) -> String {
        host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
    }

    /// "[1] 2026/… [ERR] 127.0.0.1:9932 - rid:5 - Route Error 'x'" → "127.0.0.1:9932 - Route Error 'x'"
    private static func trimmedAddress(_ line: String) -> String {
        let text = trimmed(line)
        return text.replacingOccurrences(of: #" - rid:\d+ -"#, with: " -", options: .regularExpression)
    }

    private static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }

    private static func trimmed(_ line: String) -> String {
        // "[1234] 2026/01/01 00:00:00.000000 [FTL] text" → "text"
        if let range = line.range(of: "] ", options: .backwards) { return String(line[range.upperBound...]) }
        return line
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port`.
    package static func isListening(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
