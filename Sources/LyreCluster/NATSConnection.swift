internal import CNATS
import Foundation

/// A connection to a NATS server (nats.c), reconnecting by itself forever when the server
/// goes away. Thread-safe: nats.c's connection may be used from any thread.
///
/// ```swift
/// let connection = try NATSConnection(url: "nats://127.0.0.1:9940", user: "cluster", password: "pw", name: "node-1")
/// let stream = try connection.jetStream()
/// try stream.addOrUpdateStream(StreamConfiguration(name: "dev_dog", subjects: ["node-1.txn.dev.dog"]))
/// _ = try stream.publish(subject: "node-1.txn.dev.dog", data: bytes, messageID: "node-1-42", headers: ["origin": "node-1"])
/// ```
package final class NATSConnection: @unchecked Sendable {
    // @unchecked: `connection` is nats.c's thread-safe handle, set once in init and
    // destroyed once in deinit.
    let connection: OpaquePointer

    /// Connects (waiting up to `timeout` for the first connection).
    /// - Parameters:
    ///   - url: `nats://host:port`.
    ///   - user, password: the account user, or nil for a server without authorization.
    ///   - name: the client name the server shows in its monitoring.
    /// - Throws: `NATSError` when no server answers in time or the credentials are refused.
    package init(url: String, user: String? = nil, password: String? = nil, name: String, timeout: Duration = .seconds(5)) throws {
        var options: OpaquePointer?
        try check(natsOptions_Create(&options), "options")
        defer { natsOptions_Destroy(options) }
        try check(natsOptions_SetURL(options, url), "options")
        if let user { try check(natsOptions_SetUserInfo(options, user, password ?? ""), "options") }
        try check(natsOptions_SetName(options, name), "options")
        try check(natsOptions_SetTimeout(options, timeout.milliseconds), "options")
        try check(natsOptions_SetMaxReconnect(options, -1), "options")
        try check(natsOptions_SetReconnectWait(options, 250), "options")
        // Publishes made while reconnecting wait in a buffer (8 MiB) instead of failing.
        try check(natsOptions_SetReconnectBufSize(options, 8 * 1024 * 1024), "options")
        try check(natsOptions_SetRetryOnFailedConnect(options, false, nil, nil), "options")
        var connection: OpaquePointer?
        try check(natsConnection_Connect(&connection, options), "connect to \(url)")
        self.connection = connection!
    }

    deinit {
        natsConnection_Destroy(connection)
    }

    /// Whether the connection is up now (not reconnecting, not closed).
    package var isConnected: Bool { natsConnection_Status(connection) == NATS_CONN_STATUS_CONNECTED }

    /// Closes the connection; later calls fail. Idempotent.
    package func close() {
        natsConnection_Close(connection)
    }

    /// A round trip to the server, for latency.
    /// - Throws: `NATSError` on timeout or when disconnected.
    package func ping(timeout: Duration = .seconds(2)) throws -> Duration {
        let start = ContinuousClock.now
        try check(natsConnection_FlushTimeout(connection, timeout.milliseconds), "flush")
        return ContinuousClock.now - start
    }

    /// A JetStream context. `domain` addresses the JetStream of another server in the
    /// system (a node's leaf server); nil is the connected server's own.
    package func jetStream(domain: String? = nil, timeout: Duration = .seconds(5)) throws -> JetStream {
        try JetStream(connection: self, domain: domain, timeout: timeout)
    }
}

extension Duration {
    /// Whole milliseconds (for nats.c's `int64_t` timeouts).
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
