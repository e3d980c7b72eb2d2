import Foundation
import LyreCore

/// The known configuration parameters and their flattened names (`logging_level` →
/// `logging.level`, case-insensitive), Harper's legacy aliases, and value conversion of
/// `set_configuration` and environment variables (logs-config-system.md §5.4).
enum ConfigurationKeys {
    /// Parameters that are valid but absent from the default file.
    static let extraPaths: [String] = [
        "operationsApi.network.host", "operationsApi.network.maxConnections", "operationsApi.network.requestMemory",
        "operationsApi.sysInfo.disk", "operationsApi.sysInfo.network",
        "operationsApi.tls.certificate", "operationsApi.tls.privateKey", "operationsApi.tls.certificateAuthority",
        "http.headersTimeout", "http.mtls", "replication.port", "replication.securePort", "replication.enableRootCAs",
        "replication.blobTimeout", "replication.failOver", "replication.shard", "logging.external",
        "storage.audit.path", "storage.compactOnStart", "storage.compactOnStartKeepBackup",
        "storage.compactAfterLoadRows", IssuerKeys.configurationPath, "clustering.externalNats.url",
        "clustering.tombstoneRetention", "clustering.maxPayload",
        "metrics.enabled", "metrics.authorizeLocal", "analytics.retention",
    ]

    static let aliases: [String: String] = [
        "log_level": "logging.level", "log_path": "logging.root", "server_port": "operationsApi.network.port",
        "cors_on": "operationsApi.network.cors", "cors_whitelist": "operationsApi.network.corsAccessList",
        "cors_accesslist": "operationsApi.network.corsAccessList", "server_timeout_ms": "operationsApi.network.timeout",
        "server_keep_alive_timeout": "operationsApi.network.keepAliveTimeout",
        "server_headers_timeout": "operationsApi.network.headersTimeout",
        "operation_token_timeout": "authentication.operationTokenTimeout",
        "refresh_token_timeout": "authentication.refreshTokenTimeout",
        "max_hdb_processes": "threads.count", "max_http_threads": "threads.count", "http_threads": "threads.count",
        "threads": "threads.count", "certificate": "tls.certificate", "private_key": "tls.privateKey",
        "hdb_root": "rootPath", "rootpath": "rootPath", "log_to_file": "logging.file",
        "log_to_stdstreams": "logging.stdStreams", "local_studio_on": "localStudio.enabled",
        "custom_functions_port": "http.port", "custom_functions_directory": "componentsRoot",
        "customfunctions_root": "componentsRoot",
    ]

    /// Lower-cased flattened name → dotted path, for every known parameter.
    static let known: [String: [String]] = {
        var map: [String: [String]] = [:]
        func walk(_ object: JSONObject, _ prefix: [String]) {
            for entry in object {
                let path = prefix + [entry.key]
                if case .object(let inner) = entry.value { walk(inner, path) } else {
                    map[path.joined(separator: "_").lowercased()] = path
                }
            }
        }
        walk(ConfigurationFile.defaults(root: "/"), [])
        for dotted in extraPaths {
            let path = dotted.split(separator: ".").map(String.init)
            map[path.joined(separator: "_").lowercased()] = path
        }
        for (alias, dotted) in aliases { map[alias] = dotted.split(separator: ".").map(String.init) }
        return map
    }()

    /// Parameters that hold directory paths.
    static let directoryKeys: Set<String> = [
        "rootPath", "componentsRoot", "logging.root", "logging.rotation.path", "storage.path", "storage.audit.path",
        "operationsApi.network.domainSocket", "clustering.leafServer.streams.path",
    ]

    /// Parameters that name files or folders on the server (directories, TLS material,
    /// issuer keys): none may hold a NUL byte (`FilePathParameters`).
    static let fileKeys: Set<String> = directoryKeys.union([
        "tls.certificate", "tls.privateKey", "tls.certificateAuthority",
        "operationsApi.tls.certificate", "operationsApi.tls.privateKey", "operationsApi.tls.certificateAuthority",
        "clustering.tls.certificate", "clustering.tls.privateKey", "clustering.tls.certificateAuthority",
        IssuerKeys.configurationPath,
    ])

    /// The dotted path of a flattened name, or nil for unknown names.
    static func path(forFlattened name: String) -> [String]? {
        known[name.lowercased()]
    }

    /// `"true"`/`"false"` → booleans, numeric strings → numbers (not with leading zeros),
    /// JSON object/array text → parsed; everything else as given.
    static func convert(_ value: Value) -> Value {
        guard case .string(let text) = value else { return value }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        switch trimmed.lowercased() {
        case "true": return .bool(true)
        case "false": return .bool(false)
        default: break
        }
        let hasLeadingZero = trimmed.count > 1 && trimmed.hasPrefix("0") && !trimmed.hasPrefix("0.")
        if !hasLeadingZero, !trimmed.isEmpty, trimmed.allSatisfy({ $0.isNumber || $0 == "." || $0 == "-" }) {
            if let i = Int64(trimmed) { return .int(i) }
            if let d = Double(trimmed) { return .double(d) }
        }
        if (trimmed.hasPrefix("{") && trimmed.hasSuffix("}")) || (trimmed.hasPrefix("[") && trimmed.hasSuffix("]")),
           let parsed = try? JSON.parse(trimmed) {
            return parsed
        }
        return value
    }
}
