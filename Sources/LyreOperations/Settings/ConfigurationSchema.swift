import Foundation
import LyreCore

/// The known configuration parameters and their flattened names (`logging_level` →
/// `logging.level`, case-insensitive), Harper's legacy aliases, and value conversion of
/// `set_configuration` and environment variables (logs-config-system.md §5.4).
enum ConfigurationKeys {
    /// Parameters that are valid but absent from the default file.
    static let extraPaths: [String] = [
        "operationsApi.network.host", "operationsApi.sysInfo.disk", "operationsApi.sysInfo.network",
        "operationsApi.tls.certificate", "operationsApi.tls.privateKey", "operationsApi.tls.certificateAuthority",
        "http.headersTimeout", "http.mtls", "replication.port", "replication.securePort", "replication.enableRootCAs",
        "replication.blobTimeout", "replication.failOver", "replication.shard", "logging.external",
        "storage.audit.path", "storage.compactOnStart", "storage.compactOnStartKeepBackup",
        IssuerKeys.configurationPath, "clustering.externalNats.url",
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

/// Validation of a whole configuration tree before it is written or used.
enum ConfigurationSchema {
    static let levels = ["notify", "fatal", "error", "warn", "info", "debug", "trace"]

    /// Every violation, as the text after `HarperDB config file validation error: `.
    static func problems(in tree: JSONObject) -> [String] {
        var problems: [String] = []
        let defaults = ConfigurationFile.defaults(root: "/")
        func walk(_ object: JSONObject, _ prefix: [String]) {
            for entry in object {
                let path = prefix + [entry.key]
                if case .object(let inner) = entry.value, path != ["databases"],
                   path.joined(separator: ".") != IssuerKeys.configurationPath {
                    walk(inner, path)
                } else if let problem = problem(path: path, value: entry.value, defaults: defaults) {
                    problems.append(problem)
                }
            }
        }
        walk(tree, [])
        return problems
    }

    static func error(_ problems: [String]) -> LyreError {
        LyreError.validation("HarperDB config file validation error: " + problems.joined(separator: ". "))
    }

    private static let booleanExtras: Set<String> = [
        "operationsApi.sysInfo.disk", "operationsApi.sysInfo.network", "replication.enableRootCAs",
        "replication.failOver", "http.mtls",
    ]
    private static let pathKeys: Set<String> = [
        "rootPath", "componentsRoot", "logging.root", "logging.rotation.path", "storage.path",
        "operationsApi.network.domainSocket", "clustering.leafServer.streams.path",
    ]

    private static func problem(path: [String], value: Value, defaults: JSONObject) -> String? {
        let dotted = path.joined(separator: ".")
        let last = path.last ?? ""
        let original = ConfigurationFile.lookup(defaults, path: path)
        if dotted == "logging.level" || dotted == "clustering.logLevel" {
            guard let s = value.stringValue, levels.contains(s) else {
                return "'\(dotted)' must be one of [\(levels.joined(separator: ", "))]"
            }
            return nil
        }
        if dotted == "logging.rotation.maxSize" { return sizeProblem(value) }
        if dotted == IssuerKeys.configurationPath {
            do {
                _ = try IssuerKeys.parse(value)
                return nil
            } catch {
                return "'\(dotted)' \((error as? IssuerKeyProblem)?.reason ?? "is invalid")"
            }
        }
        if dotted == "logging.rotation.interval" { return intervalProblem(value) }
        if dotted == "threads.count" {
            guard !value.isNull else { return nil }
            guard let n = value.doubleValue else { return "'\(dotted)' must be a number" }
            return (0...1000).contains(n) ? nil : "'\(dotted)' must be less than or equal to 1000"
        }
        if last == "port" || last == "securePort" {
            switch value {
            case .null, .string: return nil
            case .int(let i) where i >= 0: return nil
            case .double(let d) where d >= 0: return nil
            case .int, .double: return "'\(dotted)' must be greater than or equal to 0"
            default: return "'\(dotted)' must be a number"
            }
        }
        if pathKeys.contains(dotted) {
            guard !value.isNull else { return nil }
            guard let s = value.stringValue, !s.isEmpty else { return "'\(dotted)' must be a string" }
            return s.contains("\0") ? "'\(dotted)' must be a valid directory path" : nil
        }
        if case .bool? = original, !value.isNull {
            return value.boolValue == nil ? "'\(dotted)' must be a boolean" : nil
        }
        if booleanExtras.contains(dotted), !value.isNull, value.boolValue == nil { return "'\(dotted)' must be a boolean" }
        if case .int? = original, !value.isNull, !value.isNumber { return "'\(dotted)' must be a number" }
        return nil
    }

    private static func sizeProblem(_ value: Value) -> String? {
        guard !value.isNull else { return nil }
        guard let s = value.stringValue, let unit = s.last, s.count >= 2, Double(s.dropLast()) != nil else {
            return "Invalid logging.rotation.maxSize value. Value should be a number followed by unit e.g. '10M'"
        }
        return "GMK".contains(unit.uppercased()) ? nil : "Invalid logging.rotation.maxSize unit. Available units are G, M or K"
    }

    private static func intervalProblem(_ value: Value) -> String? {
        guard !value.isNull else { return nil }
        guard let s = value.stringValue, let unit = s.last, s.count >= 2, Double(s.dropLast()) != nil else {
            return "Invalid logging.rotation.interval value. Value should be a number followed by unit e.g. '10D'"
        }
        return "DHM".contains(unit.uppercased()) ? nil : "Invalid logging.rotation.interval unit. Available units are D, H or M (minutes)"
    }

    /// `"10M"` → bytes (K/M/G, powers of 1024; lower case accepted).
    static func bytes(_ size: String) -> Int? {
        guard let unit = size.last, let n = Double(size.dropLast()) else { return nil }
        let factor: Double = switch Character(unit.uppercased()) {
        case "K": 1024
        case "M": 1024 * 1024
        case "G": 1024 * 1024 * 1024
        default: 0
        }
        return factor > 0 ? Int(n * factor) : nil
    }

    /// `"1D"`, `"12H"`, `"30M"` (minutes) → seconds (lower case accepted); nil when not positive.
    static func seconds(_ interval: String) -> Double? {
        guard let unit = interval.last, let n = Double(interval.dropLast()), n > 0 else { return nil }
        let factor: Double = switch Character(unit.uppercased()) {
        case "D": 86_400
        case "H": 3_600
        case "M": 60
        default: 0
        }
        return factor > 0 ? n * factor : nil
    }
}
