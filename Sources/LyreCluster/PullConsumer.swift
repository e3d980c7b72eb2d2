internal import CNATS
import Foundation

/// A durable pull consumer with explicit acknowledgements. Use it from one thread at a time.
package final class PullConsumer: @unchecked Sendable {
    // @unchecked: the subscription handle is used by one thread at a time (the caller's
    // contract); nats.c guards its own state.
    let jetStream: JetStream
    private let subscription: OpaquePointer
    package let stream: String
    package let durable: String

    init(jetStream: JetStream, subscription: OpaquePointer, stream: String, durable: String) {
        self.jetStream = jetStream
        self.subscription = subscription
        self.stream = stream
        self.durable = durable
    }

    deinit {
        // Not Unsubscribe: that would delete the durable consumer and its position.
        natsSubscription_Destroy(subscription)
    }

    /// Up to `batch` messages as soon as there are any: those the stream holds now (one
    /// no-wait pull), else the first that arrives within `timeout` (a pull of one), so a
    /// caught-up consumer sees each new message at once instead of waiting for a full batch
    /// or the timeout (nats.c's `Fetch` waits until the batch is full). An empty array when
    /// none came.
    /// - Throws: `NATSError` when the connection is down or the consumer is gone.
    package func fetchAvailable(batch: Int, timeout: Duration) throws -> [ReceivedMessage] {
        let available = try fetch(request: batch, noWait: true, timeout: timeout)
        if !available.isEmpty { return available }
        return try fetch(request: 1, noWait: false, timeout: timeout)
    }

    private func fetch(request batch: Int, noWait: Bool, timeout: Duration) throws -> [ReceivedMessage] {
        var list = natsMsgList()
        var request = jsFetchRequest()
        jsFetchRequest_Init(&request)
        request.Batch = Int32(batch)
        request.NoWait = noWait
        request.Expires = timeout.nanoseconds
        let status = natsSubscription_FetchRequest(&list, subscription, &request)
        // No-wait with nothing there: 404 (not found); a wait that expired: a timeout.
        if status == NATS_TIMEOUT || status == NATS_NOT_FOUND { return [] }
        try check(status, "fetch \(stream)/\(durable)")
        return take(&list)
    }

    private func take(_ list: inout natsMsgList) -> [ReceivedMessage] {
        var messages: [ReceivedMessage] = []
        messages.reserveCapacity(Int(list.Count))
        for i in 0..<Int(list.Count) {
            if let message = list.Msgs[i] {
                messages.append(ReceivedMessage(message))
                list.Msgs[i] = nil  // owned by the ReceivedMessage now
            }
        }
        natsMsgList_Destroy(&list)
        return messages
    }

    /// Waits up to `timeout` for up to `batch` messages; an empty array when none came.
    /// - Throws: `NATSError` when the connection is down or the consumer is gone.
    package func fetch(batch: Int, timeout: Duration) throws -> [ReceivedMessage] {
        var list = natsMsgList()
        var code = jsErrCode(rawValue: 0)
        let status = natsSubscription_Fetch(&list, subscription, Int32(batch), timeout.milliseconds, &code)
        if status == NATS_TIMEOUT { return [] }
        try check(status, "fetch \(stream)/\(durable)", code)
        return take(&list)
    }

    /// This consumer's progress as the server sees it.
    package func state() throws -> ConsumerState? {
        try jetStream.consumerState(stream: stream, durable: durable)
    }
}

/// One message received from a consumer; acknowledge it once it has been handled.
package final class ReceivedMessage: @unchecked Sendable {
    // @unchecked: the message handle is used by one thread at a time.
    private let message: OpaquePointer
    /// The message's payload.
    package let data: [UInt8]
    package let subject: String
    /// The stream sequence (0 when the message carries no JetStream metadata).
    package let streamSequence: UInt64
    /// Messages after this one not yet delivered to the consumer.
    package let pending: UInt64
    /// When the stream stored it, ns since the epoch.
    package let storedNanoseconds: Int64

    init(_ message: OpaquePointer) {
        self.message = message
        let length = Int(natsMsg_GetDataLength(message))
        if length > 0, let bytes = natsMsg_GetData(message) {
            data = Array(UnsafeRawBufferPointer(start: bytes, count: length))
        } else {
            data = []
        }
        subject = String(cString: natsMsg_GetSubject(message))
        var meta: UnsafeMutablePointer<jsMsgMetaData>?
        if natsMsg_GetMetaData(&meta, message) == NATS_OK, let meta {
            streamSequence = meta.pointee.Sequence.Stream
            pending = meta.pointee.NumPending
            storedNanoseconds = meta.pointee.Timestamp
            jsMsgMetaData_Destroy(meta)
        } else {
            streamSequence = 0
            pending = 0
            storedNanoseconds = 0
        }
    }

    deinit {
        natsMsg_Destroy(message)
    }

    /// A header's value, or nil.
    package func header(_ key: String) -> String? {
        var value: UnsafePointer<CChar>?
        guard natsMsgHeader_Get(message, key, &value) == NATS_OK, let value else { return nil }
        return String(cString: value)
    }

    /// Acknowledges the message (it is not redelivered); on a `.cumulative` consumer, also
    /// every message before it in the stream delivered to the consumer.
    package func ack() throws {
        try check(natsMsg_Ack(message, nil), "ack")
    }

    /// Asks for redelivery later (the message could not be handled now).
    package func nak() throws {
        try check(natsMsg_Nak(message, nil), "nak")
    }
}
