package import LyreCore

/// One record change of a committed group, as the commit observer sees it.
package struct CommittedChange: Sendable {
    package enum Kind: Sendable {
        /// Records written (insert, update, upsert: the whole records as stored).
        case put([JSONObject])
        /// Records deleted, by primary key.
        case delete([Value])
    }

    package var table: String
    package var kind: Kind

    package init(table: String, kind: Kind) {
        self.table = table
        self.kind = kind
    }
}

/// A committed group of one database: its changes in the order they were made, and the
/// group's commit timestamp (ms since the epoch; deletes happened at this time).
package struct CommittedGroup: Sendable {
    package var database: String
    package var timestamp: Double
    package var changes: [CommittedChange]
    /// The group's key in the database's outbox (`Outbox`), until `Database.acknowledgeOutbox`
    /// removes it; unique and increasing per database, across restarts.
    package var outboxKey: UInt64?

    package init(database: String, timestamp: Double, changes: [CommittedChange], outboxKey: UInt64? = nil) {
        self.database = database
        self.timestamp = timestamp
        self.changes = changes
        self.outboxKey = outboxKey
    }
}

/// A database's commit observer with the tables it wants kept durably: their changes are
/// written to the outbox in the same transaction as the changes themselves, so a crash
/// between the commit and whatever the observer does with them loses nothing.
package struct CommitObservation: Sendable {
    package let observe: CommitObserver
    /// Whether a table's changes are observed (and kept in the outbox).
    package let observes: @Sendable (_ database: String, _ table: String) -> Bool

    package init(observes: @escaping @Sendable (_ database: String, _ table: String) -> Bool,
                 observe: @escaping CommitObserver) {
        self.observes = observes
        self.observe = observe
    }
}

/// Receives every committed group with changes of observed tables, on the writer thread,
/// in commit order, right after the commit. It must only hand the group over (to a queue) and return: the
/// next group of the database waits for it.
package typealias CommitObserver = @Sendable (CommittedGroup) -> Void
