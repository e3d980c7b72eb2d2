import Foundation
import Logging
import LyreCluster
import LyreCore
import LyreStorage
import Synchronization

/// Owns the running `ClusterNode`, if clustering is on: started with the application,
/// restarted by `restart` when the clustering settings changed, stopped at shutdown.
final class ClusterController: Sendable {
    private struct State {
        var node: ClusterNode?
        var settings: ClusteringSettings?
        var lastError: String?
    }
    private let state = Mutex(State())
    /// The port the Operations API listens on (a `--port` flag's), told by the server.
    let listeningPort = Mutex<Int?>(nil)

    /// The running node, or nil (clustering off, or it failed to start).
    var node: ClusterNode? { state.withLock { $0.node } }
    /// Why the node is not running although clustering is on.
    var lastError: String? { state.withLock { $0.lastError } }

    /// Brings the node in line with `configuration`: starts, restarts (settings changed)
    /// or stops it.
    /// - Throws: `LyreError` (500) with the one-line reason when a node cannot start; the
    ///   reason is also kept for `cluster_status`.
    func apply(_ configuration: Configuration, storage: StorageEngine, logger: Logger,
               securityChanged: @escaping @Sendable () -> Void = {}) throws {
        let wanted = configuration.clustering
        let current = state.withLock { $0.settings }
        if current == wanted, wanted.enabled == (node != nil) { return }
        // Only routes, the cluster user or route TLS changed: the running hub reloads them.
        if let node, let current, wanted.enabled, current.withoutRouteSettings == wanted.withoutRouteSettings {
            state.withLock { $0.settings = wanted }
            node.reloadRoutes(wanted)
            return
        }
        stop()
        state.withLock { $0.settings = wanted }
        guard wanted.enabled else { return }
        do {
            let configuredPort = configuration.port
            let node = try ClusterNode(settings: wanted, root: configuration.root,
                                       operationsPort: { [weak self] in self?.listeningPort.withLock { $0 } ?? configuredPort },
                                       storage: storage, environmentPath: configuration.environment["PATH"], logger: logger,
                                       securityChanged: securityChanged)
            state.withLock {
                $0.node = node
                $0.lastError = nil
            }
        } catch {
            let text = "\(error)"
            state.withLock { $0.lastError = text }
            logger.error("\(text)")
            throw LyreError(.internalError, status: 500, text)
        }
    }

    /// A user was added, altered or dropped: when it is the cluster user, the hub's route
    /// credentials follow without a restart.
    func userChanged(_ username: String) {
        guard let node, node.settings.user == username else { return }
        node.reloadRoutes()
    }

    /// Stops the node, if any.
    func stop() {
        let node = state.withLock { s -> ClusterNode? in
            defer { s.node = nil }
            return s.node
        }
        node?.stop()
    }
}

extension Application {
    /// The server tells where the plain-HTTP Operations API listens (after `--port` and
    /// port 0): `cluster_status` reports it to other nodes as `ports.operations_api`.
    public func operationsAPIListening(port: Int) {
        cluster.listeningPort.withLock { $0 = port }
    }
}
