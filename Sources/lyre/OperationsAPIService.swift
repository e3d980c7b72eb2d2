import Foundation
import Logging
import LyreCore
import LyreOperations
import LyreServer
import ServiceLifecycle

/// Serves the Operations API and restarts its listener in-process when the application
/// asks (`restart` / `restart_service`). The application reloads its configuration first;
/// if the listener's host or port changed, the old listener finishes in-flight responses
/// (the restart answer carries `Connection: close`) and a new one binds the new address,
/// otherwise the listener keeps serving. Storage, caches and accepted jobs are untouched,
/// so nothing is lost.
struct OperationsAPIService: Service {
    let application: Application
    /// Flags given on the command line win over the configuration file after a reload too.
    let overrides: (host: String?, port: Int?)
    let logger: Logger

    func run() async throws {
        let events = EventCursor(application.events)
        while true {
            var configuration = application.configuration
            if let host = overrides.host { configuration.host = host }
            if let port = overrides.port { configuration.port = port }
            let root = configuration.root
            let displayHost = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
            let server = LyreHTTPServer(configuration: configuration, handler: application, logger: logger) { [logger] port in
                logger.notice("Lyre \(LyreVersion.string) listening on http://\(displayHost):\(port) (root \(root))")
                FileHandle.standardOutput.write(
                    Data("Lyre \(LyreVersion.string) listening on http://\(displayHost):\(port) (root \(root))\n".utf8))
            }
            let restart = try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    try await server.run()
                    return false
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
                        if let host = overrides.host { next.host = host }
                        if let port = overrides.port { next.port = port }
                        if next.host != listening.host || next.port != listening.port { return true }
                        logger.notice("configuration reloaded; the listener stays on \(listening.host):\(listening.port)")
                    }
                    return false
                }
                let first = try await group.next() ?? false
                group.cancelAll()
                // Let the old listener close before the new one binds the same port.
                while let _ = try? await group.next() {}
                return first
            }
            guard restart, !Task.isCancelled else { return }
            logger.notice("restarting the Operations API listener")
        }
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
