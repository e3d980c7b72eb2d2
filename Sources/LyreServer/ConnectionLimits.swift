#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import NIOCore

/// How long a connection may take over each part of its life, and how many may be open.
///
/// Harper's `operationsApi.network.*` settings, with Node's meaning (`0` or `nil`: no limit):
///
/// | setting | applies while | on expiry |
/// |---|---|---|
/// | `headersTimeout` | a request head is arriving (from its first byte) | `408`, connection closed |
/// | `keepAliveTimeout` | the connection is idle between requests | closed quietly |
/// | `timeout` | a request body is arriving, or its answer is being worked out | `408` (body) / `503` (answer), closed |
///
/// A `503` leaves the work itself to finish: a write commits whole or not at all, and its
/// late answer is dropped with the connection.
public struct ConnectionLimits: Sendable, Equatable {
    public var headersTimeout: TimeAmount?
    public var keepAliveTimeout: TimeAmount?
    public var requestTimeout: TimeAmount?
    /// Open connections past which new ones are closed at once (Lyre's
    /// `operationsApi.network.maxConnections`).
    public var maximumConnections: Int

    /// Harper's defaults: headers 60 s, keep-alive 5 s, request 120 s; the connection cap
    /// from the process's open-file limit.
    public init(
        headersTimeout: TimeAmount? = .seconds(60),
        keepAliveTimeout: TimeAmount? = .seconds(5),
        requestTimeout: TimeAmount? = .seconds(120),
        maximumConnections: Int = ConnectionLimits.defaultMaximumConnections()
    ) {
        self.headersTimeout = headersTimeout
        self.keepAliveTimeout = keepAliveTimeout
        self.requestTimeout = requestTimeout
        self.maximumConnections = maximumConnections
    }

    /// No timeouts and the default cap (in-process tests that hold connections open).
    public static var untimed: ConnectionLimits {
        ConnectionLimits(headersTimeout: nil, keepAliveTimeout: nil, requestTimeout: nil)
    }

    /// A timeout in milliseconds as Harper writes it; `0` or less means none.
    public static func milliseconds(_ value: Int?) -> TimeAmount? {
        guard let value, value > 0 else { return nil }
        return .milliseconds(Int64(value))
    }

    /// The soft open-file limit minus a reserve for the server's own files (databases,
    /// logs, backups, the listener): an eighth of the limit, at least 64 — e.g. 896 of
    /// 1,024, or 57,344 of 65,536. Past it, accepted sockets would starve the storage of
    /// file descriptors.
    public static func defaultMaximumConnections() -> Int {
        var limit = rlimit()
        #if os(Linux)
        let status = getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        #else
        let status = getrlimit(RLIMIT_NOFILE, &limit)
        #endif
        guard status == 0, limit.rlim_cur != rlim_t.max else {
            return 65_536
        }
        let files = Int(clamping: limit.rlim_cur)
        return max(1, files - max(64, files / 8))
    }
}
