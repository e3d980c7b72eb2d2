public import Logging
public import LyreOperations
import NIOCore
import NIOPosix
public import ServiceLifecycle
import Synchronization

/// The Operations API listener: HTTP/1.1 (or HTTPS, given a ``ServerTLS``) on SwiftNIO,
/// run as a `Service`.
///
/// ```swift
/// let server = LyreHTTPServer(configuration: configuration, handler: application, logger: logger)
/// let group = ServiceGroup(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
/// try await group.run()
/// ```
///
/// Graceful shutdown stops accepting, lets in-flight requests finish (each connection
/// closes after its current response), waits up to `shutdownGracePeriod`, then closes
/// what is left and stops the event loops. Cancellation does the same.
public final class LyreHTTPServer: Service, Sendable {
    /// Harper's request body limit: 1 GiB.
    public static let defaultMaximumBodySize = 1 << 30

    public let host: String
    /// The requested port; `0` asks the system for a free one (see ``boundPort``).
    public let port: Int
    public let maximumBodySize: Int
    public let shutdownGracePeriod: Duration
    /// The certificate when this listener serves HTTPS; `nil` for plain HTTP.
    public let tls: ServerTLS?
    /// Timeouts and the open-connection cap.
    public let limits: ConnectionLimits
    private let handler: any RequestHandling
    private let logger: Logger
    private let numberOfThreads: Int
    private let onListening: (@Sendable (_ port: Int) -> Void)?
    private let listenState = Mutex(ListenState.starting([]))
    private let connections = ConnectionRegistry()

    private enum ListenState {
        case starting([CheckedContinuation<Int, any Error>])
        case listening(Int)
        case failed(any Error)
    }

    /// - Parameters:
    ///   - host: Address to bind (`127.0.0.1`, `0.0.0.0`, `::1`).
    ///   - port: Port to bind; `0` for an ephemeral one.
    ///   - handler: Answers `POST /` (the `Application`, or a fake in tests).
    ///   - logger: For listener and connection events.
    ///   - maximumBodySize: Larger request bodies get `413`.
    ///   - numberOfThreads: Event-loop threads; `nil` means one per core.
    ///   - shutdownGracePeriod: How long graceful shutdown waits for in-flight requests.
    ///   - tls: Serve HTTPS with this certificate (TLS is terminated first in each
    ///     connection's pipeline); `nil` for plain HTTP.
    ///   - limits: Timeouts and the connection cap (none and the default cap unless given:
    ///     `lyre run` passes the configuration's).
    ///   - onListening: Called once with the bound port when the listener is up.
    public init(
        host: String,
        port: Int,
        handler: some RequestHandling,
        logger: Logger,
        maximumBodySize: Int = LyreHTTPServer.defaultMaximumBodySize,
        numberOfThreads: Int? = nil,
        shutdownGracePeriod: Duration = .seconds(30),
        tls: ServerTLS? = nil,
        limits: ConnectionLimits = .untimed,
        onListening: (@Sendable (_ port: Int) -> Void)? = nil
    ) {
        self.host = host
        self.port = port
        self.tls = tls
        self.limits = limits
        self.handler = handler
        self.logger = logger
        self.maximumBodySize = maximumBodySize
        self.numberOfThreads = max(1, numberOfThreads ?? System.coreCount)
        self.shutdownGracePeriod = shutdownGracePeriod
        self.onListening = onListening
    }

    /// Binds `configuration.host:configuration.port`.
    public convenience init(
        configuration: Configuration,
        handler: some RequestHandling,
        logger: Logger,
        onListening: (@Sendable (_ port: Int) -> Void)? = nil
    ) {
        self.init(host: configuration.host, port: configuration.port, handler: handler, logger: logger,
                  onListening: onListening)
    }

    /// The port actually bound, once ``run()`` is listening.
    /// - Throws: The bind error if the listener could not start.
    public var boundPort: Int {
        get async throws {
            try await withCheckedThrowingContinuation { continuation in
                listenState.withLock { state in
                    switch state {
                    case .starting(var waiters):
                        waiters.append(continuation)
                        state = .starting(waiters)
                    case .listening(let port):
                        continuation.resume(returning: port)
                    case .failed(let error):
                        continuation.resume(throwing: error)
                    }
                }
            }
        }
    }

    /// Runs the listener until graceful shutdown or cancellation.
    /// - Throws: If the address cannot be bound.
    public func run() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: numberOfThreads)
        do {
            let serverChannel = try await bind(group: group)
            let boundPort = serverChannel.localAddress?.port ?? port
            publish(.listening(boundPort))
            logger.debug("Listening", metadata: [
                "host": "\(host)", "port": "\(boundPort)", "scheme": "\(tls == nil ? "http" : "https")",
            ])
            onListening?(boundPort)

            await withGracefulShutdownHandler {
                await withTaskCancellationHandler {
                    try? await serverChannel.closeFuture.get()
                } onCancel: {
                    serverChannel.close(promise: nil)
                }
            } onGracefulShutdown: {
                serverChannel.close(promise: nil)
            }
            await drainConnections()
            logger.info("Stopped listening")
        } catch {
            publish(.failed(error))
            try? await group.shutdownGracefully()
            throw error
        }
        try await group.shutdownGracefully()
    }

    private func bind(group: MultiThreadedEventLoopGroup) async throws -> any Channel {
        let handler = self.handler
        let logger = self.logger
        let maximumBodySize = self.maximumBodySize
        let connections = self.connections
        let tls = self.tls
        let limits = self.limits
        return try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                switch connections.insert(channel, limit: limits.maximumConnections) {
                case .accepted:
                    break
                case .closing:
                    return channel.close()
                case .overLimit(let report):
                    if let refused = report {
                        logger.warning("Refused \(refused) connection(s): \(limits.maximumConnections) are open, the limit (operationsApi.network.maxConnections)")
                    }
                    return channel.close()
                }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureLyreHTTPServerPipeline(
                        handler: handler, logger: logger, maximumBodySize: maximumBodySize, tls: tls, limits: limits)
                }
            }
            .bind(host: host, port: port)
            .get()
    }

    /// Asks every open connection to finish its current request and close, then waits
    /// (up to the grace period) before closing the stragglers.
    private func drainConnections() async {
        let open = connections.closeAndTakeAll()
        guard !open.isEmpty else { return }
        logger.debug("Draining connections", metadata: ["count": "\(open.count)"])
        for channel in open {
            channel.eventLoop.execute {
                channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
            }
        }
        let grace = shutdownGracePeriod
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for channel in open { try? await channel.closeFuture.get() }
                return true
            }
            group.addTask {
                try? await Task.sleep(for: grace)
                return false
            }
            let drained = await group.next() ?? false
            if !drained {
                for channel in open { channel.close(promise: nil) }
            }
            group.cancelAll()
            // The waiter finishes once every channel is closed (now forced, if needed).
            await group.waitForAll()
        }
    }

    private func publish(_ newState: ListenState) {
        let waiters = listenState.withLock { state -> [CheckedContinuation<Int, any Error>] in
            guard case .starting(let waiters) = state else { return [] }
            state = newState
            return waiters
        }
        for waiter in waiters {
            switch newState {
            case .listening(let port): waiter.resume(returning: port)
            case .failed(let error): waiter.resume(throwing: error)
            case .starting: break
            }
        }
    }
}

/// The open connections, so shutdown can drain them. Guarded by a `Mutex`.
private final class ConnectionRegistry: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var isClosed = false
        /// Connections refused over the limit since the last log line, and when that was.
        var refused = 0
        var lastReport: ContinuousClock.Instant?
    }

    private let state = Mutex(State())

    enum Admission {
        case accepted
        /// Shutdown has begun.
        case closing
        /// `limit` connections are open; `report` is the number refused to log now (at
        /// most one line a second, so a flood cannot fill the log).
        case overLimit(report: Int?)
    }

    /// Registers a new connection unless shutdown has begun or `limit` are open (the caller
    /// closes it then).
    func insert(_ channel: any Channel, limit: Int) -> Admission {
        let id = ObjectIdentifier(channel)
        let admission = state.withLock { state -> Admission in
            guard !state.isClosed else { return .closing }
            guard state.channels.count < limit else {
                state.refused += 1
                let now = ContinuousClock.now
                if let last = state.lastReport, now - last < .seconds(1) { return .overLimit(report: nil) }
                state.lastReport = now
                defer { state.refused = 0 }
                return .overLimit(report: state.refused)
            }
            state.channels[id] = channel
            return .accepted
        }
        if case .accepted = admission {
            channel.closeFuture.whenComplete { _ in
                self.state.withLock { _ = $0.channels.removeValue(forKey: id) }
            }
        }
        return admission
    }

    /// Refuses further connections and returns the open ones.
    func closeAndTakeAll() -> [any Channel] {
        state.withLock { state in
            state.isClosed = true
            return Array(state.channels.values)
        }
    }
}
