import Foundation
package import LyreCluster
import Logging
#if canImport(Glibc)
import Glibc
#endif

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

    /// A TCP port the kernel reports free on loopback now.
    package static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                _ = bind(fd, pointer, length)
                return getsockname(fd, pointer, &length)
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
