import Foundation
import Logging
import LyreCluster
import LyreCore
import LyreStorage
import Synchronization

/// Pulls one peer's changes of one table from the peer's stream (a durable consumer named
/// after this node, kept by the peer's JetStream, so a restart of either side resumes where
/// it stopped) and applies them here, last writer wins (`WriteContext.applyRemote`). A batch
/// is acknowledged only after its local commit: a crash before that means redelivery,
/// which applying again makes harmless.
final class ReplicationSubscriber: Sendable {
    let peer: String
    let table: TableKey
    private let startTime: Date?
    private let connection: NATSConnection
    /// The peer's JetStream domain (its node name), or nil on an external NATS system.
    private let domain: String?
    private let localNode: String
    private let storage: StorageEngine
    private let logger: Logger
    /// Called after each applied batch (users and roles: drop cached credentials).
    private let applied: (@Sendable () -> Void)?
    private struct State {
        var stopped = false
        var connected = false
        var applied: UInt64 = 0
        var pending: UInt64 = 0
        var lastApplied: Date?
        var lastStored: Date?
        var lastError: String?
    }
    private let state = Mutex(State())
    private let finished = DispatchSemaphore(value: 0)
    /// How long a delivered batch may stay unacknowledged before the peer redelivers it: far
    /// above the time one batch takes to apply, short enough that a node killed with a batch
    /// in hand gets it again soon after its restart.
    static let ackWait: Duration = .seconds(5)

    struct Status: Sendable {
        var connected: Bool
        var applied: UInt64
        var pending: UInt64
        var lastStored: Date?
        var lastError: String?
    }

    init(peer: String, table: TableKey, startTime: Date?, connection: NATSConnection, domain: String?,
         localNode: String, storage: StorageEngine, logger: Logger, applied: (@Sendable () -> Void)? = nil) {
        self.applied = applied
        self.peer = peer
        self.table = table
        self.startTime = startTime
        self.connection = connection
        self.domain = domain
        self.localNode = localNode
        self.storage = storage
        self.logger = logger
        let thread = Thread { [self] in loop() }
        thread.name = "lyre-cluster-pull"
        thread.start()
    }

    var status: Status {
        state.withLock { Status(connected: $0.connected, applied: $0.applied, pending: $0.pending, lastStored: $0.lastStored, lastError: $0.lastError) }
    }

    /// Stops pulling (within a second) and waits. The durable position stays on the peer.
    func stop() {
        let first = state.withLock { s -> Bool in
            defer { s.stopped = true }
            return !s.stopped
        }
        guard first else { return }
        finished.wait()
    }

    private var isStopped: Bool { state.withLock { $0.stopped } }

    private func failed(_ error: any Error) {
        let text = "\(error)"
        let changed = state.withLock { s -> Bool in
            defer {
                s.connected = false
                s.lastError = text
            }
            return s.lastError != text
        }
        if changed { logger.warning("clustering: pulling \(table.database).\(table.table) from \(peer): \(text)") }
        Thread.sleep(forTimeInterval: 0.5)
    }

    private func loop() {
        defer { finished.signal() }
        let stream = NATSNames.stream(node: peer, database: table.database, table: table.table)
        let subject = NATSNames.subject(node: peer, database: table.database, table: table.table)
        var consumer: PullConsumer?
        while !isStopped {
            if consumer == nil {
                do {
                    let jetStream = try connection.jetStream(domain: domain, timeout: .seconds(3))
                    consumer = try jetStream.pullConsumer(stream: stream, filter: subject, durable: NATSNames.token(localNode),
                                                          start: startTime.map { .time($0) } ?? .all,
                                                          ackWait: Self.ackWait)
                } catch {
                    failed(error)
                    continue
                }
            }
            let messages: [ReceivedMessage]
            do {
                messages = try consumer!.fetchAvailable(batch: 512, timeout: .seconds(1))
            } catch {
                consumer = nil
                failed(error)
                continue
            }
            state.withLock {
                $0.connected = true
                $0.lastError = nil
                if messages.isEmpty { $0.pending = 0 }
            }
            if messages.isEmpty { continue }
            do {
                try apply(messages)
            } catch {
                // Not acknowledged: JetStream redelivers after the ack wait.
                failed(error)
                continue
            }
            applied?()
            for message in messages { try? message.ack() }
            let last = messages[messages.count - 1]
            state.withLock {
                $0.applied += UInt64(messages.count)
                $0.pending = last.pending
                $0.lastApplied = Date()
                $0.lastStored = Date(timeIntervalSince1970: Double(last.storedNanoseconds) / 1e9)
            }
        }
    }

    /// Applies a batch in one local transaction (creating the database or table when this
    /// node does not have it yet).
    private func apply(_ messages: [ReceivedMessage]) throws {
        let decoded = try messages.map { message -> (ReplicationMessage, String) in
            (try ReplicationMessage(decoding: message.data), message.header("origin") ?? peer)
        }
        guard let first = decoded.first?.0 else { return }
        let db = try storage.databaseCreatingIfNeeded(first.database)
        let localNode = self.localNode
        try db.writeSync { ctx in
            for (message, origin) in decoded {
                if ctx.catalog.tables[message.table] == nil {
                    _ = try ctx.createTable(message.table, primaryKey: message.primaryKey)
                }
                _ = try ctx.applyRemote(message.change, timestamp: message.timestamp, origin: origin, localNode: localNode)
            }
        }
    }
}
