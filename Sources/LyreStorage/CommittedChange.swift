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

    package init(database: String, timestamp: Double, changes: [CommittedChange]) {
        self.database = database
        self.timestamp = timestamp
        self.changes = changes
    }
}

/// Receives every committed group with changes, on the writer thread, in commit order,
/// right after the commit. It must only hand the group over (to a queue) and return: the
/// next group of the database waits for it.
package typealias CommitObserver = @Sendable (CommittedGroup) -> Void
