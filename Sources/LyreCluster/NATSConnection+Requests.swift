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

    /// Sends a request that several servers answer (`$SYS.REQ.SERVER.PING.…`) and gathers
    /// the replies that arrive within `timeout` (at most `limit`), each with how long it took.
    /// - Throws: `NATSError` when the request cannot be sent.
    package func requestAll(subject: String, data: [UInt8], timeout: Duration, limit: Int = 1000) throws -> [(elapsed: Duration, data: [UInt8])] {
        var inbox: UnsafeMutablePointer<natsInbox>?
        try check(natsInbox_Create(&inbox), "inbox")
        defer { natsInbox_Destroy(inbox) }
        var subscription: OpaquePointer?
        try check(natsConnection_SubscribeSync(&subscription, connection, inbox), "subscribe")
        defer {
            natsSubscription_Unsubscribe(subscription)
            natsSubscription_Destroy(subscription)
        }
        let start = ContinuousClock.now
        let status = data.withUnsafeBytes { bytes in
            natsConnection_PublishRequest(connection, subject, inbox, bytes.baseAddress, Int32(bytes.count))
        }
        try check(status, "request \(subject)")
        let deadline = start + timeout
        var replies: [(elapsed: Duration, data: [UInt8])] = []
        while replies.count < limit {
            let left = (deadline - ContinuousClock.now).milliseconds
            guard left > 0 else { break }
            var message: OpaquePointer?
            guard natsSubscription_NextMsg(&message, subscription, left) == NATS_OK, let message else { break }
            let length = Int(natsMsg_GetDataLength(message))
            let bytes = length > 0 ? Array(UnsafeRawBufferPointer(start: natsMsg_GetData(message), count: length)) : []
            natsMsg_Destroy(message)
            replies.append((ContinuousClock.now - start, bytes))
        }
        return replies
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
