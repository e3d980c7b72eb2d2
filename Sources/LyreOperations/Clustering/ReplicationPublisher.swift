import Foundation
import Logging
import LyreCluster
import LyreCore
import LyreStorage
import Synchronization

/// Publishes this node's committed changes of replicated tables to its own JetStream, in
/// commit order, on a thread of its own: the storage writer only appends a group to the
/// queue (`enqueue`). Each group is also in its database's durable outbox (written in the
/// group's transaction); once all of its messages are acknowledged by JetStream it is
/// removed there, and groups left by a crash are published again at the next start. A
/// message's id is derived from the group's outbox key, so a publish that is retried (after
/// a failure, or after a restart) is dropped by JetStream as a duplicate.
final class ReplicationPublisher: Sendable {
    private struct State {
        var outbox: [CommittedGroup] = []
        var streams: Set<ReplicationStream> = []
        var wanted: Set<ReplicationStream> = [.schema]
        var stopped = false
        var published: UInt64 = 0
        var lastError: String?
    }
    private let state = Mutex(State())
    private let wakeup = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let jetStream: JetStream
    private let node: String
    private let settings: ClusteringSettings
    private let logger: Logger
    private let storage: StorageEngine
    /// Distinguishes this run's message ids from an earlier run's.
    private let run = UInt64.random(in: 1..<UInt64.max)
    private let sequence = Atomic<UInt64>(0)

    init(jetStream: JetStream, node: String, settings: ClusteringSettings, storage: StorageEngine, logger: Logger) {
        self.jetStream = jetStream
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
        wakeup.signal()
    }

    /// Queues groups, before the queued ones when `first` (those left from before a restart).
    func enqueue(_ groups: [CommittedGroup], first: Bool) {
        state.withLock { $0.outbox = first ? groups + $0.outbox : $0.outbox + groups }
        wakeup.signal()
    }

    /// Makes sure these tables' streams exist (created by the publishing thread).
    func ensureStreams(_ tables: Set<TableKey>) {
        state.withLock { $0.wanted.formUnion(tables.map(ReplicationStream.table)) }
        wakeup.signal()
    }

    /// Messages published since start, and the last publish failure.
    var progress: (published: UInt64, pending: Int, lastError: String?) {
        state.withLock { ($0.published, $0.outbox.count, $0.lastError) }
    }

    /// Stops after the current publish (what is queued stays unpublished). Blocks until stopped.
    func stop() {
        let first = state.withLock { s -> Bool in
            defer { s.stopped = true }
            return !s.stopped
        }
        guard first else { return }
        wakeup.signal()
        finished.wait()
    }

    private var isStopped: Bool { state.withLock { $0.stopped } }

    private func loop() {
        // Databases whose acknowledged outbox groups may wait for a write to remove them.
        var acknowledged: Set<String> = []
        while true {
            if wakeup.wait(timeout: .now() + .milliseconds(500)) == .timedOut {
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
            for table in wanted where !isStopped { _ = ensureStream(table) }
            var done: [String: UInt64] = [:]
            for group in groups {
                for (index, message) in messages(of: group).enumerated() {
                    let id = group.outboxKey.map { "\(node)-\(NATSNames.token(group.database))-\($0)-\(index)" }
                        ?? "\(node)-\(String(run, radix: 36))-\(sequence.wrappingAdd(1, ordering: .relaxed).newValue)"
                    guard publish(message, id: id) else { break }
                }
                if isStopped { break }
                if let key = group.outboxKey { done[group.database] = max(done[group.database] ?? 0, key) }
            }
            for (database, key) in done {
                storage.database(database)?.acknowledgeOutbox(upTo: key)
                acknowledged.insert(database)
            }
        }
        finished.signal()
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
            if var last = out.last, last.table == change.table, !last.change.isSchema {
                switch (last.change.kind, change.kind) {
                case (.put(let a), .put(let b)):
                    last.change.kind = .put(a + b)
                    out[out.count - 1] = last
                    continue
                case (.delete(let a), .delete(let b)):
                    last.change.kind = .delete(a + b)
                    out[out.count - 1] = last
                    continue
                default: break
                }
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

    /// Publishes until it succeeds; false when stopped first.
    private func publish(_ message: ReplicationMessage, id: String) -> Bool {
        let stream: ReplicationStream = message.change.isSchema ? .schema : .table(TableKey(database: message.database, table: message.table))
        let bytes = message.encoded()
        let subject = stream.subject(node: node)
        var pause = 0.05
        while !isStopped {
            if ensureStream(stream) {
                do {
                    _ = try jetStream.publish(subject: subject, data: bytes, messageID: id,
                                              headers: ["origin": node, "transaction": id])
                    state.withLock { $0.published += 1 }
                    return true
                } catch {
                    state.withLock { $0.lastError = "\(error)" }
                    if pause >= 1 { logger.warning("clustering: publishing \(message.database).\(message.table) failed, retrying: \(error)") }
                }
            }
            Thread.sleep(forTimeInterval: pause)
            pause = min(pause * 2, 2)
        }
        return false
    }
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
