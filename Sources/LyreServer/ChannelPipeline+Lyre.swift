public import Logging
public import NIOCore
import NIOSSL

extension ChannelPipeline.SynchronousOperations {
    /// Installs, when `tls` is given, NIOSSL's server handler (so everything after it sees
    /// plaintext), then Lyre's HTTP/1.1 connection handler (framing, pipelining, routing and
    /// protocol-error answers in one handler). `LyreHTTPServer` calls this for every
    /// accepted connection; tests call it on an in-memory channel.
    ///
    /// ```swift
    /// let channel = try await NIOAsyncTestingChannel { channel in
    ///     try channel.pipeline.syncOperations.configureLyreHTTPServerPipeline(handler: fake, logger: logger)
    /// }
    /// ```
    /// - Parameters:
    ///   - handler: Answers `POST /`.
    ///   - logger: Receives connection errors and the causes of 500s.
    ///   - maximumBodySize: Larger request bodies get `413` and the connection is closed.
    ///   - tls: Serve HTTPS with this certificate; `nil` for plain HTTP.
    ///   - limits: The connection's timeouts (none by default here).
    /// - Throws: If a handler cannot be added (the channel is closing).
    public func configureLyreHTTPServerPipeline(
        handler: some RequestHandling,
        logger: Logger,
        maximumBodySize: Int = LyreHTTPServer.defaultMaximumBodySize,
        tls: ServerTLS? = nil,
        limits: ConnectionLimits = .untimed
    ) throws {
        if let tls {
            try addHandler(NIOSSLServerHandler(context: tls.context))
        }
        try addHandler(HTTPConnectionHandler(handler: handler, maximumBodySize: maximumBodySize, logger: logger,
                                             limits: limits))
    }
}
