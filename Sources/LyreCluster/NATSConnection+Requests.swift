internal import CNATS
import Foundation

extension NATSConnection {
    /// Sends a request and waits for one reply (core NATS request/reply).
    /// - Throws: `NATSError` (`isTimeout`; no responders when nobody listens).
    package func request(subject: String, data: [UInt8], timeout: Duration) throws -> [UInt8] {
        var reply: OpaquePointer?
        let status = data.withUnsafeBytes { bytes in
            natsConnection_Request(&reply, connection, subject, bytes.baseAddress, Int32(bytes.count), timeout.milliseconds)
        }
        defer { natsMsg_Destroy(reply) }
        try check(status, "request \(subject)")
        let length = Int(natsMsg_GetDataLength(reply))
        guard length > 0, let bytes = natsMsg_GetData(reply) else { return [] }
        return Array(UnsafeRawBufferPointer(start: bytes, count: length))
    }

    /// Answers requests on `subject` on a thread of its own until the service is stopped.
    /// `handler` gets each request's payload and returns the reply's.
    package func serve(subject: String, handler: @escaping @Sendable ([UInt8]) -> [UInt8]) throws -> RequestService {
        var subscription: OpaquePointer?
        try check(natsConnection_SubscribeSync(&subscription, connection, subject), "subscribe \(subject)")
        return RequestService(connection: self, subscription: subscription!, handler: handler)
    }
}

/// A responder started by `NATSConnection.serve`; `stop()` ends it.
package final class RequestService: @unchecked Sendable {
    // @unchecked: `subscription` is read by the service thread only, until `stop()` has
    // joined it; `stopped` is guarded by its lock.
    private let connection: NATSConnection
    private let subscription: OpaquePointer
    private let stopped = NSLock()
    private var isStopped = false
    private let finished = DispatchSemaphore(value: 0)

    init(connection: NATSConnection, subscription: OpaquePointer, handler: @escaping @Sendable ([UInt8]) -> [UInt8]) {
        self.connection = connection
        self.subscription = subscription
        let thread = Thread { [self] in
            while !stopped.withLock({ isStopped }) {
                var message: OpaquePointer?
                let status = natsSubscription_NextMsg(&message, self.subscription, 500)
                guard status == NATS_OK, let message else {
                    if status != NATS_TIMEOUT { Thread.sleep(forTimeInterval: 0.2) }
                    continue
                }
                let length = Int(natsMsg_GetDataLength(message))
                let payload = length > 0 ? Array(UnsafeRawBufferPointer(start: natsMsg_GetData(message), count: length)) : []
                if let reply = natsMsg_GetReply(message) {
                    let answer = handler(payload)
                    _ = answer.withUnsafeBytes { bytes in
                        natsConnection_Publish(self.connection.connection, reply, bytes.baseAddress, Int32(bytes.count))
                    }
                }
                natsMsg_Destroy(message)
            }
            finished.signal()
        }
        thread.name = "lyre-nats-service"
        thread.start()
    }

    /// Stops answering and waits for the thread. Idempotent.
    package func stop() {
        let first = stopped.withLock { () -> Bool in
            defer { isStopped = true }
            return !isStopped
        }
        guard first else { return }
        finished.wait()
        natsSubscription_Unsubscribe(subscription)
        natsSubscription_Destroy(subscription)
    }
}
