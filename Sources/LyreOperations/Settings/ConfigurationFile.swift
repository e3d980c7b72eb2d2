import Foundation
public import LyreCore
import Yams

/// `<root>/harperdb-config.yaml`: Harper's configuration key tree (logs-config-system.md §5),
/// its defaults, reading and writing, environment overrides, and the mapping of the keys
/// Lyre acts on onto `Configuration`.
///
/// The executable builds its `Configuration` from it at start:
///
/// ```swift
/// var configuration = Configuration(root: root, bootstrapAdmin: admin)
/// configuration.environment = ProcessInfo.processInfo.environment
/// try ConfigurationFile.writeDefaultsIfMissing(root: root)
/// try ConfigurationFile.apply(to: &configuration)   // file, then environment overrides
/// ```
public enum ConfigurationFile {
    /// The file's name in the root (Harper's).
    public static let fileName = "harperdb-config.yaml"

    public static func path(root: String) -> String { root + "/" + fileName }

    /// Harper's installed defaults with `<ROOTPATH>` replaced by `root` (key order as Harper writes them).
    public static func defaults(root: String) -> JSONObject {
        func o(_ pairs: KeyValuePairs<String, Value>) -> Value { .object(JSONObject(pairs.map { ($0.key, $0.value) })) }
        let tlsFiles = o([
            "certificate": .string(root + "/keys/certificate.pem"),
            "certificateAuthority": .string(root + "/keys/ca.pem"),
            "privateKey": .string(root + "/keys/privateKey.pem"),
        ])
        let tree = o([
            "http": o([
                "compressionThreshold": 1200, "cors": true, "corsAccessList": [nil], "keepAliveTimeout": 30000,
                "port": 9926, "securePort": nil, "timeout": 120000,
            ]),
            // Harper writes cores − 1 (its main thread, which serves no requests, keeps a core);
            // Lyre has no such thread, and serves on one event loop per core as it always did.
            "threads": o(["count": .int(Int64(max(1, ProcessInfo.processInfo.activeProcessorCount))), "debug": false]),
            "authentication": o([
                "authorizeLocal": false, "cacheTTL": 30000, "enableSessions": true,
                "operationTokenTimeout": "1d", "refreshTokenTimeout": "30d", "hashFunction": "sha256",
            ]),
            "analytics": o(["aggregatePeriod": 60]),
            "componentsRoot": .string(root + "/components"),
            "localStudio": o(["enabled": true]),
            "logging": o([
                "auditAuthEvents": o(["logFailed": false, "logSuccessful": false]),
                "auditLog": true,
                "auditRetention": "3d",
                "console": false,
                "file": true,
                "level": "warn",
                "root": .string(root + "/log"),
                "rotation": o(["enabled": true, "compress": false, "interval": nil, "maxSize": nil, "path": .string(root + "/log")]),
                "stdStreams": false,
            ]),
            "mqtt": o(["network": o(["port": 1883, "securePort": 8883]), "webSocket": true, "requireAuthentication": true]),
            "operationsApi": o([
                "network": o([
                    "cors": true, "corsAccessList": ["*"], "domainSocket": .string(root + "/operations-server"),
                    "headersTimeout": 60000, "keepAliveTimeout": 5000, "port": 9925, "securePort": nil, "timeout": 120000,
                ]),
            ]),
            "rootPath": .string(root),
            "storage": o([
                "writeAsync": false, "caching": true, "compression": true, "noReadAhead": false,
                "path": .string(root + "/database"), "prefetchWrites": true,
                "maxTransactionQueueTime": "45s", "compactOnStart": false, "compactOnStartKeepBackup": false,
            ]),
            "tls": tlsFiles,
            "replication": o(["hostname": nil, "databases": "*", "routes": nil, "url": nil]),
            "clustering": o([
                "enabled": false,
                "hubServer": o([
                    "cluster": o(["name": "harperdb", "network": o(["port": 9932, "routes": nil])]),
                    "leafNodes": o(["network": o(["port": 9931])]),
                    "network": o(["port": 9930]),
                ]),
                "leafServer": o([
                    "network": o(["port": 9940, "routes": nil]),
                    "streams": o(["maxAge": nil, "maxBytes": nil, "maxMsgs": nil, "path": .string(root + "/clustering/leaf")]),
                ]),
                "logLevel": "error",
                "nodeName": nil,
                "republishMessages": false,
                "tls": o([
                    "certificate": .string(root + "/keys/certificate.pem"),
                    "certificateAuthority": .string(root + "/keys/ca.pem"),
                    "privateKey": .string(root + "/keys/privateKey.pem"),
                    "insecure": true, "verify": true,
                ]),
                "user": nil,
            ]),
        ])
        return tree.objectValue!
    }

    // MARK: Reading and writing

    /// The stored tree, or the defaults when the file does not exist.
    /// - Throws: `LyreError` (500) when the file exists but is not a YAML mapping.
    public static func read(root: String) throws -> JSONObject {
        let path = path(root: root)
        guard let data = FileManager.default.contents(atPath: path) else { return defaults(root: root) }
        return try parse(yaml: String(decoding: data, as: UTF8.self))
    }

    /// The tree of a configuration file's text (`read` without the file; the `config` fuzz target).
    /// - Throws: `LyreError` (500) when the text is not a YAML mapping.
    package static func parse(yaml text: String) throws -> JSONObject {
        do {
            guard let node = try Yams.compose(yaml: text) else { return JSONObject() }
            guard case .object(let tree) = try value(of: node) else {
                throw LyreError(.internalError, status: 500, "HarperDB config file validation error: the file is not a YAML mapping")
            }
            return tree
        } catch let error as LyreError {
            throw error
        } catch {
            throw LyreError(.internalError, status: 500, "Error reading HarperDB config file: \(error)")
        }
    }

    /// Writes `tree` atomically; the previous file, if any, is copied to
    /// `<root>/backup/harperdb-config-<timestamp>.yaml.bak` first.
    public static func write(_ tree: JSONObject, root: String, keepBackup: Bool = true) throws {
        let fm = FileManager.default
        let path = path(root: root)
        try fm.createDirectory(atPath: root, withIntermediateDirectories: true)
        if keepBackup, fm.fileExists(atPath: path) {
            let backups = root + "/backup"
            try fm.createDirectory(atPath: backups, withIntermediateDirectories: true)
            let stamp = LogTime.format(Date().timeIntervalSince1970 * 1000)
                .replacingOccurrences(of: ":", with: "-").replacingOccurrences(of: ".", with: "-")
            try? fm.removeItem(atPath: backups + "/harperdb-config-\(stamp).yaml.bak")
            try fm.copyItem(atPath: path, toPath: backups + "/harperdb-config-\(stamp).yaml.bak")
        }
        guard nesting(of: .object(tree)) < maximumDepth else {
            // A value that the file could not be read back with: refused before anything is written.
            throw LyreError(.badRequest, status: 400,
                            "HarperDB config file validation error: a value is nested too deeply (limit \(maximumDepth))")
        }
        let text = try yaml(tree)
        let temporary = path + ".tmp-\(UUID().uuidString)"
        guard fm.createFile(atPath: temporary, contents: Data(text.utf8)) else {
            throw LyreError(.internalError, status: 500, "Could not write the HarperDB config file")
        }
        guard rename(temporary, path) == 0 else {
            try? fm.removeItem(atPath: temporary)
            throw LyreError(.internalError, status: 500, "Could not replace the HarperDB config file")
        }
    }

    /// The file's text for `tree`, as `write` writes it.
    package static func yaml(_ tree: JSONObject) throws -> String {
        try Yams.serialize(node: node(of: .object(tree)), width: -1, allowUnicode: true)
    }

    /// Writes the defaults unless the file exists (first start).
    public static func writeDefaultsIfMissing(root: String) throws {
        guard !FileManager.default.fileExists(atPath: path(root: root)) else { return }
        try write(defaults(root: root), root: root, keepBackup: false)
    }

    // MARK: Applying

    /// Reads the file under `configuration.root`, applies `configuration.environment`
    /// overrides (`LOGGING_LEVEL=debug`, `OPERATIONSAPI_NETWORK_PORT=9925`, legacy names),
    /// and sets the fields Lyre acts on. Fields not set by the file keep their values.
    ///
    /// As Harper does at start-up, overrides that change a value are written into the file
    /// (the previous file kept under `<root>/backup/`), so `get_configuration`, which shows the
    /// file, shows the configuration in force. A later `set_configuration` of such a key is
    /// written and shown too, until the next start or `restart` applies the environment again.
    /// - Throws: `LyreError` when the file is unreadable or a value fails validation (nothing is written).
    public static func apply(to configuration: inout Configuration) throws {
        let exists = FileManager.default.fileExists(atPath: path(root: configuration.root))
        var tree = exists ? try read(root: configuration.root) : JSONObject()
        let overrides = environmentOverrides(configuration.environment)
        for (path, value) in overrides { set(&tree, path: path, value) }
        let problems = ConfigurationSchema.problems(in: tree)
        if !problems.isEmpty { throw ConfigurationSchema.error(problems) }
        try persist(overrides, root: configuration.root)
        map(tree, onto: &configuration)
    }

    /// The known configuration keys among `environment` (flattened names, case-insensitive,
    /// legacy aliases), converted as `set_configuration` converts strings, in name order.
    static func environmentOverrides(_ environment: [String: String]) -> [(path: [String], value: Value)] {
        environment.sorted { $0.key < $1.key }.compactMap { name, text in
            ConfigurationKeys.path(forFlattened: name).map { ($0, ConfigurationKeys.convert(.string(text))) }
        }
    }

    /// Writes `overrides` into the stored file (the defaults when there is none) when one of
    /// them changes a value; leaves the file alone otherwise.
    static func persist(_ overrides: [(path: [String], value: Value)], root: String) throws {
        guard !overrides.isEmpty else { return }
        let exists = FileManager.default.fileExists(atPath: path(root: root))
        var stored = try read(root: root)
        var changed = !exists
        for (path, value) in overrides where lookup(stored, path: path) != value {
            set(&stored, path: path, value)
            changed = true
        }
        if changed { try write(stored, root: root, keepBackup: exists) }
    }

    /// A number from the file as an integer, clamped to Int64 (`Int64(_:)` traps on `inf`,
    /// which a file may hold: `timeout: .inf` stopped every later start); `nil` for NaN.
    static func clampedInteger(_ d: Double) -> Int64? {
        if d.isNaN { return nil }
        if d >= 9.2e18 { return .max }
        if d <= -9.2e18 { return .min }
        return Int64(d)
    }

    /// Sets the `Configuration` fields that have a key in `tree`.
    package static func map(_ tree: JSONObject, onto c: inout Configuration) {
        let v = { (path: String) -> Value? in lookup(tree, path: path.split(separator: ".").map(String.init)) }
        if let port = v("operationsApi.network.port") {
            if let number = port.intValue ?? port.stringValue.flatMap({ Int64($0) }) {
                c.port = Int(number)
                c.servesPlainHTTP = true
            } else if port.isNull {
                c.servesPlainHTTP = false
            }
        }
        if let securePort = v("operationsApi.network.securePort") {
            c.securePort = (securePort.intValue ?? securePort.stringValue.flatMap({ Int64($0) })).map { Int($0) }
        }
        let tlsFile = { (key: String) -> String? in
            let path = v("operationsApi.tls." + key)?.stringValue ?? v("tls." + key)?.stringValue
            return path.flatMap { $0.isEmpty ? nil : $0 }
        }
        if let certificate = tlsFile("certificate") { c.certificatePath = certificate }
        if let privateKey = tlsFile("privateKey") { c.privateKeyPath = privateKey }
        if let host = v("operationsApi.network.host")?.stringValue { c.host = host }
        if let socket = v("operationsApi.network.domainSocket") {
            c.domainSocketPath = socket.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        }
        let number = { (key: String) -> Int? in
            v("operationsApi.network." + key).flatMap { $0.intValue ?? $0.doubleValue.flatMap(Self.clampedInteger) }.map { Int(clamping: $0) }
        }
        if let t = number("headersTimeout") { c.headersTimeoutMilliseconds = t }
        if let t = number("keepAliveTimeout") { c.keepAliveTimeoutMilliseconds = t }
        if let t = number("timeout") { c.requestTimeoutMilliseconds = t }
        if let cap = v("operationsApi.network.maxConnections") {
            c.maximumConnections = cap.isNull ? nil : number("maxConnections")
        }
        if let memory = v("operationsApi.network.requestMemory") {
            c.requestMemory = memory.isNull ? nil : number("requestMemory")
        }
        if let threads = v("threads.count") {
            c.threadCount = (threads.intValue ?? threads.doubleValue.flatMap(Self.clampedInteger)).map { max(1, Int(clamping: $0)) }
        }
        if let queueTime = v("storage.maxTransactionQueueTime") {
            c.maximumTransactionQueueTime = queueTime.isNull ? .seconds(45) : ConfigurationSchema.duration(queueTime)
        }
        if let writeAsync = v("storage.writeAsync") { c.writeAsync = writeAsync.boolValue ?? false }
        if let compact = v("storage.compactOnStart") { c.compactOnStart = compact.boolValue ?? false }
        if let keep = v("storage.compactOnStartKeepBackup") { c.compactOnStartKeepBackup = keep.boolValue ?? false }
        if let rows = v("storage.compactAfterLoadRows") {
            c.compactAfterLoadRows = rows.isNull ? 100_000
                : (rows.intValue ?? rows.doubleValue.flatMap(Self.clampedInteger)).map { max(0, Int(clamping: $0)) } ?? 100_000
        }
        if let level = v("logging.level")?.stringValue { c.logLevel = level }
        if let failed = v("logging.auditAuthEvents.logFailed") { c.logFailedAuthentication = failed.boolValue ?? false }
        if let successful = v("logging.auditAuthEvents.logSuccessful") { c.logSuccessfulAuthentication = successful.boolValue ?? false }
        if let audit = v("logging.auditLog")?.boolValue { c.auditLog = audit }
        if let retention = v("logging.auditRetention") {
            c.auditRetentionMilliseconds = ConfigurationSchema.retentionMilliseconds(retention) ?? 3 * 86_400_000
        }
        if let t = v("authentication.operationTokenTimeout"), let s = t.stringValue ?? t.intValue.map(String.init) { c.operationTokenTimeout = s }
        if let t = v("authentication.refreshTokenTimeout"), let s = t.stringValue ?? t.intValue.map(String.init) { c.refreshTokenTimeout = s }
        if let local = v("authentication.authorizeLocal")?.boolValue { c.authorizeLocal = local }
        if let root = v("logging.root")?.stringValue { c.logRoot = root }
        if let file = v("logging.file")?.boolValue { c.logToFile = file }
        if let std = v("logging.stdStreams")?.boolValue { c.logToStdStreams = std }
        let rotation = v("logging.rotation.enabled")?.boolValue ?? true
        c.logRotationMaxBytes = rotation ? v("logging.rotation.maxSize")?.stringValue.flatMap(ConfigurationSchema.bytes) : nil
        c.logRotationInterval = rotation ? v("logging.rotation.interval")?.stringValue.flatMap(ConfigurationSchema.seconds) : nil
        c.logRotationCompress = rotation && v("logging.rotation.compress")?.boolValue == true
        if let path = v("logging.rotation.path")?.stringValue { c.logRotationPath = path }
        if let keys = v(IssuerKeys.configurationPath) { c.usageLicensePublicKeys = (try? IssuerKeys.parse(keys)) ?? [] }
        if let disk = v("operationsApi.sysInfo.disk")?.boolValue { c.sysInfoDisk = disk }
        if let network = v("operationsApi.sysInfo.network")?.boolValue { c.sysInfoNetwork = network }
        if let studio = v("localStudio.enabled")?.boolValue { c.studioEnabled = studio }
        if let enabled = v("metrics.enabled")?.boolValue { c.metricsEnabled = enabled }
        if let local = v("metrics.authorizeLocal")?.boolValue { c.metricsAuthorizeLocal = local }
        if let period = v("analytics.aggregatePeriod")?.doubleValue, period >= 1 { c.analyticsAggregatePeriod = period }
        if let retention = v("analytics.retention").flatMap(ConfigurationSchema.duration), retention > .zero {
            c.analyticsRetention = retention
        }
        c.clustering = ClusteringSettings(tree: tree)
    }

    // MARK: Tree helpers

    static func lookup(_ tree: JSONObject, path: [String]) -> Value? {
        guard let first = path.first, let value = tree[first] else { return nil }
        if path.count == 1 { return value }
        guard case .object(let inner) = value else { return nil }
        return lookup(inner, path: Array(path.dropFirst()))
    }

    static func set(_ tree: inout JSONObject, path: [String], _ value: Value) {
        guard let first = path.first else { return }
        if path.count == 1 {
            tree[first] = value
            return
        }
        var inner = tree[first]?.objectValue ?? JSONObject()
        set(&inner, path: Array(path.dropFirst()), value)
        tree[first] = .object(inner)
    }

    // MARK: YAML <-> Value

    /// How deeply the configuration file's mappings and sequences may nest. Harper's own
    /// tree is five levels deep; past this limit the file is refused on one line instead
    /// of being walked recursively (libyaml's own parser stops at 1,000).
    package static let maximumDepth = 64

    static func value(of node: Node, depth: Int = 0) throws(LyreError) -> Value {
        guard depth < maximumDepth else {
            throw LyreError(.internalError, status: 500,
                            "HarperDB config file validation error: nested too deeply (limit \(maximumDepth))")
        }
        switch node {
        case .scalar(let scalar):
            if scalar.style == .singleQuoted || scalar.style == .doubleQuoted { return .string(scalar.string) }
            if node.null != nil { return .null }
            // YAML 1.1's base-60 numbers (`1:30`) are text, as in Harper's js-yaml (YAML 1.2);
            // Yams multiplies their parts unchecked and trapped on `1_:8876:0888…` (config fuzzer).
            if scalar.string.contains(":") { return .string(scalar.string) }
            if let b = node.bool { return .bool(b) }
            if let i = node.int { return .int(Int64(i)) }
            if let d = node.float { return .double(d) }
            return .string(scalar.string)
        case .mapping(let mapping):
            var object = JSONObject()
            for (key, inner) in mapping { object[key.string ?? ""] = try value(of: inner, depth: depth + 1) }
            return .object(object)
        case .sequence(let sequence):
            var items: [Value] = []
            for inner in sequence { items.append(try value(of: inner, depth: depth + 1)) }
            return .array(items)
        case .alias:
            return .null
        }
    }

    /// How many containers deep `value` goes (a scalar is 0), without recursion.
    package static func nesting(of value: Value) -> Int {
        var deepest = 0
        var pending: [(Value, Int)] = [(value, 0)]
        while let (value, depth) = pending.popLast() {
            switch value {
            case .array(let items):
                deepest = max(deepest, depth + 1)
                pending.append(contentsOf: items.map { ($0, depth + 1) })
            case .object(let object):
                deepest = max(deepest, depth + 1)
                pending.append(contentsOf: object.map { ($0.value, depth + 1) })
            default:
                break
            }
        }
        return deepest
    }

    static func node(of value: Value) -> Node {
        switch value {
        case .null: return Node("null", Tag(.null), .plain)
        case .bool(let b): return Node(b ? "true" : "false", Tag(.bool), .plain)
        case .int(let i): return Node(String(i), Tag(.int), .plain)
        case .double(let d): return Node(d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : String(d), Tag(.float), .plain)
        case .string(let s): return Node(s, Tag(.str), .doubleQuoted)
        case .array(let items): return Node(items.map(node(of:)))
        case .object(let object): return Node(object.map { (Node($0.key), node(of: $0.value)) })
        }
    }
}
