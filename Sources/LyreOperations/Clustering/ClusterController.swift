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
        stop()
        state.withLock { $0.settings = wanted }
        guard wanted.enabled else { return }
        do {
            let node = try ClusterNode(settings: wanted, root: configuration.root, operationsPort: configuration.port,
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

    /// Stops the node, if any.
    func stop() {
        let node = state.withLock { s -> ClusterNode? in
            defer { s.node = nil }
            return s.node
        }
        node?.stop()
    }
}
