import Foundation
import LyreCore

/// Validation of a whole configuration tree before it is written or used: every known
/// parameter's type (logs-config-system.md §5.3–5.4, Harper's config validator), each
/// problem worded as Harper's validator words it.
enum ConfigurationSchema {
    static let levels = ["notify", "fatal", "error", "warn", "info", "debug", "trace"]

    /// What a parameter's value must be. Every kind but `oneOf` also accepts null (the
    /// parameter's default); enumerations refuse it, as Harper's `valid(...)` does.
    enum Kind {
        case boolean
        /// A number within the bounds.
        case number(min: Double? = nil, max: Double? = nil)
        /// A port: a number ≥ 0, or a string.
        case port
        case string
        /// One of the listed strings.
        case oneOf([String])
        case array
        /// A string or a number (token lifetimes: `"1d"` or seconds).
        case stringOrNumber
        /// A string or an array (`replication.databases`: `"*"` or names).
        case stringOrArray
        /// A non-empty string naming a file or folder.
        case path
        case rotationSize, rotationInterval, issuerKeys
        /// A duration: milliseconds as a number, or a number with a unit (`45s`, `500ms`, `2m`, `1h`, `1d`).
        case duration
        /// `logging.auditRetention`: seconds as a number, or a number with a unit (`3d`, `12h`, `30m`, `1M`).
        case retention
    }

    /// Kinds that the defaults do not tell (a null default, an enum, bounds, paths);
    /// every other known parameter takes the type of its default.
    static let declaredKinds: [String: Kind] = {
        var kinds: [String: Kind] = [
            "logging.level": .oneOf(levels), "clustering.logLevel": .oneOf(levels),
            "authentication.hashFunction": .oneOf(["sha256", "argon2id"]),
            "logging.rotation.maxSize": .rotationSize, "logging.rotation.interval": .rotationInterval,
            IssuerKeys.configurationPath: .issuerKeys,
            "threads.count": .number(min: 0, max: 1000),
            "operationsApi.network.timeout": .number(min: 1), "operationsApi.network.keepAliveTimeout": .number(min: 1),
            "operationsApi.network.headersTimeout": .number(min: 1), "http.headersTimeout": .number(min: 1),
            "operationsApi.network.maxConnections": .number(min: 1),
            "operationsApi.network.requestMemory": .number(min: 1_048_576),
            "http.keepAliveTimeout": .number(min: 1), "http.timeout": .number(min: 1),
            "clustering.leafServer.streams.maxAge": .number(min: 120),
            "clustering.leafServer.streams.maxBytes": .number(min: 1), "clustering.leafServer.streams.maxMsgs": .number(min: 1),
            "replication.blobTimeout": .number(min: 0), "replication.shard": .number(),
            "authentication.operationTokenTimeout": .stringOrNumber, "authentication.refreshTokenTimeout": .stringOrNumber,
            "replication.databases": .stringOrArray, "storage.maxTransactionQueueTime": .duration,
            "clustering.tombstoneRetention": .duration,
            "clustering.maxPayload": .number(min: 1_048_576, max: 67_108_864),
            "logging.auditRetention": .retention,
            "http.corsAccessList": .array, "operationsApi.network.corsAccessList": .array, "replication.routes": .array,
            "clustering.hubServer.cluster.network.routes": .array, "clustering.leafServer.network.routes": .array,
            "replication.hostname": .string, "replication.url": .string, "clustering.nodeName": .string,
            "clustering.user": .string, "clustering.externalNats.url": .string, "operationsApi.network.host": .string,
            "operationsApi.sysInfo.disk": .boolean, "operationsApi.sysInfo.network": .boolean,
            "replication.enableRootCAs": .boolean, "replication.failOver": .boolean, "http.mtls": .boolean,
            "metrics.enabled": .boolean, "metrics.authorizeLocal": .boolean, "analytics.retention": .duration,
            "analytics.aggregatePeriod": .number(min: 1), "storage.compactAfterLoadRows": .number(min: 0),
        ]
        for key in ConfigurationKeys.fileKeys where kinds[key] == nil { kinds[key] = .path }
        return kinds
    }()

    /// The kind of every known parameter (dotted path), nil for parameters of no fixed type.
    static let kinds: [String: Kind] = {
        var kinds: [String: Kind] = [:]
        let defaults = ConfigurationFile.defaults(root: "/")
        for path in Set(ConfigurationKeys.known.values) {
            let dotted = path.joined(separator: ".")
            if let declared = declaredKinds[dotted] {
                kinds[dotted] = declared
            } else if path.last == "port" || path.last == "securePort" {
                kinds[dotted] = .port
            } else {
                switch ConfigurationFile.lookup(defaults, path: path) {
                case .bool?: kinds[dotted] = .boolean
                case .int?, .double?: kinds[dotted] = .number()
                case .string?: kinds[dotted] = .string
                case .array?: kinds[dotted] = .array
                default: break
                }
            }
        }
        return kinds
    }()

    /// Every violation, as the text after `HarperDB config file validation error: `. A known
    /// parameter is checked as a whole whatever its value (an object given for `logging.level`
    /// is refused, not walked as a section); other objects are sections and are walked.
    static func problems(in tree: JSONObject) -> [String] {
        var problems: [String] = []
        func walk(_ object: JSONObject, _ prefix: [String]) {
            for entry in object {
                let path = prefix + [entry.key]
                let dotted = path.joined(separator: ".")
                if let kind = kinds[dotted] {
                    if let problem = problem(dotted, kind: kind, value: entry.value) { problems.append(problem) }
                } else if case .object(let inner) = entry.value, path != ["databases"] {
                    walk(inner, path)
                }
            }
        }
        walk(tree, [])
        return problems
    }

    static func error(_ problems: [String]) -> LyreError {
        LyreError.validation("HarperDB config file validation error: " + problems.joined(separator: ". "))
    }

    private static func problem(_ dotted: String, kind: Kind, value: Value) -> String? {
        if case .oneOf(let values) = kind, value.stringValue.map(values.contains) != true {
            return "'\(dotted)' must be one of [\(values.joined(separator: ", "))]"
        }
        if value.isNull { return nil }
        switch kind {
        case .boolean:
            return value.boolValue == nil ? "'\(dotted)' must be a boolean" : nil
        case .number(let min, let max):
            guard let n = value.doubleValue, value.isNumber else { return "'\(dotted)' must be a number" }
            // 1e309 reads as an infinity (as in JavaScript): Joi's `number.infinity`.
            if n.isNaN { return "'\(dotted)' must be a number" }
            guard n.isFinite else { return "'\(dotted)' cannot be infinity" }
            if let min, n < min { return "'\(dotted)' must be greater than or equal to \(bound(min))" }
            if let max, n > max { return "'\(dotted)' must be less than or equal to \(bound(max))" }
            return nil
        case .port:
            switch value {
            case .string: return nil
            case .int(let i): return i >= 0 ? (i <= 65_535 ? nil : "'\(dotted)' must be less than or equal to 65535") : "'\(dotted)' must be greater than or equal to 0"
            case .double(let d) where !d.isFinite: return "'\(dotted)' cannot be infinity"
            case .double(let d): return d >= 0 ? (d <= 65_535 ? nil : "'\(dotted)' must be less than or equal to 65535") : "'\(dotted)' must be greater than or equal to 0"
            default: return "'\(dotted)' must be a number"
            }
        case .string:
            return value.stringValue == nil ? "'\(dotted)' must be a string" : nil
        case .oneOf:
            return nil
        case .array:
            return value.arrayValue == nil ? "'\(dotted)' must be an array" : nil
        case .stringOrNumber:
            return value.stringValue != nil || value.isNumber ? nil : "'\(dotted)' must be one of [string, number]"
        case .stringOrArray:
            return value.stringValue != nil || value.arrayValue != nil ? nil : "'\(dotted)' must be one of [string, array]"
        case .path:
            guard let s = value.stringValue, !s.isEmpty else { return "'\(dotted)' must be a string" }
            return FilePathParameters.containsNUL(value) ? "'\(dotted)' must not contain null bytes" : nil
        case .rotationSize:
            return sizeProblem(value)
        case .rotationInterval:
            return intervalProblem(value)
        case .duration:
            return duration(value) == nil
                ? "'\(dotted)' must be a number of milliseconds or a duration such as '45s', '500ms' or '2m'" : nil
        case .retention:
            return retentionMilliseconds(value) == nil
                ? "'\(dotted)' must be a positive number of seconds or a duration such as '3d', '12h', '30m' or '1M'" : nil
        case .issuerKeys:
            do {
                _ = try IssuerKeys.parse(value)
                return nil
            } catch {
                return "'\(dotted)' \((error as? IssuerKeyProblem)?.reason ?? "is invalid")"
            }
        }
    }

    /// `1000`, not `1000.0`.
    private static func bound(_ n: Double) -> String {
        n.rounded() == n ? String(Int64(n)) : String(n)
    }

    private static func sizeProblem(_ value: Value) -> String? {
        guard !value.isNull else { return nil }
        guard value.stringValue != nil else { return "'logging.rotation.maxSize' must be a string" }
        guard let s = value.stringValue, let unit = s.last, s.count >= 2, Double(s.dropLast()) != nil else {
            return "Invalid logging.rotation.maxSize value. Value should be a number followed by unit e.g. '10M'"
        }
        return "GMK".contains(unit.uppercased()) ? nil : "Invalid logging.rotation.maxSize unit. Available units are G, M or K"
    }

    private static func intervalProblem(_ value: Value) -> String? {
        guard !value.isNull else { return nil }
        guard value.stringValue != nil else { return "'logging.rotation.interval' must be a string" }
        guard let s = value.stringValue, let unit = s.last, s.count >= 2, Double(s.dropLast()) != nil else {
            return "Invalid logging.rotation.interval value. Value should be a number followed by unit e.g. '10D'"
        }
        return "DHM".contains(unit.uppercased()) ? nil : "Invalid logging.rotation.interval unit. Available units are D, H or M (minutes)"
    }

    /// A duration as Harper writes one: a number of milliseconds, or a number followed by
    /// `ms`, `s`, `m`, `h` or `d` (`"45s"`); nil when it is neither or negative.
    /// Also nil past 10^15 ms (about 31,000 years): `Duration` traps on a value it cannot
    /// hold (`1e300` ended the process that set it).
    static func duration(_ value: Value) -> Duration? {
        guard let ms = durationMilliseconds(value), ms.isFinite, ms <= 1e15 else { return nil }
        return .milliseconds(ms)
    }

    private static func durationMilliseconds(_ value: Value) -> Double? {
        if value.isNumber, let n = value.doubleValue {
            return n >= 0 ? n : nil
        }
        guard let text = value.stringValue?.trimmingCharacters(in: .whitespaces).lowercased() else { return nil }
        let digits = text.prefix { $0.isNumber || $0 == "." }
        guard let n = Double(digits), n >= 0 else { return nil }
        switch text.dropFirst(digits.count).trimmingCharacters(in: .whitespaces) {
        case "", "ms": return n
        case "s": return n * 1_000
        case "m": return n * 60_000
        case "h": return n * 3_600_000
        case "d": return n * 86_400_000
        default: return nil
        }
    }

    /// `logging.auditRetention` in ms, read as Harper's `convertToMS` reads it (inferred from
    /// its source): a number is seconds; a string is a number with an optional unit — `M`
    /// months of 30 days, `d`/`D` days, `h`/`H` hours, `m` minutes, `s` or none seconds.
    /// Nil when there is no positive number (the default `3d` then applies).
    static func retentionMilliseconds(_ value: Value) -> Double? {
        if value.isNumber, let n = value.doubleValue { return n > 0 && n.isFinite ? n * 1000 : nil }
        guard let text = value.stringValue?.trimmingCharacters(in: .whitespaces) else { return nil }
        let digits = text.prefix { $0.isNumber || $0 == "." }
        guard let n = Double(digits), n > 0, n.isFinite else { return nil }
        let factor: Double
        switch text.dropFirst(digits.count).trimmingCharacters(in: .whitespaces) {
        case "M": factor = 30 * 86_400
        case "d", "D": factor = 86_400
        case "h", "H": factor = 3_600
        case "m": factor = 60
        case "", "s", "S": factor = 1
        default: return nil
        }
        return n * factor * 1000
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
        // "1e400M" or "nanK" would trap in Int(_:).
        return factor > 0 && n.isFinite && (n * factor).magnitude < 9e18 ? Int(n * factor) : nil
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
