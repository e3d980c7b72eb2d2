import Foundation
import Logging
import LyreCluster
import LyreCore
import LyreStorage
import Synchronization

/// Publishes this node's committed changes of replicated tables to its own JetStream, in
/// commit order, on a thread of its own: the storage writer only appends a group to the
/// queue (`enqueue`). Each group is also in its database's durable outbox (written in the
/// group's transaction); once all of its messages (and all of every group before it) are
/// acknowledged by JetStream it is removed there, and groups left by a crash are published
/// again at the next start. A message's id is derived from the group's outbox key, so a
/// publish that is repeated (after a failure, or after a restart) is dropped by JetStream as
/// a duplicate.
///
/// Up to `window` messages are in flight at once (`AsyncPublisher`): sent in commit order,
/// acknowledged in any order. When one fails (an error, or no acknowledgement in time), no
/// more are sent; once every message in flight has its outcome, the failed one and all
/// that followed it are sent again, in order (those already stored are acknowledged as
/// duplicates and not stored twice).
final class ReplicationPublisher: Sendable {
    /// Messages in flight at most, and their bytes at most (one message is always allowed).
    static let window = 256
    static let windowBytes = 4 << 20
    /// How long a message may wait for its acknowledgement before it counts as failed.
    static let acknowledgementTimeout: Duration = .seconds(5)

    private struct State {
        var outbox: [CommittedGroup] = []
        var streams: Set<ReplicationStream> = []
        var wanted: Set<ReplicationStream> = [.schema]
        var published: UInt64 = 0
        /// Messages taken from `outbox` and not yet acknowledged.
        var unacknowledged = 0
        var lastError: String?
        /// Records (or keys, attributes) left out since start, each alone larger than NATS's
        /// `max_payload`, and the last of them.
        var refused: UInt64 = 0
        var lastRefused: String?
    }
    private let state = Mutex(State())
    private let signals: WorkerSignals
    /// Publish outcomes handed over by nats.c's thread.
    private let results: ResultInbox
    private let jetStream: JetStream
    private let connection: NATSConnection
    /// The server's `max_payload` last seen while connected (NATS's default until then).
    private let maxPayload = Atomic<Int>(1 << 20)
    private let sender: AsyncPublisher
    private let node: String
    private let settings: ClusteringSettings
    private let logger: Logger
    private let storage: StorageEngine
    /// Distinguishes this run's message ids from an earlier run's.
    private let run = UInt64.random(in: 1..<UInt64.max)
    private let sequence = Atomic<UInt64>(0)

    init(connection: NATSConnection, jetStream: JetStream, node: String, settings: ClusteringSettings, storage: StorageEngine,
         logger: Logger) throws {
        let signals = WorkerSignals()
        let results = ResultInbox()
        self.signals = signals
        self.results = results
        // nats.c's thread only hands the outcome over; the publishing thread decides.
        sender = try connection.asyncPublisher(maxPending: ReplicationPublisher.window * 2,
                                               timeout: ReplicationPublisher.acknowledgementTimeout) { result in
            results.items.withLock { $0.append(result) }
            // A stored message only retires (its outbox removal rides on a later write
            // anyway): the thread takes it at its next wake-up (the next group, or 0.1 s).
            // A failure, or a full window waiting for room, wakes it now.
            if results.urgent.load(ordering: .acquiring) { signals.wake() } else if case .failure = result.outcome { signals.wake() }
        }
        self.jetStream = jetStream
        self.connection = connection
        self.storage = storage
        self.node = node
        self.settings = settings
        self.logger = logger
        let thread = Thread { [self] in loop() }
        thread.name = "lyre-cluster-publish"
        thread.start()
    }

    /// Queues a committed group (called on the storage writer thread: returns at once).
    func enqueue(_ group: CommittedGroup) {
        state.withLock { $0.outbox.append(group) }
        signals.wake()
    }

    /// Queues groups, before the queued ones when `first` (those left from before a restart).
    func enqueue(_ groups: [CommittedGroup], first: Bool) {
        state.withLock { $0.outbox = first ? groups + $0.outbox : $0.outbox + groups }
        signals.wake()
    }

    /// Makes sure these tables' streams exist (created by the publishing thread).
    func ensureStreams(_ tables: Set<TableKey>) {
        state.withLock { $0.wanted.formUnion(tables.map(ReplicationStream.table)) }
        signals.wake()
    }

    /// Messages published since start, groups and messages not yet acknowledged, and the
    /// last publish failure.
    var progress: (published: UInt64, pending: Int, lastError: String?) {
        state.withLock { ($0.published, $0.outbox.count + $0.unacknowledged, $0.lastError) }
    }

    /// What was left out since start because it alone is larger than NATS's `max_payload`
    /// (count, the last one, and the limit).
    var refused: (count: UInt64, last: String?, maxPayload: Int) {
        let (count, last) = state.withLock { ($0.refused, $0.lastRefused) }
        return (count, last, currentMaxPayload())
    }

    /// Stops after the current step (what is queued or unacknowledged stays in the outbox,
    /// published again at the next start). Blocks until stopped.
    func stop() { signals.stop() }

    private var isStopped: Bool { signals.isStopped }

    /// One message to send.
    private struct Outgoing {
        var stream: ReplicationStream
        var subject: String
        var bytes: [UInt8]
        var label: String
    }

    private func loop() {
        // Databases whose acknowledged outbox groups may wait for a write to remove them.
        var acknowledged: Set<String> = []
        var window = PublishWindow<Outgoing>(limit: Self.window, byteLimit: Self.windowBytes)
        var pause = 0.05
        while true {
            let idle = window.isEmpty
            if !signals.wait(seconds: idle ? 0.5 : 0.1), idle {
                // Idle: no write came to remove them with; one write of their own.
                for database in acknowledged { storage.database(database)?.flushOutboxAcknowledgements() }
                acknowledged.removeAll()
                continue
            }
            if isStopped { break }
            let (groups, wanted) = state.withLock { s -> ([CommittedGroup], Set<ReplicationStream>) in
                defer {
                    s.outbox.removeAll(keepingCapacity: true)
                    s.wanted.subtract(s.streams)
                }
                return (s.outbox, s.wanted.subtracting(s.streams))
            }
            let outcomes = results.items.withLock { items in
                defer { items.removeAll(keepingCapacity: true) }
                return items
            }
            for table in wanted where !isStopped { _ = ensureStream(table) }

            // New groups join the queue, their message ids fixed once (a resend reuses them);
            // a message larger than the server accepts goes in parts (`ReplicationSplit`).
            let maxPayload = currentMaxPayload()
            for group in groups {
                // Headers: the id (node, database, key, range) and the origin.
                let limit = maxPayload - Self.headerRoom - 2 * node.utf8.count - 3 * group.database.utf8.count
                var outgoing: [PublishWindow<Outgoing>.Message] = []
                for (offset, message) in messages(of: group).enumerated() {
                    let split = ReplicationSplit(message, limit: limit)
                    if !split.refused.isEmpty { noteRefused(split.refused, maxPayload: maxPayload) }
                    for part in split.parts {
                        let id = group.outboxKey.map { "\(node)-\(NATSNames.token(group.database))-\($0)-\(offset)\(part.idSuffix)" }
                            ?? "\(node)-\(String(run, radix: 36))-\(sequence.wrappingAdd(1, ordering: .relaxed).newValue)"
                        let stream: ReplicationStream = message.change.isSchema
                            ? .schema : .table(TableKey(database: message.database, table: message.table))
                        outgoing.append(PublishWindow<Outgoing>.Message(
                            id: id, size: part.bytes.count,
                            payload: Outgoing(stream: stream, subject: stream.subject(node: node), bytes: part.bytes,
                                              label: "\(message.database).\(message.table)")))
                    }
                }
                window.append(database: group.database, outboxKey: group.outboxKey, messages: outgoing)
            }

            var lastError: String?
            for result in outcomes {
                switch result.outcome {
                case .success: window.record(id: result.messageID, stored: true)
                case .failure(let error):
                    if window.record(id: result.messageID, stored: false) { lastError = "\(error)" }
                }
            }
            // No outcome long after the timeout (nats.c reports one at the timeout): failed.
            window.expire(sentBefore: .now - (Self.acknowledgementTimeout + .seconds(5)))

            let (stored, done) = window.retire()
            if stored > 0 { pause = 0.05 }
            for (database, key) in done {
                storage.database(database)?.acknowledgeOutbox(upTo: key)
                acknowledged.insert(database)
            }

            if window.hasFailure {
                // Once every message in flight has its outcome: again from the failed one on.
                if window.allResolved {
                    let first = window.rewind() ?? ""
                    if pause >= 1 {
                        let reason = lastError ?? state.withLock { $0.lastError } ?? ""
                        logger.warning("clustering: publishing message \(first) failed, retrying: \(reason)")
                    }
                    pauseUnlessStopped(pause)
                    pause = min(pause * 2, 2)
                    signals.wake()  // go on at once
                }
            } else {
                // Fill the window, in order.
                while let message = window.next() {
                    var sent = false
                    if ensureStream(message.payload.stream) {
                        do {
                            try sender.publish(subject: message.payload.subject, data: message.payload.bytes, messageID: message.id,
                                               headers: ["origin": node])
                            sent = true
                        } catch {
                            lastError = "\(error)"
                        }
                    }
                    if !sent {
                        // No outcome will come for it: failed now, and nothing after it is sent.
                        window.record(id: message.id, stored: false)
                        signals.wake()
                        break
                    }
                }
            }
            // Outcomes wake this thread only while it waits for them: a failure being
            // resolved, or messages held back by the window's limits.
            let urgent = window.hasFailure || window.hasUnsent
            results.urgent.store(urgent, ordering: .releasing)
            if urgent, results.items.withLock({ !$0.isEmpty }) { signals.wake() }  // arrived before the store
            let unacknowledged = window.unacknowledged
            state.withLock {
                $0.published += UInt64(stored)
                $0.unacknowledged = unacknowledged
                if let lastError { $0.lastError = lastError }
            }
        }
        signals.loopEnded()
    }

    /// The server's `max_payload` (headers and data); while disconnected, the last one seen.
    private func currentMaxPayload() -> Int {
        let current = connection.maxPayload
        if current > 0 { maxPayload.store(current, ordering: .relaxed) }
        return maxPayload.load(ordering: .relaxed)
    }
    /// Room left for a message's headers beyond the names in them.
    static let headerRoom = 4 << 10

    /// Loudly: what was left out never reaches the other nodes.
    private func noteRefused(_ refused: [ReplicationSplit.Refused], maxPayload: Int) {
        for item in refused {
            logger.error("""
                clustering: \(item.description) is \(item.bytes) bytes, more than NATS's max_payload allows \
                (\(maxPayload) bytes): it is not replicated to other nodes
                """)
        }
        state.withLock {
            $0.refused += UInt64(refused.count)
            $0.lastRefused = refused.last.map { "\($0.description) (\($0.bytes) bytes)" }
        }
    }

    /// Sleeps, waking early on stop.
    private func pauseUnlessStopped(_ seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline, !isStopped { Thread.sleep(forTimeInterval: min(0.05, seconds)) }
    }

    /// A group's changes as messages: consecutive changes of one table and kind merged;
    /// a schema change is a message of its own (a database's names its database).
    private func messages(of group: CommittedGroup) -> [ReplicationMessage] {
        var out: [ReplicationMessage] = []
        for change in group.changes {
            if case .schema(let schema) = change.kind {
                out.append(ReplicationMessage(database: schema.databaseName ?? group.database, table: change.table, primaryKey: "",
                                              timestamp: group.timestamp, change: change))
                continue
            }
            // In place: a group of many single-record inserts merges in linear time.
            if let last = out.indices.last, out[last].table == change.table, !out[last].change.isSchema,
               out[last].change.merge(change) {
                continue
            }
            let primaryKey = storage.database(group.database)?.table(change.table)?.primaryKey ?? "id"
            out.append(ReplicationMessage(database: group.database, table: change.table, primaryKey: primaryKey,
                                          timestamp: group.timestamp, change: change))
        }
        return out
    }

    private func ensureStream(_ stream: ReplicationStream) -> Bool {
        if state.withLock({ $0.streams.contains(stream) }) { return true }
        var configuration = StreamConfiguration(
            name: stream.name(node: node), subjects: [stream.subject(node: node)],
            maxAge: settings.streamMaxAge.map { .milliseconds(Int64($0 * 1000)) },
            maxBytes: settings.streamMaxBytes, maxMessages: settings.streamMaxMessages)
        configuration.duplicateWindow = .seconds(120)
        do {
            try jetStream.addOrUpdateStream(configuration)
            _ = state.withLock { $0.streams.insert(stream) }
            return true
        } catch {
            state.withLock { $0.lastError = "\(error)" }
            logger.warning("clustering: stream \(configuration.name) not created: \(error)")
            return false
        }
    }
}

/// Publish outcomes on their way from nats.c's thread to the publishing thread.
private final class ResultInbox: Sendable {
    let items = Mutex<[PublishResult]>([])
    /// Whether the publishing thread waits for outcomes (then each one wakes it).
    let urgent = Atomic<Bool>(false)
}

/// A table of a database.
struct TableKey: Sendable, Hashable {
    var database: String
    var table: String
}

/// One of a node's streams: a table's changes, or the schema changes of every database.
enum ReplicationStream: Sendable, Hashable {
    case table(TableKey)
    case schema

    func name(node: String) -> String {
        switch self {
        case .table(let key): NATSNames.stream(node: node, database: key.database, table: key.table)
        case .schema: NATSNames.schemaStream(node: node)
        }
    }

    func subject(node: String) -> String {
        switch self {
        case .table(let key): NATSNames.subject(node: node, database: key.database, table: key.table)
        case .schema: NATSNames.schemaSubject(node: node)
        }
    }
}
