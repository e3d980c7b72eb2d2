import Foundation
import Logging
import LyreCluster
import LyreCore
import LyreStorage
import Synchronization

/// Pulls one of a peer's streams — one table's changes, or its schema changes — (a durable
/// consumer named after this node, kept by the peer's JetStream; a table's is recreated
/// at the position kept here, so a restart of either side resumes where it stopped) and
/// applies them here, last writer wins
/// (`WriteContext.applyRemote`). A batch is acknowledged only after its local commit: a
/// crash before that means redelivery, which applying again makes harmless.
///
/// A table's subscriber keeps, in the same transaction as what it applies, the last stream
/// sequence applied (`WriteContext.replicationPosition`). When this node lacks part of the
/// table's history — it never received the table from this peer, or the messages after its
/// position are gone from the stream (`purge_stream`, `streams.maxAge`, a recreated
/// stream) — it first takes a full copy (`TableCopy`) and then consumes from the copy's
/// point on.
final class ReplicationSubscriber: Sendable {
    let peer: String
    let source: ReplicationStream
    private let startTime: Date?
    private let connection: NATSConnection
    /// The peer's JetStream domain (its node name), or nil on an external NATS system.
    private let domain: String?
    private let localNode: String
    private let storage: StorageEngine
    private let logger: Logger
    /// Called after each applied batch (users and roles: drop cached credentials).
    private let applied: (@Sendable () -> Void)?
    /// Schema changes: whether this node takes a change of (database, table) — it has the
    /// database, or subscribes to the table.
    private let takesSchema: @Sendable (_ database: String, _ table: String) -> Bool
    /// Schema changes: the databases this node subscribes to a table of. One whose part of
    /// the peer's schema was never copied here (this node began to take it after its copy
    /// of the whole schema, which skipped it) gets a copy of that part (`SchemaCopy`'s
    /// `database`).
    private let schemaDatabases: @Sendable () -> [String]
    private struct State {
        var stopped = false
        var connected = false
        var applied: UInt64 = 0
        var pending: UInt64 = 0
        var lastApplied: Date?
        var lastStored: Date?
        var lastError: String?
        var copies = 0
        var copying = false
        /// Schema changes: look for databases whose part of the peer's schema is owed.
        var recheckSchema = true
    }
    private let state = Mutex(State())
    private let finished = DispatchSemaphore(value: 0)
    /// How long a delivered batch may stay unacknowledged before the peer redelivers it: far
    /// above the time one batch takes to apply, short enough that a node killed with a batch
    /// in hand gets it again soon after its restart.
    static let ackWait: Duration = .seconds(5)
    /// How often an idle table subscriber checks that the peer's stream still holds what
    /// comes after its position (a purge while it was caught up loses nothing; one while it
    /// was behind does).
    static let gapCheckInterval: TimeInterval = 3

    struct Status: Sendable {
        var connected: Bool
        var applied: UInt64
        var pending: UInt64
        var lastStored: Date?
        var lastError: String?
        /// Full copies taken since start, and whether one runs now.
        var copies: Int
        var copying: Bool
    }

    init(peer: String, source: ReplicationStream, startTime: Date?, connection: NATSConnection, domain: String?,
         localNode: String, storage: StorageEngine, logger: Logger, applied: (@Sendable () -> Void)? = nil,
         takesSchema: @escaping @Sendable (String, String) -> Bool = { _, _ in true },
         schemaDatabases: @escaping @Sendable () -> [String] = { [] }) {
        self.schemaDatabases = schemaDatabases
        self.applied = applied
        self.peer = peer
        self.source = source
        self.startTime = startTime
        self.connection = connection
        self.domain = domain
        self.localNode = localNode
        self.storage = storage
        self.logger = logger
        self.takesSchema = takesSchema
        let thread = Thread { [self] in loop() }
        thread.name = "lyre-cluster-pull"
        thread.start()
    }

    var status: Status {
        state.withLock {
            Status(connected: $0.connected, applied: $0.applied, pending: $0.pending, lastStored: $0.lastStored,
                   lastError: $0.lastError, copies: $0.copies, copying: $0.copying)
        }
    }

    /// Stops pulling (within a second, or after the copy batch in hand) and waits. The
    /// durable position stays on the peer.
    func stop() {
        let first = state.withLock { s -> Bool in
            defer { s.stopped = true }
            return !s.stopped
        }
        guard first else { return }
        finished.wait()
    }

    private var isStopped: Bool { state.withLock { $0.stopped } }

    /// Schema changes: the databases subscribed to may have changed; copies the part of the
    /// peer's schema of any that lacks it (on the subscriber's thread, before its next fetch).
    func recheckSchemaCopies() {
        state.withLock { $0.recheckSchema = true }
    }

    /// Copies the part of the peer's schema of each database subscribed to that lacks it
    /// (never copied from this peer: missing here, or not noted by a copy). Applied as the
    /// stream's changes are, by their times, so it may come after the stream's position.
    private func copyOwedSchemaParts() throws {
        guard case .schema = source, state.withLock({ s -> Bool in
            defer { s.recheckSchema = false }
            return s.recheckSchema
        }) else { return }
        do {
            for database in schemaDatabases().sorted() where database != StorageEngine.systemDatabase {
                if isStopped { return }
                if let db = storage.database(database), try db.isSchemaCopied(from: peer) { continue }
                let (connection, peer) = (self.connection, self.peer)
                state.withLock { $0.copying = true }
                defer { state.withLock { $0.copying = false } }
                _ = try SchemaCopy(peer: peer, localNode: localNode, storage: storage, logger: logger, database: database,
                                   takes: takesSchema, isStopped: { [weak self] in self?.isStopped ?? true }) { bytes in
                    try connection.request(subject: NATSNames.copySubject(node: peer), data: bytes, timeout: TableCopy.requestTimeout)
                }.run()
                state.withLock { $0.copies += 1 }
            }
        } catch {
            state.withLock { $0.recheckSchema = true }
            throw error
        }
    }

    private var what: String {
        switch source {
        case .table(let table): "\(table.database).\(table.table)"
        case .schema: "schema changes"
        }
    }

    private func failed(_ error: any Error) {
        let text = "\(error)"
        let changed = state.withLock { s -> Bool in
            defer {
                s.connected = false
                s.lastError = text
            }
            return s.lastError != text
        }
        if changed { logger.warning("clustering: pulling \(what) from \(peer): \(text)") }
        Thread.sleep(forTimeInterval: 0.5)
    }

    /// What the loop knows about its place in the peer's stream.
    private struct Position {
        /// The next stream sequence this node needs (0: unknown, for the schema stream).
        var expected: UInt64 = 0
        /// The history is known to be incomplete: take a full copy before consuming.
        var needsCopy = false
        var lastGapCheck = Date()
        /// The consumer was just created and has delivered nothing applied yet.
        var fresh = true
    }

    /// The first stream sequence a batch skips — the batch's messages, in delivery order,
    /// continue `expected` without a hole (redeliveries of older messages may come first) —
    /// or nil. A replication stream has one subject and loses messages only from its front,
    /// so a skipped sequence is either gone from the stream (a purge, an age limit) or a
    /// delivery that did not arrive.
    static func firstMissing(_ sequences: [UInt64], expected: UInt64) -> UInt64? {
        guard expected > 0 else { return nil }
        var next = expected
        for sequence in sequences {
            if sequence > next { return next }
            next = max(next, sequence + 1)
        }
        return nil
    }

    /// Acknowledges an applied batch: one acknowledgement of its newest message, which the
    /// consumer's cumulative policy (`AckAll`) extends to every earlier one — the batch
    /// continues the position without a hole (`firstMissing`), so nothing unapplied is
    /// covered. One packet per batch instead of one per message through this node's leaf
    /// server, both hubs and the peer's leaf (Benchmarks/README.md, session 12).
    private func acknowledge(_ messages: [ReceivedMessage]) {
        try? messages.max(by: { $0.streamSequence < $1.streamSequence })?.ack()
    }

    private func loop() {
        defer { finished.signal() }
        let stream = source.name(node: peer)
        let subject = source.subject(node: peer)
        let durable = NATSNames.token(localNode)
        var consumer: PullConsumer?
        var position = Position()
        while !isStopped {
            if consumer == nil {
                do {
                    let jetStream = try connection.jetStream(domain: domain, timeout: .seconds(3))
                    consumer = try bind(jetStream, stream: stream, subject: subject, durable: durable, position: &position)
                } catch {
                    failed(error)
                    continue
                }
                if consumer == nil { continue }  // stopped during a copy
            }
            do {
                try copyOwedSchemaParts()
            } catch {
                failed(error)  // tried again before the next fetch; the stream goes on meanwhile
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
            let missing = Self.firstMissing(messages.map(\.streamSequence), expected: position.expected)
            if missing != nil || (messages.isEmpty && Date().timeIntervalSince(position.lastGapCheck) > Self.gapCheckInterval) {
                let needed = missing ?? position.expected
                position.lastGapCheck = Date()
                if hasGap(stream: stream, expected: needed) {
                    // Messages after the position gone from the stream: a full copy first.
                    logger.notice("clustering: \(what) from \(peer): the stream no longer holds what follows sequence \(needed &- 1), taking a full copy")
                    position.needsCopy = true
                    consumer = nil
                    continue
                }
                if let missing, !position.fresh {
                    // The stream holds a message this consumer skipped: a delivery lost on the
                    // way (a reconnection). Its batch is not applied, and the consumer is
                    // recreated at the position kept here, so that acknowledging what follows
                    // (cumulative) never acknowledges the lost one unapplied.
                    logger.notice("clustering: \(what) from \(peer): sequence \(missing) was not delivered, resuming from the position kept here")
                    consumer = nil
                    continue
                }
                // Else a new consumer starts at the first message the stream has from its start on.
            }
            if messages.isEmpty { continue }
            do {
                try apply(messages)
            } catch {
                // Asked again at once (JetStream redelivers before newer messages).
                for message in messages { try? message.nak() }
                failed(error)
                continue
            }
            applied?()
            acknowledge(messages)
            let last = messages[messages.count - 1]
            position.expected = max(position.expected, (messages.map(\.streamSequence).max() ?? 0) + 1)
            position.fresh = false
            state.withLock {
                $0.applied += UInt64(messages.count)
                $0.pending = last.pending
                $0.lastApplied = Date()
                $0.lastStored = Date(timeIntervalSince1970: Double(last.storedNanoseconds) / 1e9)
            }
        }
    }

    /// Whether the stream lost messages this node has not applied: its first sequence is past
    /// the expected one (a purge, an age limit), or it restarted below it (recreated).
    private func hasGap(stream: String, expected: UInt64) -> Bool {
        guard let jetStream = try? connection.jetStream(domain: domain, timeout: .seconds(3)),
              let info = try? jetStream.streamState(stream) else { return false }
        return info.firstSequence > expected || (expected > 1 && info.lastSequence + 1 < expected)
    }

    /// Binds the durable consumer after a full copy (of the table, or of the peer's schema:
    /// `TableCopy`, `SchemaCopy`) when the history is lacking here — never received, or the
    /// stream no longer holds what follows the position (purged, aged out or recreated) —
    /// else from the position kept here. The position, kept with what was applied, is the
    /// truth: the durable consumer (maybe behind it, or ahead when this node's data is older
    /// than its consumer) is recreated there; binding to the existing one is no option, as
    /// one made after a copy starts at a sequence and NATS refuses a bind whose start policy
    /// differs.
    /// - Returns: nil when stopped during a copy.
    private func bind(_ jetStream: JetStream, stream: String, subject: String, durable: String,
                      position: inout Position) throws -> PullConsumer? {
        let (connection, peer) = (self.connection, self.peer)
        let request: @Sendable ([UInt8]) throws -> [UInt8] = { bytes in
            try connection.request(subject: NATSNames.copySubject(node: peer), data: bytes, timeout: TableCopy.requestTimeout)
        }
        let stored: UInt64?
        let copy: () throws -> UInt64?
        switch source {
        case .table(let table):
            stored = try storage.database(table.database)?.replicationPosition(peer: peer, table: table.table)
            copy = { [self] in
                let point = try TableCopy(peer: peer, database: table.database, table: table.table, since: startTime,
                                          localNode: localNode, storage: storage, logger: logger,
                                          isStopped: { [weak self] in self?.isStopped ?? true }, request: request).run()
                if point != nil { applied?() }
                return point
            }
        case .schema:
            stored = try storage.database(StorageEngine.systemDatabase)?.replicationPosition(peer: peer, table: SchemaCopy.positionTable)
            copy = { [self] in
                if isStopped { return nil }
                return try SchemaCopy(peer: peer, localNode: localNode, storage: storage, logger: logger, takes: takesSchema,
                                      isStopped: { [weak self] in self?.isStopped ?? true }, request: request).run()
            }
        }
        let info = try jetStream.streamState(stream)
        var needsCopy = position.needsCopy || stored == nil
        if let stored, let info, info.firstSequence > stored + 1 || info.lastSequence < stored { needsCopy = true }
        let start: UInt64
        if needsCopy {
            state.withLock { $0.copying = true }
            defer { state.withLock { $0.copying = false } }
            guard let point = try copy() else { return nil }
            state.withLock { $0.copies += 1 }
            position.needsCopy = false
            start = point + 1
        } else {
            start = stored! + 1
        }
        try jetStream.deleteConsumer(stream: stream, durable: durable)
        position.expected = start
        position.fresh = true
        // Always created anew, so a consumer left by an older version (explicit
        // acknowledgements: JetStream cannot change a consumer's policy in place) is replaced
        // here at the first bind after an upgrade.
        return try jetStream.pullConsumer(stream: stream, filter: subject, durable: durable, start: .sequence(start), ackWait: Self.ackWait,
                                          acknowledgement: .cumulative)
    }

    private func apply(_ messages: [ReceivedMessage]) throws {
        let decoded = try messages.map { message -> (ReplicationMessage, String) in
            (try ReplicationMessage(decoding: message.data), message.header("origin") ?? peer)
        }
        switch source {
        case .schema:
            try applySchema(decoded)
            let last = messages.map(\.streamSequence).max() ?? 0
            try storage.database(StorageEngine.systemDatabase)?.writeSync { ctx in
                try ctx.setReplicationPosition(last, peer: self.peer, table: SchemaCopy.positionTable)
            }
        case .table(let table): try applyTable(table, decoded, last: messages.map(\.streamSequence).max() ?? 0)
        }
    }

    /// Applies a batch of a table's messages in one local transaction, with the position.
    private func applyTable(_ table: TableKey, _ decoded: [(ReplicationMessage, String)], last: UInt64) throws {
        let newest = decoded.map { message, _ in
            if case .put(let records) = message.change.kind {
                return records.compactMap { $0[TableDefinition.updatedTime]?.doubleValue }.max() ?? message.timestamp
            }
            return message.timestamp
        }.max() ?? 0
        // Nothing to do when everything is older than the database's drop here.
        guard let found = try storage.databaseForReplication(table.database, changedAt: newest) else { return }
        let (db, droppedAt) = found
        let localNode = self.localNode
        let peer = self.peer
        try db.writeSync { ctx in
            for (message, origin) in decoded {
                _ = try ctx.applyRemote(message.change, timestamp: message.timestamp, origin: origin, localNode: localNode,
                                        primaryKey: message.primaryKey, databaseDroppedAt: droppedAt)
            }
            if last > 0 { try ctx.setReplicationPosition(last, peer: peer, table: table.table) }
        }
    }

    /// Applies schema changes one by one, those of databases and tables this node takes
    /// (`SchemaChanges.apply`, the rule a schema copy's changes follow too).
    private func applySchema(_ decoded: [(ReplicationMessage, String)]) throws {
        let entries = decoded.compactMap { message, origin -> SchemaChanges.Entry? in
            guard case .schema(let change) = message.change.kind else { return nil }
            return SchemaChanges.Entry(database: message.database, table: message.table, change: change, time: message.timestamp,
                                       origin: origin)
        }
        try SchemaChanges.apply(entries, grouped: false, storage: storage, localNode: localNode, takes: takesSchema)
    }
}
