package import LyreCore

/// One record change of a committed group, as the commit observer sees it.
package struct CommittedChange: Sendable {
    package enum Kind: Sendable {
        /// Records written (insert, update, upsert: the whole records as stored).
        case put([JSONObject])
        /// Records deleted, by primary key.
        case delete([Value])
        /// A change of the schema (`SchemaChange`); for a table's change `table` names it,
        /// for a database's it is empty.
        case schema(SchemaChange)
    }

    package var table: String
    package var kind: Kind
    /// For `.put`, the records as stored (`RecordCodec.encode`, same order), when the writer
    /// has them: the outbox and the replication message embed these bytes instead of
    /// encoding the records again. Nil after a change was decoded (an outbox read at start).
    package var encodedRecords: [[UInt8]]?

    package init(table: String, kind: Kind, encodedRecords: [[UInt8]]? = nil) {
        self.table = table
        self.kind = kind
        self.encodedRecords = encodedRecords
    }

    /// Appends `other`'s records or keys when both are puts or both deletes (of any table:
    /// the caller compares tables); false otherwise. In place: a group's consecutive
    /// single-record inserts merge in linear time.
    package mutating func merge(_ other: CommittedChange) -> Bool {
        switch other.kind {
        case .put(let more):
            guard case .put(var records) = kind else { return false }
            kind = .put([])  // `records` is then the array's only reference: appended in place
            records.append(contentsOf: more)
            kind = .put(records)
            if let otherEncoded = other.encodedRecords, encodedRecords != nil {
                encodedRecords!.append(contentsOf: otherEncoded)
            } else {
                encodedRecords = nil
            }
            return true
        case .delete(let more):
            guard case .delete(var ids) = kind else { return false }
            kind = .delete([])
            ids.append(contentsOf: more)
            kind = .delete(ids)
            return true
        case .schema:
            return false
        }
    }
}

/// A schema change as replication carries it (`create_table`, `drop_attribute`...). A
/// table's changes concern the group's database and the change's `table`; a database's
/// changes (`createDatabase`, `dropDatabase`) are kept in the `system` database's outbox and
/// name their database themselves.
package enum SchemaChange: Sendable, Equatable {
    case createDatabase(String)
    case dropDatabase(String)
    /// A table created, with its definition (`TableDefinition.catalogEntry`'s fields:
    /// `primary_key`, `schema_defined`, `audit`, `expiration`, `attributes`).
    case createTable(JSONObject)
    case dropTable
    case createAttribute(String, indexed: Bool)
    case dropAttribute(String)
    /// `delete_records_before`: the table's records created before the cutoff (ms since
    /// the epoch) and not updated after the operation are deleted (`DropMarkers.deletedBefore`).
    case deleteRecordsBefore(Double)

    /// The change as a value (the outbox's and the wire's form).
    package var value: JSONObject {
        var o = JSONObject()
        switch self {
        case .createDatabase(let name):
            o["op"] = "create_database"
            o["database"] = .string(name)
        case .dropDatabase(let name):
            o["op"] = "drop_database"
            o["database"] = .string(name)
        case .createTable(let definition):
            o["op"] = "create_table"
            o["definition"] = .object(definition)
        case .dropTable:
            o["op"] = "drop_table"
        case .createAttribute(let name, let indexed):
            o["op"] = "create_attribute"
            o["attribute"] = .string(name)
            o["indexed"] = .bool(indexed)
        case .dropAttribute(let name):
            o["op"] = "drop_attribute"
            o["attribute"] = .string(name)
        case .deleteRecordsBefore(let cutoff):
            o["op"] = "delete_records_before"
            o["cutoff"] = .double(cutoff)
        }
        return o
    }

    /// - Returns: nil when the value is not a schema change.
    package init?(_ o: JSONObject) {
        switch o["op"]?.stringValue {
        case "create_database"?: guard let name = o["database"]?.stringValue else { return nil }; self = .createDatabase(name)
        case "drop_database"?: guard let name = o["database"]?.stringValue else { return nil }; self = .dropDatabase(name)
        case "create_table"?: guard let definition = o["definition"]?.objectValue else { return nil }; self = .createTable(definition)
        case "drop_table"?: self = .dropTable
        case "create_attribute"?:
            guard let name = o["attribute"]?.stringValue else { return nil }
            self = .createAttribute(name, indexed: o["indexed"]?.boolValue ?? true)
        case "drop_attribute"?: guard let name = o["attribute"]?.stringValue else { return nil }; self = .dropAttribute(name)
        case "delete_records_before"?: guard let cutoff = o["cutoff"]?.doubleValue else { return nil }; self = .deleteRecordsBefore(cutoff)
        default: return nil
        }
    }

    /// The database a database's change names (nil for a table's change).
    package var databaseName: String? {
        switch self {
        case .createDatabase(let name), .dropDatabase(let name): name
        default: nil
        }
    }
}

extension CommittedChange {
    /// Whether this is a schema change (kept and published whenever replication observes
    /// the database, whatever the table subscriptions say).
    package var isSchema: Bool {
        if case .schema = kind { return true }
        return false
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
