import ArgumentParser
import Foundation
import Logging
import LyreCore
import LyreOperations
import LyreServer
import ServiceLifecycle

/// `lyre run`: opens the root, serves the Operations API until SIGINT/SIGTERM, then closes storage.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Start the Operations API server.",
        discussion: """
            Serves HarperDB's Operations API (POST /) over HTTP, with data stored under the root \
            folder. The root is created on first start; the first super user then comes from \
            HDB_ADMIN_USERNAME (default HDB_ADMIN) and HDB_ADMIN_PASSWORD.

            Environment:
              LYRE_ROOT            root folder when --root is not given
              HDB_ADMIN_USERNAME   first super user's name (first start only)
              HDB_ADMIN_PASSWORD   first super user's password (first start only)

            SIGINT or SIGTERM stop the server gracefully: no new connections, in-flight \
            requests finish, storage is closed.
            """
    )

    @Option(help: ArgumentHelp("Root folder for data, logs and configuration (default: $LYRE_ROOT or ./lyre-data).",
                               valueName: "dir"))
    var root: String?

    @Option(help: "TCP port for the Operations API (0 picks a free port).")
    var port: Int = 9925

    @Option(help: ArgumentHelp("Address to listen on.", valueName: "addr"))
    var host: String = "127.0.0.1"

    func validate() throws {
        guard (0...65535).contains(port) else {
            throw ValidationError("--port must be between 0 and 65535")
        }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let root = self.root ?? environment["LYRE_ROOT"].flatMap { $0.isEmpty ? nil : $0 } ?? "./lyre-data"
        var bootstrapAdmin: (username: String, password: String)?
        if let password = environment["HDB_ADMIN_PASSWORD"], !password.isEmpty {
            let username = environment["HDB_ADMIN_USERNAME"].flatMap { $0.isEmpty ? nil : $0 } ?? "HDB_ADMIN"
            bootstrapAdmin = (username, password)
        }
        let configuration = Configuration(root: root, host: host, port: port, bootstrapAdmin: bootstrapAdmin)

        // Logs go to stderr; stdout carries only the "listening" line scripts wait for.
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        var logger = Logger(label: "lyre")
        logger.logLevel = .info

        let application: Application
        do {
            application = try Application(configuration: configuration, logger: logger)
        } catch let error as LyreError {
            printError(error.message)
            throw ExitCode.failure
        } catch {
            printError("\(error)")
            throw ExitCode.failure
        }

        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        let server = LyreHTTPServer(configuration: configuration, handler: application, logger: logger) { port in
            // Unbuffered, so scripts waiting for this line see it at once.
            FileHandle.standardOutput.write(
                Data("Lyre \(LyreVersion.string) listening on http://\(host):\(port) (root \(root))\n".utf8))
        }
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: server)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ))
        do {
            try await group.run()
        } catch {
            application.shutdown()
            printError("\(error)")
            throw ExitCode.failure
        }
        application.shutdown()
    }

    private func printError(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}
