import Foundation
package import LyreCluster
import Logging

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

    /// Starts a node named `name`, with routes to the given route ports on loopback.
    package init(name: String, routes: [Int] = [], routePort: Int? = nil) throws {
        directory = TestApplication.temporaryRoot() + "/clustering"
        var settings = ClusterEngineSettings(nodeName: name, directory: directory, executable: Self.executable ?? "nats-server")
        settings.routeHost = "127.0.0.1"
        settings.routePort = routePort ?? Self.freePort()
        settings.hubClientPort = Self.freePort()
        settings.leafNodesPort = Self.freePort()
        settings.leafClientPort = Self.freePort()
        settings.routes = routes.map { ClusterRoute(host: "127.0.0.1", port: $0) }
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
