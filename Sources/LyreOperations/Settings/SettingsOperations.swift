import Foundation
import LyreCore

/// `get_configuration`, `set_configuration`, `restart`, `restart_service` (logs-config-system.md §4–5).
enum SettingsOperations {
    static func register(into registry: inout OperationRegistry) {
        registry.register(.getConfiguration, .sync(getConfiguration))
        registry.register(.setConfiguration, .async(setConfiguration))
        registry.register(.restart, .response(restart))
        registry.register(.restartService, .response(restartService))
    }

    static let restartMessage = "Restarting HarperDB. This may take up to 60 seconds."
    static let setMessage = "Configuration successfully set. You must restart HarperDB for new config settings to take effect."
    static let restartableServices: Set<String> = [
        "http_workers", "http", "harperdb", "custom_functions", "custom functions", "clustering", "clustering_config",
    ]

    @Sendable static func getConfiguration(_ request: Request, _ context: OperationContext) throws -> OutgoingResponse.Body {
        .json(.object(try ConfigurationFile.read(root: context.app.configuration.root)))
    }

    @Sendable static func setConfiguration(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        let root = context.app.configuration.root
        var tree = try ConfigurationFile.read(root: root)
        for entry in request.body where entry.key != "operation" && entry.key != "replicated" {
            if entry.key.lowercased() == "databases" {
                mergeDatabases(entry.value, into: &tree)
                continue
            }
            guard let path = ConfigurationKeys.path(forFlattened: entry.key) else { continue }
            let value = ConfigurationKeys.convert(entry.value)
            ConfigurationFile.set(&tree, path: path, value)
            // A secure port equal to the plain port replaces it.
            if path.last == "securePort", let section = path.first, !value.isNull {
                let portPath = Array(path.dropLast()) + ["port"]
                if ConfigurationFile.lookup(tree, path: portPath) == value, section == "http" || section == "operationsApi" {
                    ConfigurationFile.set(&tree, path: portPath, .null)
                }
            }
        }
        let problems = ConfigurationSchema.problems(in: tree)
        guard problems.isEmpty else { throw ConfigurationSchema.error(problems) }
        try ConfigurationFile.write(tree, root: root)
        return .message(setMessage)
    }

    /// `databases: [{"<db>": {...}}]` merged into the `databases` section.
    private static func mergeDatabases(_ value: Value, into tree: inout JSONObject) {
        let items: [Value] = switch ConfigurationKeys.convert(value) {
        case .array(let a): a
        case .object(let o): [.object(o)]
        default: []
        }
        var databases = tree["databases"]?.objectValue ?? JSONObject()
        for case .object(let item) in items {
            for entry in item {
                var existing = databases[entry.key]?.objectValue ?? JSONObject()
                for inner in entry.value.objectValue ?? JSONObject() { existing[inner.key] = inner.value }
                databases[entry.key] = .object(existing)
            }
        }
        tree["databases"] = .object(databases)
    }

    /// `restart`: answered with `Connection: close`; the application then reloads its
    /// configuration and announces `.restart` on `Application.events`.
    @Sendable static func restart(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse {
        context.app.scheduleRestart(.restart)
        return OutgoingResponse(body: .message(restartMessage), headers: [("Connection", "close")])
    }

    /// `restart_service`: validates the service, answers, then announces `.restartService`.
    @Sendable static func restartService(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse {
        guard let service = request["service"]?.stringValue, restartableServices.contains(service) else {
            throw LyreError.badRequest("Invalid service")
        }
        context.app.scheduleRestart(.restartService(service))
        return OutgoingResponse(body: .message("Restarting \(service)"), headers: [("Connection", "close")])
    }
}
