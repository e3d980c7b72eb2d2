package import LyreCore

/// Deleted records' primary keys with the time of their deletion, so a write from another
/// node that is older than the delete cannot bring the record back (replication's
/// last-writer-wins). One DBI per database (`__tombstones`), key `table · 00 · primary key`,
/// value the deletion time (8 big-endian bytes of the double). Written only while the
/// database has a commit observer (clustering on).
enum Tombstones {
    static let dbiName = "__tombstones"

    static func key(_ table: String, _ primaryKey: [UInt8]) -> [UInt8] {
        Array(table.utf8) + [0] + primaryKey
    }

    static func put(_ table: String, key: [UInt8], at time: Double, in context: WriteContext) throws {
        let dbi = try dbi(context)
        if let existing = try get(table, key: key, in: context), existing >= time { return }
        _ = try context.transaction.put(dbi, Self.key(table, key), withUnsafeBytes(of: time.bitPattern.bigEndian) { Array($0) })
    }

    static func get(_ table: String, key: [UInt8], in context: WriteContext) throws -> Double? {
        guard let bytes = try context.transaction.get(dbi(context), Self.key(table, key)), bytes.count == 8 else { return nil }
        var bits: UInt64 = 0
        for b in bytes { bits = bits << 8 | UInt64(b) }
        return Double(bitPattern: bits)
    }

    static func dbi(_ context: WriteContext) throws -> DBI {
        guard let dbi = try context.transaction.openDBI(dbiName, create: true, dupSort: false) else { throw LyreError.internalError() }
        return dbi
    }
}

/// What applying another node's change did.
package struct RemoteApplyResult: Sendable, Equatable {
    /// Records written or deleted.
    package var applied = 0
    /// Records left alone because the local state is newer (or a newer delete).
    package var skipped = 0
    package init() {}
}

extension WriteContext {
    /// Applies a change committed on another node, record by record, last writer wins:
    /// a record's time is its `__updatedtime__` (a delete's, the deleting group's
    /// `timestamp`); the newer wins, and on equal times the greater node name. A record
    /// older than a tombstone is not written, nor one older than the drop of its table or
    /// database (`DropMarkers`); an attribute dropped after a record was written is taken
    /// out of it. Applying the same change twice changes nothing more (idempotent). Not
    /// gathered for the commit observer: a node never republishes what it received.
    /// - Parameters:
    ///   - timestamp: the origin group's commit time (ms).
    ///   - origin: the node that made the change; `localNode`: this node (for ties).
    ///   - primaryKey: the origin table's primary key: a table missing here is created with
    ///     it when the change writes records newer than any drop (nil: a missing table throws).
    ///   - databaseDroppedAt: when this database was last dropped (`StorageEngine.databaseDroppedAt`).
    /// - Throws: `LyreError.tableNotFound`, invalid primary keys, storage failures.
    package mutating func applyRemote(_ change: CommittedChange, timestamp: Double, origin: String, localNode: String,
                                      primaryKey: String? = nil, databaseDroppedAt: Double? = nil) throws -> RemoteApplyResult {
        let saved = changes
        changes = nil
        defer { changes = saved }
        var floor = databaseDroppedAt ?? -.infinity
        if let dropped = try DropMarkers.get(DropMarkers.tableKey(change.table), in: self) { floor = max(floor, dropped) }
        var result = RemoteApplyResult()
        func time(_ record: JSONObject) -> Double { record[TableDefinition.updatedTime]?.doubleValue ?? timestamp }
        func localWins(_ localTime: Double, over incoming: Double) -> Bool {
            localTime > incoming || (localTime == incoming && localNode > origin)
        }
        switch change.kind {
        case .schema(let schema):
            return try applyRemoteSchema(schema, table: change.table, timestamp: timestamp, floor: floor)
        case .put(var records):
            let count = records.count
            let deletedBefore = try DropMarkers.deletedBefore(of: change.table, in: self)
            records.removeAll { record in
                time(record) <= floor || deletedBefore.contains {
                    $0.covers(created: record[TableDefinition.createdTime]?.doubleValue, updated: time(record))
                }
            }
            result.skipped = count - records.count
            if records.isEmpty { return result }
            if catalog.tables[change.table] == nil {
                guard let primaryKey else { throw LyreError.tableNotFound(catalog.name, change.table) }
                _ = try createTable(change.table, primaryKey: primaryKey)
            }
            let droppedAttributes = try DropMarkers.attributes(of: change.table, in: self)
            if !droppedAttributes.isEmpty {
                for i in records.indices {
                    let recordTime = time(records[i])
                    for (name, dropped) in droppedAttributes where recordTime <= dropped { records[i].removeValue(forKey: name) }
                }
            }
            guard var table = catalog.tables[change.table] else { throw LyreError.tableNotFound(catalog.name, change.table) }
            if !table.schemaDefined, let names = Self.unknownAttributes(in: records, of: table) {
                try addAttributes(names, to: table.name)
                table = catalog.tables[change.table]!
            }
            for record in records {
                guard let id = record[table.primaryKey] else { continue }
                let key = try Self.encodePrimaryKey(id)
                let incoming = time(record)
                let existing = try self.record(in: table, key: key)
                if let existing {
                    if localWins(existing[TableDefinition.updatedTime]?.doubleValue ?? 0, over: incoming) {
                        result.skipped += 1
                        continue
                    }
                } else if let deleted = try Tombstones.get(table.name, key: key, in: self), localWins(deleted, over: incoming) {
                    result.skipped += 1
                    continue
                }
                try put(record, key: key, previous: existing, in: table)
                try renewExpiry(of: key, in: table)
                result.applied += 1
            }
            if result.applied > 0 { touch(table.name) }
        case .delete(let ids):
            guard timestamp > floor else {
                result.skipped = ids.count
                return result
            }
            let table = catalog.tables[change.table]
            for id in ids {
                guard let key = KeyCodec.encode(id), key.count <= KeyCodec.maximumKeySize else { continue }
                if let table, let existing = try record(in: table, key: key) {
                    if localWins(existing[TableDefinition.updatedTime]?.doubleValue ?? 0, over: timestamp) {
                        result.skipped += 1
                        continue
                    }
                    try removeIndexEntries(of: existing, key: key, in: table)
                    try transaction.delete(table.records, key)
                    try removeExpiry(of: key, in: table)
                    result.applied += 1
                }
                // Also for a table not here (yet): an older write of the record arriving later stays out.
                try Tombstones.put(change.table, key: key, at: timestamp, in: self)
            }
            if result.applied > 0, let table { touch(table.name) }
        }
        return result
    }

    /// Whether a drop (or `delete_records_before`) at `time` has been applied here already:
    /// this node holds its marker at that time or later. Everything older was removed then,
    /// and what is here now came after it (newer records, or a table or attribute created
    /// here since), so it is not applied again: a schema copy, which carries the peer's
    /// markers every time it runs, would otherwise remove a table created here since.
    static func isApplied(_ key: [UInt8], at time: Double, in context: WriteContext) throws -> Bool {
        guard let existing = try DropMarkers.get(key, in: context) else { return false }
        return existing >= time
    }

    /// Applies a table's schema change made on another node at `timestamp`, last writer
    /// wins: a creation older than a drop here is ignored; a drop removes what is older
    /// than it (the whole table or attribute when nothing here is newer) and leaves a marker;
    /// a drop whose marker (at its time or later) is here already changes nothing.
    private mutating func applyRemoteSchema(_ change: SchemaChange, table name: String, timestamp: Double, floor: Double) throws -> RemoteApplyResult {
        var result = RemoteApplyResult()
        func time(_ record: JSONObject) -> Double { record[TableDefinition.updatedTime]?.doubleValue ?? 0 }
        switch change {
        case .createDatabase, .dropDatabase:
            break  // the engine's (`StorageEngine.applyRemoteDatabaseChange`)
        case .createTable(let definition):
            guard timestamp > floor else {
                result.skipped = 1
                return result
            }
            let droppedAttributes = try DropMarkers.attributes(of: name, in: self)
            let attributes = (definition["attributes"]?.arrayValue ?? []).compactMap { value -> AttributeDefinition? in
                guard let attribute = value.objectValue, let attributeName = attribute["name"]?.stringValue,
                      (droppedAttributes[attributeName] ?? -.infinity) < timestamp else { return nil }
                return AttributeDefinition(name: attributeName, id: UInt16(clamping: attribute["id"]?.intValue ?? 0),
                                           indexed: attribute["indexed"]?.boolValue ?? true,
                                           isPrimaryKey: attribute["is_primary_key"]?.boolValue ?? false,
                                           type: attribute["type"]?.stringValue)
            }
            if catalog.tables[name] == nil {
                guard let primaryKey = definition["primary_key"]?.stringValue else { throw LyreError.internalError() }
                let schemaDefined = definition["schema_defined"]?.boolValue ?? false
                _ = try createTable(name, primaryKey: primaryKey, schemaDefined: schemaDefined,
                                    audit: definition["audit"]?.boolValue ?? true,
                                    expiration: definition["expiration"]?.intValue.map { Int($0) },
                                    declaredAttributes: schemaDefined ? attributes : [])
                result.applied = 1
            }
            guard let table = catalog.tables[name] else { return result }
            if table.schemaDefined {
                // A definition split across a schema copy's batches: the rest of its declared attributes.
                guard definition["continued"]?.boolValue == true else { return result }
                if try addDeclaredAttributes(attributes, to: name) > 0 { result.applied = 1 }
                return result
            }
            for attribute in attributes where table.attribute(attribute.name) == nil {
                try addAttributes([attribute.name], to: name, indexed: attribute.indexed)
                result.applied = 1
            }
        case .dropTable:
            guard try !Self.isApplied(DropMarkers.tableKey(name), at: timestamp, in: self) else { return result }
            try DropMarkers.put(DropMarkers.tableKey(name), at: timestamp, in: self)
            guard let table = catalog.tables[name] else { return result }
            // Records written here after the drop (before it arrived) keep the table.
            var newer = false
            var older: [([UInt8], JSONObject)] = []
            try transaction.withCursor(table.records) { cursor in
                var entry = try cursor.first()
                while let e = entry {
                    let record = try RecordCodec.decode(e.value)
                    if time(record) > timestamp { newer = true } else { older.append((Array(e.key), record)) }
                    entry = try cursor.next()
                }
            }
            if newer {
                for (key, record) in older {
                    try removeIndexEntries(of: record, key: key, in: table)
                    try transaction.delete(table.records, key)
                }
                if !older.isEmpty { touch(name) }
            } else {
                try removeTable(name)
            }
            result.applied = 1
        case .createAttribute(let attribute, let indexed):
            guard catalog.tables[name] != nil,
                  (try DropMarkers.get(DropMarkers.attributeKey(name, attribute), in: self) ?? -.infinity) < timestamp else { return result }
            result.applied = try addAttributes([attribute], to: name, indexed: indexed).count
        case .deleteRecordsBefore(let cutoff):
            guard try !Self.isApplied(DropMarkers.deletedBeforeKey(name, cutoff: cutoff), at: timestamp, in: self) else { return result }
            try DropMarkers.put(DropMarkers.deletedBeforeKey(name, cutoff: cutoff), at: timestamp, in: self)
            guard timestamp > floor, let table = catalog.tables[name] else { return result }
            result.applied = try deleteRecords(of: table, under: DropMarkers.DeletedBefore(cutoff: cutoff, time: timestamp))
        case .dropAttribute(let attribute):
            guard try !Self.isApplied(DropMarkers.attributeKey(name, attribute), at: timestamp, in: self) else { return result }
            try DropMarkers.put(DropMarkers.attributeKey(name, attribute), at: timestamp, in: self)
            guard let table = catalog.tables[name], table.attribute(attribute) != nil else { return result }
            // Taken out of the records older than the drop; kept while a newer record has it.
            var kept = false
            try rewriteRecords(of: table) { record in
                guard record[attribute] != nil else { return false }
                if time(record) > timestamp {
                    kept = true
                    return false
                }
                record.removeValue(forKey: attribute)
                return true
            }
            if !kept { try removeAttribute(attribute, from: name, removeFromRecords: false) }
            result.applied = 1
        }
        return result
    }
}

// MARK: delete_records_before

extension WriteContext {
    /// `delete_records_before` on this node: with replication on, leaves the table's marker
    /// (cutoff, now) and gathers the change, so that every node deletes what it holds under
    /// it and skips what arrives under it later (`applyRemote`). The records this node holds
    /// are deleted by the caller (in batches, published as deletes).
    package mutating func noteDeleteRecordsBefore(_ cutoff: Double, in tableName: String) throws {
        guard catalog.tables[tableName] != nil else { throw LyreError.tableNotFound(catalog.name, tableName) }
        guard keepsTombstones else { return }
        try DropMarkers.put(DropMarkers.deletedBeforeKey(tableName, cutoff: cutoff), at: now, in: self)
        gather(CommittedChange(table: tableName, kind: .schema(.deleteRecordsBefore(cutoff))))
    }

    /// Deletes the table's records under the marker, each leaving a tombstone at the
    /// marker's time (a write of the record newer than the operation still wins). Returns how many.
    mutating func deleteRecords(of table: TableDefinition, under marker: DropMarkers.DeletedBefore) throws -> Int {
        var doomed: [([UInt8], JSONObject)] = []
        try transaction.withCursor(table.records) { cursor in
            var entry = try cursor.first()
            while let e = entry {
                let record = try RecordCodec.decode(e.value)
                if marker.covers(created: record[TableDefinition.createdTime]?.doubleValue,
                                 updated: record[TableDefinition.updatedTime]?.doubleValue ?? 0) {
                    doomed.append((Array(e.key), record))
                }
                entry = try cursor.next()
            }
        }
        for (key, record) in doomed {
            try removeIndexEntries(of: record, key: key, in: table)
            try transaction.delete(table.records, key)
            try removeExpiry(of: key, in: table)
            try Tombstones.put(table.name, key: key, at: marker.time, in: self)
        }
        if !doomed.isEmpty { touch(table.name) }
        return doomed.count
    }
}

// MARK: Replication positions

extension WriteContext {
    private static func positionKey(peer: String, table: String) -> [UInt8] {
        Array("replicated:".utf8) + Array(peer.utf8) + [0] + Array(table.utf8)
    }

    /// The last stream sequence of `peer`'s stream of `table` applied here (written with
    /// the changes it applied), or nil when this node never received that table from that peer.
    package func replicationPosition(peer: String, table: String) throws -> UInt64? {
        guard let bytes = try transaction.get(metaDBI(), Self.positionKey(peer: peer, table: table)), bytes.count == 8 else { return nil }
        return bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// Records that `peer`'s stream of `table` is applied up to `sequence` (never moves back
    /// unless `reset`).
    package mutating func setReplicationPosition(_ sequence: UInt64, peer: String, table: String, reset: Bool = false) throws {
        if !reset, let current = try replicationPosition(peer: peer, table: table), current >= sequence { return }
        _ = try transaction.put(metaDBI(), Self.positionKey(peer: peer, table: table), withUnsafeBytes(of: sequence.bigEndian) { Array($0) })
    }
}

// MARK: Full copies and tombstone expiry

/// One batch of a table's full copy (`Database.copyBatch`): records or tombstones in
/// primary-key order, and the key to continue after (nil: this part is done).
package struct CopyBatch: Sendable {
    package var records: [JSONObject] = []
    /// Deleted primary keys with their deletion times.
    package var tombstones: [(id: Value, time: Double)] = []
    package var next: Value?

    package init() {}
}

extension WriteContext {
    /// Up to `limit` tombstones of `table` after the primary key `after`, deleted at or
    /// after `since`.
    package func tombstones(of table: String, after: Value?, since: Double?, limit: Int) throws -> CopyBatch {
        let prefix = Array(table.utf8) + [0]
        var batch = CopyBatch()
        var start = prefix
        if let after, let key = KeyCodec.encode(after) { start += key }
        try transaction.withCursor(Tombstones.dbi(self)) { cursor in
            var entry = try cursor.seek(atOrAfter: start)
            var examined = 0
            while let e = entry, e.key.starts(with: prefix) {
                if examined >= limit { return }
                examined += 1
                let keyBytes = UnsafeRawBufferPointer(rebasing: e.key[prefix.count...])
                if let after, Array(keyBytes) == KeyCodec.encode(after) {
                    entry = try cursor.next()
                    continue
                }
                let id = try KeyCodec.decode(keyBytes)
                batch.next = id
                if let time = DropMarkers.decode(e.value), time >= since ?? -.infinity { batch.tombstones.append((id, time)) }
                entry = try cursor.next()
            }
            batch.next = nil
        }
        return batch
    }

    /// Removes up to `limit` tombstones and drop markers older than `cutoff`, examining
    /// entries from `after` on in one of the two DBIs (0: tombstones, 1: drop markers).
    /// - Returns: how many were removed, and where to go on (nil: both DBIs done).
    package mutating func expireTombstones(olderThan cutoff: Double, from position: TombstoneSweep, limit: Int) throws -> (removed: Int, next: TombstoneSweep?) {
        let dbi = try position.markers ? DropMarkers.dbi(transaction) : Tombstones.dbi(self)
        var expired: [[UInt8]] = []
        var last: [UInt8]?
        var done = false
        try transaction.withCursor(dbi) { cursor in
            var entry = try position.after.map { after -> Cursor.Entry? in
                let at = try cursor.seek(atOrAfter: after)
                if let at, Array(at.key) == after { return try cursor.next() }
                return at
            } ?? cursor.first()
            var examined = 0
            while let e = entry {
                if examined >= limit { return }
                examined += 1
                last = Array(e.key)
                if let time = DropMarkers.decode(e.value), time < cutoff { expired.append(Array(e.key)) }
                entry = try cursor.next()
            }
            done = true
        }
        for key in expired { try transaction.delete(dbi, key) }
        let removed = expired.count
        if !done, let last { return (removed, TombstoneSweep(markers: position.markers, after: last)) }
        return (removed, position.markers ? nil : TombstoneSweep(markers: true, after: nil))
    }

    /// Tombstones and drop markers held.
    package func tombstoneCount() throws -> Int {
        try transaction.read.count(Tombstones.dbi(self)) + transaction.read.count(DropMarkers.dbi(transaction))
    }
}

/// Where a tombstone sweep goes on (`WriteContext.expireTombstones`).
package struct TombstoneSweep: Sendable, Equatable {
    /// In the drop markers (else the tombstones).
    package var markers: Bool
    /// The last key examined (nil: from the start).
    package var after: [UInt8]?

    package init(markers: Bool = false, after: [UInt8]? = nil) {
        self.markers = markers
        self.after = after
    }
}

extension WriteContext {
    /// Runs `body` with nothing gathered for the commit observer (what another node sent is
    /// applied, never published again); tombstones and drop markers are still kept.
    package mutating func replaying<T>(_ body: (inout WriteContext) throws -> T) rethrows -> T {
        let saved = changes
        changes = nil
        defer { changes = saved }
        return try body(&self)
    }

    /// Records a database's change in this (the `system` database's) group: kept in its
    /// outbox and published when replication observes it; a drop also leaves its marker.
    mutating func noteDatabaseChange(_ change: SchemaChange, at time: Double? = nil) throws {
        if case .dropDatabase(let name) = change, keepsTombstones {
            try DropMarkers.put(DropMarkers.databaseKey(name), at: time ?? now, in: self)
        }
        gather(CommittedChange(table: "", kind: .schema(change)))
    }

    /// When a database was last dropped (read in the `system` database).
    func databaseDroppedAt(_ name: String) throws -> Double? {
        try DropMarkers.get(DropMarkers.databaseKey(name), in: self)
    }
}

extension WriteContext {
    /// The database drop markers (of the `system` database): name → time.
    func databaseDrops() throws -> [String: Double] {
        try transaction.withCursor(DropMarkers.dbi(transaction)) { cursor in
            var out: [String: Double] = [:]
            var entry = try cursor.seek(atOrAfter: [0])
            while let e = entry, e.key.first == 0 {
                if let time = DropMarkers.decode(e.value) { out[String(decoding: e.key.dropFirst(), as: UTF8.self)] = time }
                entry = try cursor.next()
            }
            return out
        }
    }
}
