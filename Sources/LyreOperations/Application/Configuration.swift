/// Settings the application runs with. Parsed once by the executable (flags, environment,
/// and later the YAML file) and passed down; nothing below `lyre` reads the environment.
public struct Configuration: Sendable {
    /// The root folder: `<root>/database/*.mdb`, `<root>/log/`, keys, config.
    public var root: String
    public var host: String
    /// `operationsApi.network.port`: the plain-HTTP port (ignored when ``servesPlainHTTP`` is off).
    public var port: Int
    /// `false` when the file sets `operationsApi.network.port: null` (HTTPS only, as Harper allows).
    public var servesPlainHTTP: Bool = true
    /// `operationsApi.network.securePort`: the HTTPS port, `nil` (Harper's default) for none.
    public var securePort: Int?
    /// `operationsApi.tls.certificate`, else `tls.certificate`: PEM certificate chain for HTTPS.
    /// `nil` means Harper's default, ``defaultCertificatePath``.
    public var certificatePath: String?
    /// `operationsApi.tls.privateKey`, else `tls.privateKey`: PEM private key for HTTPS.
    /// `nil` means Harper's default, ``defaultPrivateKeyPath``.
    public var privateKeyPath: String?
    /// Credentials for the first super user, used only when the root holds no users yet.
    public var bootstrapAdmin: (username: String, password: String)?
    /// Harper's `authentication.authorizeLocal`: loopback requests run as the first super user.
    public var authorizeLocal: Bool
    /// fsync on every commit (LMDB's default). Tests may turn it off for speed; servers never do.
    public var durableWrites: Bool
    /// `storage.writeAsync`: commits are not synced each; a background flush makes them
    /// durable every 100 ms (`StorageEngine.flushInterval`). Restart applies a change.
    public var writeAsync: Bool = false
    /// `storage.maxTransactionQueueTime` (Harper's default `45s`): a write that waited longer
    /// for the writer is refused with `503`; `nil`: no limit.
    public var maximumTransactionQueueTime: Duration? = .seconds(45)
    /// `storage.compactOnStart`: compact every database file when the server starts.
    public var compactOnStart: Bool = false
    /// `storage.compactOnStartKeepBackup`: keep each original as `<root>/backup/<name>.mdb`.
    public var compactOnStartKeepBackup: Bool = false
    /// `storage.compactAfterLoadRows` (Lyre's own): a bulk load job that wrote at least this
    /// many records, half or more of its database's, is followed by a compaction of that
    /// database in the background (`LoadCompaction`); `0`: never.
    public var compactAfterLoadRows: Int = 100_000
    /// PBKDF2 rounds for new password hashes (tests use the minimum to stay quick).
    public var passwordHashRounds: Int

    /// `operationsApi.network.headersTimeout` in ms (Harper's default 60 s; `0`: none).
    public var headersTimeoutMilliseconds: Int = 60_000
    /// `operationsApi.network.keepAliveTimeout` in ms (Harper's default 5 s; `0`: none).
    public var keepAliveTimeoutMilliseconds: Int = 5_000
    /// `operationsApi.network.timeout` in ms (Harper's default 120 s; `0`: none).
    public var requestTimeoutMilliseconds: Int = 120_000
    /// `threads.count`: the event-loop threads that serve requests (`0` counts as one);
    /// `nil` (the key null or absent): one per core.
    public var threadCount: Int?
    /// `operationsApi.network.domainSocket`: the same API on this Unix domain socket
    /// (`nil`: none). Harper's default is `<root>/operations-server`.
    public var domainSocketPath: String?
    /// `operationsApi.network.maxConnections` (Lyre's own key): open connections past which
    /// new ones are closed at once; `nil` derives it from the open-file limit.
    public var maximumConnections: Int?
    /// `operationsApi.network.requestMemory` (Lyre's own key): bytes that request bodies
    /// being received and their parsed trees may take at once; `nil`: a quarter of
    /// physical memory (`MemoryBudget.defaultLimit()`).
    public var requestMemory: Int?

    /// `authentication.operationTokenTimeout` (Harper's default `1d`).
    public var operationTokenTimeout: String = "1d"
    /// `authentication.refreshTokenTimeout` (Harper's default `30d`).
    public var refreshTokenTimeout: String = "30d"
    /// `logging.level` (Harper's default `warn`).
    public var logLevel: String = "warn"
    /// `logging.auditLog`: record every write for `read_audit_log` (on in Harper's installed configuration).
    public var auditLog: Bool = true
    /// `logging.auditRetention` in ms (Harper's default `3d`): older audit entries are deleted
    /// continuously (`StorageEngine.setAuditRetention`).
    public var auditRetentionMilliseconds: Double = 3 * 86_400_000
    /// `logging.auditAuthEvents.logFailed`: log each failed authentication (tag `auth-event`).
    public var logFailedAuthentication: Bool = false
    /// `logging.auditAuthEvents.logSuccessful`: log each successful authentication (every
    /// authenticated request, as Harper does).
    public var logSuccessfulAuthentication: Bool = false
    /// `logging.root`: the folder of `hdb.log` (default `<root>/log`).
    public var logRoot: String?
    /// `logging.file`: write `hdb.log`.
    public var logToFile: Bool = true
    /// `logging.stdStreams`: also write log lines to stdout.
    public var logToStdStreams: Bool = false
    /// `logging.rotation.enabled` with `logging.rotation.maxSize` in bytes (nil: no size rotation).
    public var logRotationMaxBytes: Int?
    /// `logging.rotation.enabled` with `logging.rotation.interval` in seconds (nil: no rotation by time).
    public var logRotationInterval: Double?
    /// `logging.rotation.compress`: gzip rotated files (`HDB-….log.gz`).
    public var logRotationCompress: Bool = false
    /// `logging.rotation.path`: where rotated files go (default: the log folder).
    public var logRotationPath: String?
    /// `operationsApi.sysInfo.disk` / `.network`: gather those sections in `system_information`.
    public var sysInfoDisk: Bool = false
    public var sysInfoNetwork: Bool = false
    /// `localStudio.enabled`: serve the web console (LyreStudio) on `GET /`; off, `GET /`
    /// is a small page saying the server runs. On by default, as the issue asks of Harper's
    /// Studio (Harper's generated file says `false`; docs/compatibility.md).
    public var studioEnabled: Bool = true
    /// The process environment as the executable saw it, for `LOGGING_LEVEL=debug`-style
    /// overrides of the YAML file (applied at start and on every `restart`).
    public var environment: [String: String] = [:]

    /// Raw 32-byte Ed25519 public keys of usage-license issuers (`install_usage_license`),
    /// from `licensing.issuerKeys` (PEM file paths, PEM text or base64 keys).
    public var usageLicensePublicKeys: [[UInt8]] = []

    /// `metrics.enabled` (Lyre's own key, default on): `GET /metrics` and per-operation
    /// request analytics. Off, requests are not measured at all. Restart applies a change.
    public var metricsEnabled: Bool = true
    /// `metrics.authorizeLocal` (Lyre's own key, default off): `GET /metrics` from a
    /// loopback address needs no credentials (a Prometheus on the same host).
    public var metricsAuthorizeLocal: Bool = false
    /// `analytics.aggregatePeriod` in seconds (Harper's default 60): how often samples are
    /// aggregated into `system.hdb_analytics`. Restart applies a change.
    public var analyticsAggregatePeriod: Double = 60
    /// `analytics.retention` (Lyre's own key, default `3d`): analytics records older than
    /// this are deleted, in bounded batches after each aggregation. Restart applies a change.
    public var analyticsRetention: Duration = .seconds(3 * 86_400)

    /// `clustering.*`: the NATS engine and replication (`ClusterNode`).
    public var clustering = ClusteringSettings()

    /// The folder of `hdb.log`.
    public var logDirectory: String { logRoot ?? root + "/log" }

    /// Harper's default TLS files, where a self-signed pair is generated when both are missing.
    public var defaultCertificatePath: String { root + "/keys/certificate.pem" }
    public var defaultPrivateKeyPath: String { root + "/keys/privateKey.pem" }

    public init(
        root: String,
        host: String = "127.0.0.1",
        port: Int = 9925,
        bootstrapAdmin: (username: String, password: String)? = nil,
        authorizeLocal: Bool = false,
        durableWrites: Bool = true,
        passwordHashRounds: Int = 210_000
    ) {
        self.root = root
        self.host = host
        self.port = port
        self.bootstrapAdmin = bootstrapAdmin
        self.authorizeLocal = authorizeLocal
        self.durableWrites = durableWrites
        self.passwordHashRounds = passwordHashRounds
    }
}
