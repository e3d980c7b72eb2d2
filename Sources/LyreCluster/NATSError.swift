internal import CNATS

/// A failure of the NATS client or of a JetStream request: nats.c's status text, and
/// JetStream's error code when the server gave one.
package struct NATSError: Error, Sendable, CustomStringConvertible {
    /// What was being done (`connect`, `publish`, `add stream`...).
    package let action: String
    /// nats.c's status text (`Timeout`, `No responders available for request`...).
    package let status: String
    /// JetStream's error code (10059 stream not found...), 0 when none.
    package let jetStreamCode: Int
    /// Whether the failure was a timeout (nothing arrived in time; retrying may help).
    package let isTimeout: Bool
    /// Whether the connection is closed or the server is not reachable.
    package let isConnectionFailure: Bool
    /// Whether nobody listens on a request's subject (a node not reachable through the hubs).
    package let isNoResponders: Bool

    package var description: String {
        jetStreamCode == 0 ? "NATS \(action): \(status)" : "NATS \(action): \(status) (JetStream error \(jetStreamCode))"
    }

    /// - Parameter text: the failure's own text; nil takes nats.c's last error of this thread.
    init(_ action: String, _ status: natsStatus, jetStreamCode: jsErrCode = jsErrCode(rawValue: 0), text detailText: String? = nil) {
        self.action = action
        var text = String(cString: natsStatus_GetText(status))
        if let detail = detailText ?? nats_GetLastError(nil).flatMap({ $0.pointee == 0 ? nil : String(cString: $0) }),
           !detail.isEmpty, detail != text {
            text += ": " + detail
        }
        self.status = text
        self.jetStreamCode = Int(jetStreamCode.rawValue)
        isTimeout = status == NATS_TIMEOUT
        isNoResponders = status == NATS_NO_RESPONDERS
        isConnectionFailure = status == NATS_CONNECTION_CLOSED || status == NATS_NO_SERVER
            || status == NATS_CONNECTION_DISCONNECTED || status == NATS_NO_RESPONDERS
    }

    /// JetStream's code for "stream not found".
    package static let streamNotFound = 10059
}

@inline(__always)
func check(_ status: natsStatus, _ action: String, _ code: jsErrCode = jsErrCode(rawValue: 0)) throws(NATSError) {
    if status != NATS_OK { throw NATSError(action, status, jetStreamCode: code) }
}
