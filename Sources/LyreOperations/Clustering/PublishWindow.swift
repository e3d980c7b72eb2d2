/// The order keeping of asynchronous publishing, apart from NATS: messages queued in commit
/// order (each in its committed group), up to `limit` of them (and `byteLimit` bytes) in
/// flight, acknowledged in any order. A group is done when all of its messages, and all of
/// every group before it, are stored. When a message in flight fails, nothing more is sent;
/// once every message in flight has its outcome, `rewind` puts the failed one and all that
/// followed it back at the front of the queue, to be sent again in order.
package struct PublishWindow<Payload> {
    package struct Message {
        package var id: String
        package var size: Int
        package var payload: Payload

        package init(id: String, size: Int, payload: Payload) {
            self.id = id
            self.size = size
            self.payload = payload
        }
    }

    private enum Outcome { case stored, failed }

    private struct Group {
        var database: String
        var outboxKey: UInt64?
        var remaining: Int
    }

    package let limit: Int
    package let byteLimit: Int
    /// Not sent yet, from `queueHead` on, each with its group's index in `groups`.
    private var queue: [(message: Message, group: Int)] = []
    private var queueHead = 0
    /// Sent, in order, not yet retired.
    private var inFlight: [(message: Message, group: Int, sent: ContinuousClock.Instant)] = []
    private var inFlightBytes = 0
    /// Outcomes of messages in flight by id; the count of messages in flight by id.
    private var outcomes: [String: Outcome] = [:]
    private var inFlightIDs: [String: Int] = [:]
    /// How many of `outcomes` are failures (`hasFailure` without a scan: `next` asks it for
    /// every message sent).
    private var failures = 0
    private var groups: [Group] = []
    private var groupHead = 0

    package init(limit: Int, byteLimit: Int) {
        self.limit = max(1, limit)
        self.byteLimit = byteLimit
    }

    /// Nothing queued and nothing in flight.
    package var isEmpty: Bool { queueHead == queue.count && inFlight.isEmpty }
    /// Messages queued or in flight.
    package var unacknowledged: Int { queue.count - queueHead + inFlight.count }
    /// Messages in flight.
    package var inFlightCount: Int { inFlight.count }
    /// A message in flight failed: nothing more is sent until `rewind`.
    package var hasFailure: Bool { failures > 0 }
    /// Messages queued and not sent yet (held back by the limits, or by a failure).
    package var hasUnsent: Bool { queueHead < queue.count }
    /// Every message in flight has its outcome.
    package var allResolved: Bool { inFlight.allSatisfy { outcomes[$0.message.id] != nil } }

    /// Queues a committed group's messages (a group without messages is done in its turn).
    package mutating func append(database: String, outboxKey: UInt64?, messages: [Message]) {
        let index = groups.count
        groups.append(Group(database: database, outboxKey: outboxKey, remaining: messages.count))
        queue.append(contentsOf: messages.map { (message: $0, group: index) })
    }

    /// The next message to send, now marked in flight; nil when the window is full, the queue
    /// empty, or a message in flight failed.
    package mutating func next(now: ContinuousClock.Instant = .now) -> Message? {
        guard queueHead < queue.count, inFlight.count < limit, !hasFailure else { return nil }
        let (message, group) = queue[queueHead]
        guard inFlight.isEmpty || inFlightBytes + message.size <= byteLimit else { return nil }
        queueHead += 1
        if queueHead == queue.count {
            queue.removeAll(keepingCapacity: true)
            queueHead = 0
        } else if queueHead >= 4096 {
            queue.removeFirst(queueHead)
            queueHead = 0
        }
        inFlight.append((message: message, group: group, sent: now))
        inFlightBytes += message.size
        inFlightIDs[message.id, default: 0] += 1
        return message
    }

    /// Records a message's outcome; false when no message with that id is in flight (a late
    /// outcome of one already sent again and retired).
    @discardableResult
    package mutating func record(id: String, stored: Bool) -> Bool {
        guard inFlightIDs[id] != nil else { return false }
        if stored {
            if outcomes[id] == .failed { failures -= 1 }
            outcomes[id] = .stored
        } else if outcomes[id] == nil {
            // Stored once is stored: a failure reported for an earlier send does not undo it.
            outcomes[id] = .failed
            failures += 1
        }
        return true
    }

    /// Messages sent before `deadline` without an outcome count as failed.
    package mutating func expire(sentBefore deadline: ContinuousClock.Instant) {
        for entry in inFlight where entry.sent < deadline && outcomes[entry.message.id] == nil {
            outcomes[entry.message.id] = .failed
            failures += 1
        }
    }

    /// Retires the leading stored messages; returns how many, and the outbox key each
    /// database's done groups reach (the greatest).
    package mutating func retire() -> (messages: Int, done: [String: UInt64]) {
        var retired = 0
        while retired < inFlight.count, outcomes[inFlight[retired].message.id] == .stored {
            let entry = inFlight[retired]
            inFlightBytes -= entry.message.size
            groups[entry.group].remaining -= 1
            if let count = inFlightIDs[entry.message.id], count > 1 {
                inFlightIDs[entry.message.id] = count - 1
            } else {
                inFlightIDs[entry.message.id] = nil
                outcomes[entry.message.id] = nil
            }
            retired += 1
        }
        if retired > 0 { inFlight.removeFirst(retired) }
        var done: [String: UInt64] = [:]
        while groupHead < groups.count, groups[groupHead].remaining == 0 {
            let group = groups[groupHead]
            if let key = group.outboxKey { done[group.database] = max(done[group.database] ?? 0, key) }
            groupHead += 1
        }
        if groupHead >= 1024 || (groupHead > 0 && groupHead == groups.count) {
            // Done groups go; the later ones' indexes move down with them.
            groups.removeFirst(groupHead)
            for i in inFlight.indices { inFlight[i].group -= groupHead }
            for i in queue.indices where i >= queueHead { queue[i].group -= groupHead }
            groupHead = 0
        }
        return (retired, done)
    }

    /// After a failure, once `allResolved`: every message in flight (the failed one first,
    /// retired ones are gone) goes back to the front of the queue, in order. Returns the id
    /// of the first.
    @discardableResult
    package mutating func rewind() -> String? {
        let first = inFlight.first?.message.id
        queue.replaceSubrange(queueHead..<queueHead, with: inFlight.map { (message: $0.message, group: $0.group) })
        inFlight.removeAll(keepingCapacity: true)
        inFlightBytes = 0
        inFlightIDs.removeAll(keepingCapacity: true)
        outcomes.removeAll(keepingCapacity: true)
        failures = 0
        return first
    }
}
