import Foundation
package import LyreCluster
import Logging
import LyreCore

/// A clustering engine (hub and leaf nats-servers) on free loopback ports in its own
/// temporary folder, for tests. `stop()` (or release) stops both servers and removes the
/// folder; the servers also die with the test process (`SupervisedProcess`).
package final class NATSTestNode: Sendable {
    package let engine: ClusterEngine
    package let directory: String

    /// Whether a nats-server binary is installed (`scripts/bootstrap` installs it).
    package static var isAvailable: Bool { executable != nil }
    package static var executable: String? {
        ClusterEngineSettings.findExecutable(path: ProcessInfo.processInfo.environment["PATH"])
    }

    /// The cluster credentials test nodes share unless told otherwise.
    package static let clusterCredentials = ClusterEngineSettings.Credentials(user: "cluster_test", password: "test-secret")

    /// Starts a node named `name`, with routes to the given route ports on loopback,
    /// authenticated with `credentials` (nil: no cluster user, so no routes) and over `tls`.
    package init(name: String, routes: [Int] = [], routePort: Int? = nil,
                 credentials: ClusterEngineSettings.Credentials? = NATSTestNode.clusterCredentials,
                 tls: ClusterEngineSettings.TLS? = nil) throws {
        directory = TestApplication.temporaryRoot() + "/clustering"
        var settings = ClusterEngineSettings(nodeName: name, directory: directory, executable: Self.executable ?? "nats-server")
        settings.routeHost = "127.0.0.1"
        settings.routePort = routePort ?? Self.freePort()
        settings.hubClientPort = Self.freePort()
        settings.leafNodesPort = Self.freePort()
        settings.leafClientPort = Self.freePort()
        settings.routes = routes.map { ClusterRoute(host: "127.0.0.1", port: $0) }
        settings.routeCredentials = credentials
        settings.routeTLS = tls
        var logger = Logger(label: "nats-test-node")
        logger.logLevel = .critical
        engine = try ClusterEngine(settings: settings, logger: logger)
        try engine.start()
    }

    package var routePort: Int { engine.settings.routePort }

    /// A client connected to this node's leaf server.
    package func connect() throws -> NATSConnection {
        try NATSConnection(url: engine.leafURL, user: engine.localUser, password: engine.localPassword,
                           name: engine.settings.nodeName + "-test")
    }

    /// A client of the hub's system account.
    package func connectSystem() throws -> NATSConnection {
        try NATSConnection(url: engine.hubURL, user: engine.systemUser, password: engine.localPassword,
                           name: engine.settings.nodeName + "-test-system")
    }

    /// The names of the hubs this node's hub has routes to now (`<node>-hub`), as its
    /// statistics (`$SYS.REQ.SERVER.PING.STATSZ`, filtered by server name) say.
    package func routedHubs(using system: NATSConnection) throws -> Set<String> {
        let filter = Array(#"{"server_name":"\#(engine.settings.nodeName)-hub"}"#.utf8)
        let replies = try system.requestAll(subject: "$SYS.REQ.SERVER.PING.STATSZ", data: filter, timeout: .seconds(1), limit: 1)
        guard let reply = replies.first, let object = try? JSON.parse(reply.data).objectValue else { return [] }
        return Set((object["statsz"]?.objectValue?["routes"]?.arrayValue ?? []).compactMap { $0.objectValue?["name"]?.stringValue })
    }

    package func stop() {
        engine.stop()
    }

    deinit {
        engine.stop()
        try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: directory).deletingLastPathComponent().path)
    }

    /// A free TCP port (`LyreProcess.freePort`: outside the kernel's ephemeral range).
    package static func freePort() -> Int {
        LyreProcess.freePort()
    }
}
