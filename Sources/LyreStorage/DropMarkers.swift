import LyreCore

/// The times at which tables, attributes and databases were dropped, so that changes older
/// than a drop that arrive later from another node (whose streams are not ordered with the
/// schema's) cannot bring back what was dropped (replication's last-writer-wins for the
/// schema). One DBI per database (`__dropped`), value the drop time (8 big-endian bytes of
/// the double), keys:
/// - `table`: the table was dropped;
/// - `table · 00 · attribute`: the attribute was dropped;
/// - `00 · database` (in the `system` database only): the database was dropped;
/// - `01 · table · 00 · cutoff` (8 bytes): `delete_records_before` with that cutoff ran on
///   the table at the marker's time (`deletedBefore`).
///
/// Written only while replication observes the database (clustering on), like tombstones,
/// and removed with them after the retention (`WriteContext.expireTombstones`).
enum DropMarkers {
    static let dbiName = "__dropped"

    static func tableKey(_ table: String) -> [UInt8] { Array(table.utf8) }
    static func attributeKey(_ table: String, _ attribute: String) -> [UInt8] { Array(table.utf8) + [0] + Array(attribute.utf8) }
    static func databaseKey(_ database: String) -> [UInt8] { [0] + Array(database.utf8) }
    static func deletedBeforeKey(_ table: String, cutoff: Double) -> [UInt8] { [1] + Array(table.utf8) + [0] + encode(cutoff) }

    /// A table's `delete_records_before` markers: a record created before `cutoff` whose
    /// `__updatedtime__` is not after `time` was deleted by it, wherever it is or arrives later.
    struct DeletedBefore: Equatable {
        var cutoff: Double
        var time: Double

        /// Whether a record with these times falls under the marker.
        func covers(created: Double?, updated: Double) -> Bool {
            guard let created else { return false }
            return created < cutoff && updated <= time
        }
    }

    static func deletedBefore(of table: String, in context: WriteContext) throws -> [DeletedBefore] {
        let prefix = [1] + Array(table.utf8) + [0]
        return try context.transaction.withCursor(dbi(context.transaction)) { cursor in
            var out: [DeletedBefore] = []
            var entry = try cursor.seek(atOrAfter: prefix)
            while let e = entry, e.key.starts(with: prefix) {
                if let cutoff = decode(UnsafeRawBufferPointer(rebasing: e.key[prefix.count...])), let time = decode(e.value) {
                    out.append(DeletedBefore(cutoff: cutoff, time: time))
                }
                entry = try cursor.next()
            }
            return out
        }
    }

    static func dbi(_ transaction: WriteTransaction) throws -> DBI {
        guard let dbi = try transaction.openDBI(dbiName, create: true, dupSort: false) else { throw LyreError.internalError() }
        return dbi
    }

    /// Records a drop at `time` (a later time replaces an earlier one, never the reverse).
    static func put(_ key: [UInt8], at time: Double, in context: WriteContext) throws {
        if let existing = try get(key, in: context.transaction.read, dbi: dbi(context.transaction)), existing >= time { return }
        _ = try context.transaction.put(dbi(context.transaction), key, encode(time))
    }

    static func get(_ key: [UInt8], in context: WriteContext) throws -> Double? {
        try get(key, in: context.transaction.read, dbi: dbi(context.transaction))
    }

    static func get(_ key: [UInt8], in transaction: ReadTransaction, dbi: DBI) throws -> Double? {
        guard let bytes = try transaction.get(dbi, key) else { return nil }
        return decode(bytes)
    }

    /// The attribute drops of one table: attribute → time.
    static func attributes(of table: String, in context: WriteContext) throws -> [String: Double] {
        let prefix = tableKey(table) + [0]
        return try context.transaction.withCursor(dbi(context.transaction)) { cursor in
            var out: [String: Double] = [:]
            var entry = try cursor.seek(atOrAfter: prefix)
            while let e = entry, e.key.starts(with: prefix) {
                if let time = decode(e.value) { out[String(decoding: e.key.dropFirst(prefix.count), as: UTF8.self)] = time }
                entry = try cursor.next()
            }
            return out
        }
    }

    static func encode(_ time: Double) -> [UInt8] { withUnsafeBytes(of: time.bitPattern.bigEndian) { Array($0) } }

    static func decode(_ bytes: UnsafeRawBufferPointer) -> Double? {
        guard bytes.count == 8 else { return nil }
        var bits: UInt64 = 0
        for b in bytes { bits = bits << 8 | UInt64(b) }
        return Double(bitPattern: bits)
    }
}

/// A drop or `delete_records_before` marker as the schema change that left it, at its time:
/// a full schema copy (`SchemaCopy`) carries a peer's markers, and the receiving node applies
/// each as that change received from the peer's schema stream (so a node joining after the
/// stream lost the change still learns it).
package struct ReplicatedMarker: Sendable, Equatable {
    /// The table (empty for a database's drop).
    package var table: String
    package var change: SchemaChange
    /// When the drop or the operation happened (ms).
    package var time: Double

    package init(table: String, change: SchemaChange, time: Double) {
        self.table = table
        self.change = change
        self.time = time
    }

    /// The marker a `__dropped` entry holds, nil for one that is not replicated here (in the
    /// `system` database only database drops are; elsewhere a database's drop never is) or
    /// that cannot be read.
    static func decode(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, inSystem: Bool) -> ReplicatedMarker? {
        guard let time = DropMarkers.decode(value), let first = key.first else { return nil }
        if first == 0 {
            guard inSystem, key.count > 1 else { return nil }
            return ReplicatedMarker(table: "", change: .dropDatabase(String(decoding: key.dropFirst(), as: UTF8.self)), time: time)
        }
        if inSystem { return nil }
        if first == 1 {
            guard key.count > 10, key[key.count - 9] == 0,
                  let cutoff = DropMarkers.decode(UnsafeRawBufferPointer(rebasing: key[(key.count - 8)...])) else { return nil }
            let table = String(decoding: key[1..<(key.count - 9)], as: UTF8.self)
            return ReplicatedMarker(table: table, change: .deleteRecordsBefore(cutoff), time: time)
        }
        if let zero = key.firstIndex(of: 0) {
            return ReplicatedMarker(table: String(decoding: key[..<zero], as: UTF8.self),
                                    change: .dropAttribute(String(decoding: key[(zero + 1)...], as: UTF8.self)), time: time)
        }
        return ReplicatedMarker(table: String(decoding: key, as: UTF8.self), change: .dropTable, time: time)
    }
}

/// One batch of a database's markers (`Database.markerBatch`): every entry examined, in key
/// order, with its marker (nil: not replicated), and whether the DBI has more after the last.
package struct MarkerBatch: Sendable {
    package var entries: [(key: [UInt8], marker: ReplicatedMarker?)] = []
    package var done = false

    package init() {}
}
