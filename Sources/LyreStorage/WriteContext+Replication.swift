import LyreCore

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

    private static func dbi(_ context: WriteContext) throws -> DBI {
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
    /// older than a tombstone is not written. Applying the same change twice changes
    /// nothing more (idempotent). Not gathered for the commit observer: a node never
    /// republishes what it received.
    /// - Parameters:
    ///   - timestamp: the origin group's commit time (ms).
    ///   - origin: the node that made the change; `localNode`: this node (for ties).
    /// - Throws: `LyreError.tableNotFound`, invalid primary keys, storage failures.
    package mutating func applyRemote(_ change: CommittedChange, timestamp: Double, origin: String, localNode: String) throws -> RemoteApplyResult {
        guard var table = catalog.tables[change.table] else { throw LyreError.tableNotFound(catalog.name, change.table) }
        var result = RemoteApplyResult()
        let saved = changes
        changes = nil
        defer { changes = saved }
        func localWins(_ localTime: Double, over incoming: Double) -> Bool {
            localTime > incoming || (localTime == incoming && localNode > origin)
        }
        switch change.kind {
        case .put(let records):
            if !table.schemaDefined, let names = Self.unknownAttributes(in: records, of: table) {
                try addAttributes(names, to: table.name)
                table = catalog.tables[change.table]!
            }
            for record in records {
                guard let id = record[table.primaryKey] else { continue }
                let key = try Self.encodePrimaryKey(id)
                let incoming = record[TableDefinition.updatedTime]?.doubleValue ?? timestamp
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
        case .delete(let ids):
            for id in ids {
                guard let key = KeyCodec.encode(id), key.count <= KeyCodec.maximumKeySize else { continue }
                if let existing = try record(in: table, key: key) {
                    if localWins(existing[TableDefinition.updatedTime]?.doubleValue ?? 0, over: timestamp) {
                        result.skipped += 1
                        continue
                    }
                    try removeIndexEntries(of: existing, key: key, in: table)
                    try transaction.delete(table.records, key)
                    try removeExpiry(of: key, in: table)
                    result.applied += 1
                }
                try Tombstones.put(table.name, key: key, at: timestamp, in: self)
            }
        }
        if result.applied > 0 { touch(table.name) }
        return result
    }
}
