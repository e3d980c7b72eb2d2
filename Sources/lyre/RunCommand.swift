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
              LYRE_EXIT_WITH_PARENT  when 1, stop gracefully (as on SIGTERM) once the \
            process that started the server is gone (for test harnesses and supervisors, so \
            a crashed parent leaves no server running)

            HTTPS: set operationsApi.network.securePort (or --secure-port). The certificate \
            is tls.certificate / tls.privateKey; when those are the defaults under <root>/keys/ \
            and missing, a self-signed one (localhost, 127.0.0.1) is generated there once.

            SIGINT or SIGTERM stop the server gracefully: no new connections, in-flight \
            requests finish, storage is closed.
            """
    )

    @Option(help: ArgumentHelp("Root folder for data, logs and configuration (default: $LYRE_ROOT or ./lyre-data).",
                               valueName: "dir"))
    var root: String?

    @Option(help: "TCP port for the Operations API (default: operationsApi.network.port of the configuration, 9925; 0 picks a free port).")
    var port: Int?

    @Option(help: "TCP port for the Operations API over HTTPS (default: operationsApi.network.securePort, none; 0 picks a free port).")
    var securePort: Int?

    @Option(help: ArgumentHelp("Address to listen on (default 127.0.0.1).", valueName: "addr"))
    var host: String?

    func validate() throws {
        if let port, !(0...65535).contains(port) {
            throw ValidationError("--port must be between 0 and 65535")
        }
        if let securePort, !(0...65535).contains(securePort) {
            throw ValidationError("--secure-port must be between 0 and 65535")
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
        // Precedence: Harper's defaults < harperdb-config.yaml < environment < flags.
        var configuration = Configuration(root: root, bootstrapAdmin: bootstrapAdmin)
        configuration.environment = environment
        do {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            try ConfigurationFile.writeDefaultsIfMissing(root: root)
            try ConfigurationFile.apply(to: &configuration)
        } catch let error as LyreError {
            printError(error.message)
            throw ExitCode.failure
        }
        let overrides = OperationsAPIService.Overrides(host: host, port: port, securePort: securePort)
        overrides.apply(to: &configuration)

        // Harper's log file (and stdout when attached to a terminal); stdout also carries
        // the "listening" line scripts wait for.
        _ = LyreLogging.bootstrap(configuration: configuration, foreground: isatty(1) == 1)
        let logger = Logger(label: "lyre")

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
        // Libraries reporting through swift-metrics show up on GET /metrics too.
        application.bootstrapSwiftMetrics()

        let service = OperationsAPIService(application: application, overrides: overrides, logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: service)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ))
        if environment["LYRE_EXIT_WITH_PARENT"] == "1" { ParentWatch.start() }
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

/// `LYRE_EXIT_WITH_PARENT=1`: when the process that started the server ends (the server is
/// handed to another parent, so `getppid()` changes), the server sends itself SIGTERM and
/// stops as it would for its supervisor. Polled twice a second on a thread of its own: Linux's
/// `PR_SET_PDEATHSIG` would fire when the spawning *thread* ends, which in a test process
/// is whenever a pool thread retires.
enum ParentWatch {
    static func start() {
        let parent = getppid()
        let thread = Thread {
            while getppid() == parent { usleep(500_000) }
            kill(getpid(), SIGTERM)
        }
        thread.name = "lyre-parent-watch"
        thread.start()
    }
}
