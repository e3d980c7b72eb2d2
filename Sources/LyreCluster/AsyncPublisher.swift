internal import CNATS
import Foundation

/// What became of one asynchronous publish: the stream's acknowledgement, or the failure
/// (the server's error, or no acknowledgement within the timeout).
package struct PublishResult: Sendable {
    /// The `Nats-Msg-Id` the message was sent with.
    package var messageID: String
    package var outcome: Result<PublishAck, NATSError>
}

/// Publishes to JetStream without waiting for each acknowledgement (nats.c
/// `js_PublishMsgAsync` on a JetStream context of its own whose `AckHandler` reports every
/// message's outcome), so several messages are in flight at once. Each message carries a
/// `Nats-Msg-Id`, which names it in its `PublishResult`; results arrive on nats.c's thread,
/// through `onResult`, in no promised order. Keeping order across failures (sending again
/// what followed a failed message) is the caller's part. Thread-safe.
///
/// ```swift
/// let publisher = try connection.asyncPublisher(timeout: .seconds(5)) { result in queue.append(result) }
/// try publisher.publish(subject: "alpha.txn.dev.dog", data: bytes, messageID: "alpha-dev-42-0")
/// ```
package final class AsyncPublisher: @unchecked Sendable {
    // @unchecked: `context` is nats.c's thread-safe handle.
    let connection: NATSConnection
    private let context: OpaquePointer
    private let timeout: Duration

    init(connection: NATSConnection, maxPending: Int, timeout: Duration,
         onResult: @escaping @Sendable (PublishResult) -> Void) throws(NATSError) {
        self.connection = connection
        self.timeout = timeout
        let sink = Unmanaged.passRetained(PublishResultSink(onResult))
        var options = jsOptions()
        jsOptions_Init(&options)
        options.Wait = timeout.milliseconds
        options.PublishAsync.MaxPending = Int64(maxPending)
        options.PublishAsync.AckHandler = asyncPublishAcknowledged
        options.PublishAsync.AckHandlerClosure = sink.toOpaque()
        var context: OpaquePointer?
        let status = natsConnection_JetStream(&context, connection.connection, &options)
        guard status == NATS_OK, let context else {
            sink.release()  // nats.c never saw it
            throw NATSError("JetStream context", status)
        }
        self.context = context
    }

    deinit {
        jsCtx_Destroy(context)
    }

    /// Sends one message and returns without waiting; its result comes through `onResult`
    /// (also when the acknowledgement does not come within the timeout).
    /// - Throws: `NATSError` when the message could not even be sent (too many in flight for
    ///   longer than nats.c's stall wait, connection closed); then no result will come for it.
    package func publish(subject: String, data: [UInt8], messageID: String, headers: [String: String] = [:]) throws(NATSError) {
        var message: OpaquePointer?
        let created = data.withUnsafeBufferPointer { bytes in
            natsMsg_Create(&message, subject, nil, bytes.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
                           Int32(bytes.count))
        }
        try check(created, "message")
        // Destroying is a no-op once nats.c has taken the message (it clears the pointer).
        defer { natsMsg_Destroy(message) }
        // The id as a header of the message itself, so the acknowledgement handler can name it.
        try check(natsMsgHeader_Set(message, "Nats-Msg-Id", messageID), "header")
        for (key, value) in headers.sorted(by: { $0.key < $1.key }) {
            try check(natsMsgHeader_Set(message, key, value), "header")
        }
        var options = jsPubOptions()
        jsPubOptions_Init(&options)
        options.MaxWait = timeout.milliseconds
        try check(js_PublishMsgAsync(context, &message, &options), "publish to \(subject)")
    }
}

extension NATSConnection {
    /// A publisher that does not wait for acknowledgements (see `AsyncPublisher`).
    /// - Parameters:
    ///   - maxPending: messages nats.c lets be in flight before `publish` waits.
    ///   - timeout: how long a message may wait for its acknowledgement before it is
    ///     reported failed.
    ///   - onResult: called on nats.c's thread for each message sent.
    package func asyncPublisher(maxPending: Int = 4096, timeout: Duration = .seconds(5),
                                onResult: @escaping @Sendable (PublishResult) -> Void) throws -> AsyncPublisher {
        try AsyncPublisher(connection: self, maxPending: maxPending, timeout: timeout, onResult: onResult)
    }
}

/// Receives an `AsyncPublisher`'s results. Retained for nats.c and deliberately never
/// released: nats.c may still be inside the callback with it while the context is destroyed
/// (one small object per publisher, made once per node start).
private final class PublishResultSink: Sendable {
    let onResult: @Sendable (PublishResult) -> Void
    init(_ onResult: @escaping @Sendable (PublishResult) -> Void) { self.onResult = onResult }
}

/// nats.c's `jsPubAckHandler`: one call per message sent asynchronously, with its
/// acknowledgement or its failure; the message is ours to destroy.
private func asyncPublishAcknowledged(_ context: OpaquePointer?, _ message: OpaquePointer?, _ ack: UnsafeMutablePointer<jsPubAck>?,
                                      _ failure: UnsafeMutablePointer<jsPubAckErr>?, _ closure: UnsafeMutableRawPointer?) {
    defer { natsMsg_Destroy(message) }
    guard let closure else { return }
    var value: UnsafePointer<CChar>?
    let messageID = natsMsgHeader_Get(message, "Nats-Msg-Id", &value) == NATS_OK ? value.map { String(cString: $0) } ?? "" : ""
    let subject = message.flatMap { natsMsg_GetSubject($0) }.map { String(cString: $0) } ?? "?"
    let outcome: Result<PublishAck, NATSError>
    if let ack {
        let a = ack.pointee
        outcome = .success(PublishAck(stream: a.Stream.map { String(cString: $0) } ?? "", sequence: a.Sequence, duplicate: a.Duplicate))
    } else if let failure {
        let f = failure.pointee
        outcome = .failure(NATSError("publish to \(subject)", f.Err, jetStreamCode: f.ErrCode,
                                     text: f.ErrText.map { String(cString: $0) }))
    } else {
        outcome = .failure(NATSError("publish to \(subject)", NATS_ERR, text: "no acknowledgement"))
    }
    let sink = Unmanaged<PublishResultSink>.fromOpaque(closure).takeUnretainedValue()
    sink.onResult(PublishResult(messageID: messageID, outcome: outcome))
}
