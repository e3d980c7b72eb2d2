import Foundation
import Logging
import LyreCore
import LyreOperations
import LyreServer
import ServiceLifecycle

/// Serves the Operations API and restarts its listener in-process when the application
/// asks (`restart` / `restart_service`). The application reloads its configuration first;
/// if the listeners' host or ports changed, the old listeners finish in-flight responses
/// (the restart answer carries `Connection: close`) and new ones bind the new addresses,
/// otherwise they keep serving. Storage, caches and accepted jobs are untouched, so
/// nothing is lost.
///
/// With `operationsApi.network.securePort` set, a second listener serves the same API over
/// HTTPS (see `OperationsAPITLS`); `port: null` turns plain HTTP off, as in Harper.
struct OperationsAPIService: Service {
    let application: Application
    /// Flags given on the command line win over the configuration file after a reload too.
    let overrides: Overrides
    let logger: Logger

    struct Overrides: Sendable {
        var host: String?
        var port: Int?
        var securePort: Int?

        func apply(to configuration: inout Configuration) {
            if let host { configuration.host = host }
            if let port {
                configuration.port = port
                configuration.servesPlainHTTP = true
            }
            if let securePort { configuration.securePort = securePort }
        }
    }

    /// How long reads in flight at SIGTERM may go on before they are cancelled
    /// (`ReadCancellation`): a quick one finishes, a long one no longer holds the shutdown.
    static let readGracePeriod: Duration = .seconds(2)

    func run() async throws {
        let cancelReads = Task {
            // Ended by the graceful shutdown, or by cancellation when the service ends first.
            try await gracefulShutdown()
            try await Task.sleep(for: Self.readGracePeriod)
            logger.notice("stopping: reads still running are cancelled")
            ReadCancellation.requestForShutdown()
        }
        defer { cancelReads.cancel() }
        try await serve()
    }

    private func serve() async throws {
        let events = EventCursor(application.events)
        while true {
            var configuration = application.configuration
            overrides.apply(to: &configuration)
            // `threads.count` event loops, shared by the listeners of this generation.
            let loops = ServerEventLoops(threads: configuration.threadCount)
            let servers: [(server: LyreHTTPServer, optional: Bool)]
            do {
                servers = try listeners(for: configuration, on: loops)
            } catch {
                await loops.shutdown()
                throw error
            }
            let restart = try await withThrowingTaskGroup(of: Bool.self) { group in
                for (server, optional) in servers {
                    group.addTask { [logger] in
                        do {
                            try await server.run()
                        } catch where optional {
                            // The domain socket is a convenience for the local CLI: without it
                            // the server still serves its ports (and waits to be stopped).
                            logger.error("the Operations API domain socket could not be served: \(error)")
                            try? await Task.sleep(for: .seconds(86_400 * 365 * 100))
                        }
                        return false
                    }
                }
                group.addTask { [overrides, logger, listening = configuration] in
                    // Wait for a restart that moves the listener (nil: the application is
                    // closing). The application has already reloaded its configuration; when
                    // host and port stay the same the listener keeps running: no downtime.
                    while let event = await events.next() {
                        var next: Configuration
                        switch event {
                        case .restart(let c), .restartService(_, let c): next = c
                        }
                        overrides.apply(to: &next)
                        if next.host != listening.host || next.port != listening.port || next.threadCount != listening.threadCount
                            || Self.limits(next) != Self.limits(listening)
                            || next.securePort != listening.securePort || next.servesPlainHTTP != listening.servesPlainHTTP
                            || next.certificatePath != listening.certificatePath || next.privateKeyPath != listening.privateKeyPath
                            || next.domainSocketPath != listening.domainSocketPath {
                            return true
                        }
                        logger.notice("configuration reloaded; the listener stays on \(listening.host):\(listening.port)")
                    }
                    return false
                }
                let first = try await group.next() ?? false
                group.cancelAll()
                // Let the old listeners close before the new ones bind the same ports.
                while let _ = try? await group.next() {}
                return first
            }
            await loops.shutdown()
            guard restart, !Task.isCancelled else { return }
            logger.notice("restarting the Operations API listener")
        }
    }

    /// `operationsApi.network.*` as the listeners apply them.
    static func limits(_ configuration: Configuration) -> ConnectionLimits {
        ConnectionLimits(
            headersTimeout: ConnectionLimits.milliseconds(configuration.headersTimeoutMilliseconds),
            keepAliveTimeout: ConnectionLimits.milliseconds(configuration.keepAliveTimeoutMilliseconds),
            requestTimeout: ConnectionLimits.milliseconds(configuration.requestTimeoutMilliseconds),
            maximumConnections: configuration.maximumConnections ?? ConnectionLimits.defaultMaximumConnections())
    }

    /// The plain listener on `port` and the TLS one on `securePort`, each when configured.
    /// - Throws: `ServerTLSError` when the certificate cannot be loaded (or generated), or
    ///   when neither port is set.
    private func listeners(for configuration: Configuration, on loops: ServerEventLoops) throws -> [(server: LyreHTTPServer, optional: Bool)] {
        var servers: [(server: LyreHTTPServer, optional: Bool)] = []
        let root = configuration.root
        let displayHost = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        func announce(_ scheme: String) -> @Sendable (Int) -> Void {
            { [logger, application] port in
                if scheme == "http" { application.operationsAPIListening(port: port) }
                logger.notice("Lyre \(LyreVersion.string) listening on \(scheme)://\(displayHost):\(port) (root \(root))")
                FileHandle.standardOutput.write(
                    Data("Lyre \(LyreVersion.string) listening on \(scheme)://\(displayHost):\(port) (root \(root))\n".utf8))
            }
        }
        let limits = Self.limits(configuration)
        if configuration.servesPlainHTTP {
            servers.append((LyreHTTPServer(host: configuration.host, port: configuration.port, handler: application,
                                           logger: logger, eventLoops: loops, limits: limits, onListening: announce("http")), false))
        }
        if let securePort = configuration.securePort {
            let tls = try OperationsAPITLS.load(configuration, logger: logger)
            servers.append((LyreHTTPServer(host: configuration.host, port: securePort, handler: application,
                                           logger: logger, eventLoops: loops, tls: tls, limits: limits,
                                           onListening: announce("https")), false))
        }
        guard !servers.isEmpty else {
            throw ServerTLSError(
                "operationsApi.network.port and operationsApi.network.securePort are both null: the Operations API has nowhere to listen")
        }
        if let socket = configuration.domainSocketPath {
            servers.append((LyreHTTPServer(host: configuration.host, port: 0, handler: application, logger: logger,
                                           eventLoops: loops, limits: limits, domainSocketPath: socket,
                                           onListening: { [logger] _ in logger.notice("Operations API on the domain socket \(socket)") }), true))
        }
        return servers
    }
}

/// Which certificate the HTTPS listener uses: the configured `tls.certificate` /
/// `tls.privateKey` (or their `operationsApi.tls.*` overrides). When those are Harper's
/// defaults under `<root>/keys/` and neither file exists yet, a self-signed pair is
/// generated there on first start and reused afterwards; any other missing file is an error.
enum OperationsAPITLS {
    static func load(_ configuration: Configuration, logger: Logger) throws -> ServerTLS {
        let certificate = configuration.certificatePath ?? configuration.defaultCertificatePath
        let privateKey = configuration.privateKeyPath ?? configuration.defaultPrivateKeyPath
        func same(_ a: String, _ b: String) -> Bool {
            (a as NSString).standardizingPath == (b as NSString).standardizingPath
        }
        if same(certificate, configuration.defaultCertificatePath),
           same(privateKey, configuration.defaultPrivateKeyPath),
           try SelfSignedCertificate.createIfMissing(certificatePath: certificate, privateKeyPath: privateKey) {
            logger.notice("generated a self-signed TLS certificate", metadata: ["certificate": "\(certificate)"])
        }
        return try ServerTLS(certificatePath: certificate, privateKeyPath: privateKey)
    }
}

/// The application's event iterator, handed from one listener generation to the next.
final class EventCursor: @unchecked Sendable {
    // @unchecked: only one task at a time calls `next()` — the waiting child of the
    // current listener generation, which ends before the next generation starts.
    private var iterator: AsyncStream<ApplicationEvent>.AsyncIterator

    init(_ stream: AsyncStream<ApplicationEvent>) { iterator = stream.makeAsyncIterator() }

    func next() async -> ApplicationEvent? { await iterator.next() }
}
