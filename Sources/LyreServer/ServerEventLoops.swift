import NIOCore
import NIOPosix

/// Event-loop threads that several listeners share (`threads.count`): the plain, TLS and
/// domain-socket listeners of one configuration serve on the same threads.
public final class ServerEventLoops: Sendable {
    let group: MultiThreadedEventLoopGroup
    /// The number of threads.
    public let count: Int

    /// - Parameter threads: how many (`nil`: one per core; at least one).
    public init(threads: Int?) {
        count = max(1, threads ?? System.coreCount)
        group = MultiThreadedEventLoopGroup(numberOfThreads: count)
    }

    /// Stops the threads once the listeners on them have stopped.
    public func shutdown() async {
        try? await group.shutdownGracefully()
    }
}
