internal import CNATS
package import Foundation

/// A stream's settings (JetStream file storage, limits retention).
package struct StreamConfiguration: Sendable, Equatable {
    package var name: String
    package var subjects: [String]
    /// Messages older than this are removed (nil: kept forever).
    package var maxAge: Duration?
    /// Oldest messages are removed past this many bytes (nil: no limit).
    package var maxBytes: Int64?
    /// Oldest messages are removed past this many messages (nil: no limit).
    package var maxMessages: Int64?
    /// How long a message id is remembered to drop a republished duplicate.
    package var duplicateWindow: Duration = .seconds(120)

    package init(name: String, subjects: [String], maxAge: Duration? = nil, maxBytes: Int64? = nil, maxMessages: Int64? = nil) {
        self.name = name
        self.subjects = subjects
        self.maxAge = maxAge
        self.maxBytes = maxBytes
        self.maxMessages = maxMessages
    }
}

/// What a stream holds now.
package struct StreamState: Sendable, Equatable {
    package var messages: UInt64
    package var firstSequence: UInt64
    package var lastSequence: UInt64
}

/// A durable consumer's progress.
package struct ConsumerState: Sendable, Equatable {
    /// Messages of the stream not yet delivered to the consumer.
    package var pending: UInt64
    /// Messages delivered and not yet acknowledged.
    package var ackPending: Int64
    /// The stream sequence of the last acknowledged message at the floor.
    package var ackFloor: UInt64
}

/// The server's answer to a publish.
package struct PublishAck: Sendable, Equatable {
    package var stream: String
    package var sequence: UInt64
    /// The message id was seen within the duplicate window: nothing was stored.
    package var duplicate: Bool
}

/// Where a new durable consumer starts.
package enum DeliverStart: Sendable, Equatable {
    case all
    case new
    /// Messages stored at or after this time.
    case time(Date)
    /// Messages from this stream sequence on.
    case sequence(UInt64)
}

/// What one acknowledgement of a consumer's message covers.
package enum AcknowledgementPolicy: Sendable, Equatable {
    /// Only that message (JetStream's `AckExplicit`).
    case each
    /// That message and every one before it in the stream delivered to the consumer
    /// (`AckAll`): one acknowledgement for a whole batch. JetStream cannot change a
    /// consumer's policy in place; a consumer of the other policy has to be deleted and
    /// created again.
    case cumulative
}

/// A JetStream context of one connection (nats.c `jsCtx`), optionally addressing another
/// server's JetStream domain. Thread-safe.
package final class JetStream: @unchecked Sendable {
    // @unchecked: `context` is nats.c's thread-safe handle; `domain` is immutable and
    // outlives it.
    let connection: NATSConnection
    let context: OpaquePointer
    private let domain: UnsafeMutablePointer<CChar>?
    private let timeout: Duration

    init(connection: NATSConnection, domain: String?, timeout: Duration) throws(NATSError) {
        self.connection = connection
        self.domain = domain.flatMap { strdup($0) }
        self.timeout = timeout
        var options = jsOptions()
        jsOptions_Init(&options)
        options.Domain = UnsafePointer(self.domain)
        options.Wait = timeout.milliseconds
        var context: OpaquePointer?
        let status = natsConnection_JetStream(&context, connection.connection, &options)
        guard status == NATS_OK, let context else {
            free(self.domain)
            throw NATSError("JetStream context", status)
        }
        self.context = context
    }

    deinit {
        jsCtx_Destroy(context)
        free(domain)
    }

    /// Creates the stream, or updates its limits when it exists.
    /// - Throws: `NATSError` (JetStream not enabled, subjects overlapping another stream...).
    package func addOrUpdateStream(_ configuration: StreamConfiguration) throws {
        try withStreamConfig(configuration) { config in
            var code = jsErrCode(rawValue: 0)
            var info: UnsafeMutablePointer<jsStreamInfo>?
            var status = js_AddStream(&info, context, &config, nil, &code)
            if status != NATS_OK, code == JSStreamNameExistErr {
                code = jsErrCode(rawValue: 0)
                status = js_UpdateStream(&info, context, &config, nil, &code)
            }
            jsStreamInfo_Destroy(info)
            try check(status, "add stream \(configuration.name)", code)
        }
    }

    private func withStreamConfig<T>(_ configuration: StreamConfiguration, _ body: (inout jsStreamConfig) throws -> T) throws -> T {
        var config = jsStreamConfig()
        jsStreamConfig_Init(&config)
        let name = strdup(configuration.name)
        let subjects: [UnsafePointer<CChar>?] = configuration.subjects.map { UnsafePointer(strdup($0)) }
        defer {
            free(name)
            for subject in subjects { free(UnsafeMutablePointer(mutating: subject)) }
        }
        return try subjects.withUnsafeBufferPointer { subjectsBuffer in
            config.Name = UnsafePointer(name)
            config.Subjects = UnsafeMutablePointer(mutating: subjectsBuffer.baseAddress)
            config.SubjectsLen = Int32(subjects.count)
            config.Storage = js_FileStorage
            config.Retention = js_LimitsPolicy
            config.Duplicates = configuration.duplicateWindow.nanoseconds
            if let maxAge = configuration.maxAge { config.MaxAge = maxAge.nanoseconds }
            if let maxBytes = configuration.maxBytes { config.MaxBytes = maxBytes }
            if let maxMessages = configuration.maxMessages { config.MaxMsgs = maxMessages }
            return try body(&config)
        }
    }

    /// The stream's state, or nil when there is no such stream.
    package func streamState(_ name: String) throws -> StreamState? {
        var code = jsErrCode(rawValue: 0)
        var info: UnsafeMutablePointer<jsStreamInfo>?
        let status = js_GetStreamInfo(&info, context, name, nil, &code)
        defer { jsStreamInfo_Destroy(info) }
        if status != NATS_OK, code == JSStreamNotFoundErr { return nil }
        try check(status, "stream info \(name)", code)
        let state = info!.pointee.State
        return StreamState(messages: state.Msgs, firstSequence: state.FirstSeq, lastSequence: state.LastSeq)
    }

    /// Deletes a stream with its messages and consumers. Returns false when it did not exist.
    @discardableResult
    package func deleteStream(_ name: String) throws -> Bool {
        var code = jsErrCode(rawValue: 0)
        let status = js_DeleteStream(context, name, nil, &code)
        if status != NATS_OK, code == JSStreamNotFoundErr { return false }
        try check(status, "delete stream \(name)", code)
        return true
    }

    /// Removes messages from a stream: all of them, all but the newest `keep`, or those
    /// before sequence `before`.
    package func purgeStream(_ name: String, keep: UInt64? = nil, before: UInt64? = nil) throws {
        var options = jsOptions()
        jsOptions_Init(&options)
        options.Wait = timeout.milliseconds
        if let keep { options.Stream.Purge.Keep = keep }
        if let before { options.Stream.Purge.Sequence = before }
        var code = jsErrCode(rawValue: 0)
        try check(js_PurgeStream(context, name, &options, &code), "purge stream \(name)", code)
    }

    /// A durable consumer's state, or nil when it does not exist.
    package func consumerState(stream: String, durable: String) throws -> ConsumerState? {
        var code = jsErrCode(rawValue: 0)
        var info: UnsafeMutablePointer<jsConsumerInfo>?
        let status = js_GetConsumerInfo(&info, context, stream, durable, nil, &code)
        defer { jsConsumerInfo_Destroy(info) }
        if status != NATS_OK, code == JSConsumerNotFoundErr || code == JSStreamNotFoundErr { return nil }
        try check(status, "consumer info \(stream)/\(durable)", code)
        let i = info!.pointee
        return ConsumerState(pending: i.NumPending, ackPending: i.NumAckPending, ackFloor: i.AckFloor.Stream)
    }

    /// Deletes a durable consumer. Returns false when it did not exist.
    @discardableResult
    package func deleteConsumer(stream: String, durable: String) throws -> Bool {
        var code = jsErrCode(rawValue: 0)
        let status = js_DeleteConsumer(context, stream, durable, nil, &code)
        if status != NATS_OK, code == JSConsumerNotFoundErr || code == JSStreamNotFoundErr { return false }
        try check(status, "delete consumer \(stream)/\(durable)", code)
        return true
    }

    /// Publishes one message and waits for the stream's acknowledgement.
    /// - Parameters:
    ///   - messageID: `Nats-Msg-Id`: a republish with the same id inside the stream's
    ///     duplicate window is acknowledged as a duplicate and not stored again.
    ///   - headers: further headers (`origin`...).
    /// - Throws: `NATSError` (no stream for the subject, timeout, disconnected).
    package func publish(subject: String, data: [UInt8], messageID: String? = nil, headers: [String: String] = [:]) throws -> PublishAck {
        var message: OpaquePointer?
        try data.withUnsafeBufferPointer { bytes in
            try check(natsMsg_Create(&message, subject, nil, bytes.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
                                     Int32(bytes.count)), "message")
        }
        defer { natsMsg_Destroy(message) }
        for (key, value) in headers.sorted(by: { $0.key < $1.key }) {
            try check(natsMsgHeader_Set(message, key, value), "header")
        }
        var options = jsPubOptions()
        jsPubOptions_Init(&options)
        let id = messageID.flatMap { strdup($0) }
        defer { free(id) }
        options.MsgId = UnsafePointer(id)
        var ack: UnsafeMutablePointer<jsPubAck>?
        var code = jsErrCode(rawValue: 0)
        let status = js_PublishMsg(&ack, context, message, &options, &code)
        defer { jsPubAck_Destroy(ack) }
        try check(status, "publish to \(subject)", code)
        let a = ack!.pointee
        return PublishAck(stream: String(cString: a.Stream), sequence: a.Sequence, duplicate: a.Duplicate)
    }

    /// Binds to (creating if needed) a durable pull consumer with manual acknowledgements.
    /// - Parameters:
    ///   - stream: the stream's name.
    ///   - filter: the subject filter (a subject of the stream).
    ///   - durable: the consumer's durable name: its position survives restarts on both sides.
    ///   - start: where a new consumer starts (an existing one resumes from its position).
    ///   - ackWait: how long a delivered message may stay unacknowledged before redelivery.
    ///   - acknowledgement: what one acknowledgement covers (a new consumer's policy; binding
    ///     to an existing consumer of the other policy fails).
    package func pullConsumer(stream: String, filter: String, durable: String, start: DeliverStart = .all,
                              ackWait: Duration = .seconds(30), acknowledgement: AcknowledgementPolicy = .each) throws -> PullConsumer {
        var options = jsSubOptions()
        jsSubOptions_Init(&options)
        let streamName = strdup(stream)
        defer { free(streamName) }
        options.Stream = UnsafePointer(streamName)
        options.ManualAck = true
        options.Config.AckPolicy = acknowledgement == .each ? js_AckExplicit : js_AckAll
        options.Config.AckWait = ackWait.nanoseconds
        options.Config.MaxAckPending = 20_000
        switch start {
        case .all: options.Config.DeliverPolicy = js_DeliverAll
        case .new: options.Config.DeliverPolicy = js_DeliverNew
        case .time(let date):
            options.Config.DeliverPolicy = js_DeliverByStartTime
            options.Config.OptStartTime = Int64(date.timeIntervalSince1970 * 1_000_000_000)
        case .sequence(let sequence):
            options.Config.DeliverPolicy = js_DeliverByStartSequence
            options.Config.OptStartSeq = sequence
        }
        var subscription: OpaquePointer?
        var code = jsErrCode(rawValue: 0)
        try check(js_PullSubscribe(&subscription, context, filter, durable, nil, &options, &code),
                  "pull subscribe \(stream)/\(durable)", code)
        return PullConsumer(jetStream: self, subscription: subscription!, stream: stream, durable: durable)
    }
}
