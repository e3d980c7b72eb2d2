import LyreCore

/// When records of tables with an `expiration` expire (Harper's table expiration: a record
/// expires `expiration` seconds after its last write).
///
/// One DBI per database (`__expiry`), two key spaces:
/// - `01 · table · 00 · primary key` → the record's expiry time (8 big-endian bytes, ms
///   since the epoch), so a write that renews a record finds its old time;
/// - `02 · expiry time (8 big-endian bytes) · table · 00 · primary key` → empty, so the
///   records of every table that expire first are the DBI's first keys of that space.
///
/// The entries are written in the same transaction as the records (a restart keeps them).
/// Expired records are deleted through `WriteContext.delete(ids:from:)`, the normal write
/// path (index entries, tombstones, the commit observer): by the engine's sweeper in
/// bounded batches, and by a read whose snapshot holds an expired record before it reads
/// (`Database.read`), so no read ever returns one.
package enum Expiry {
    static let dbiName = "__expiry"
    /// Records deleted per write group by a sweep, so a sweep never holds the writer long.
    package static let batchSize = 1_000

    static func recordKey(_ table: String, _ primaryKey: some Collection<UInt8>) -> [UInt8] {
        var key: [UInt8] = [1]
        key.append(contentsOf: table.utf8)
        key.append(0)
        key.append(contentsOf: primaryKey)
        return key
    }

    static func timeKey(_ time: UInt64, _ table: String, _ primaryKey: some Collection<UInt8>) -> [UInt8] {
        var key: [UInt8] = [2]
        withUnsafeBytes(of: time.bigEndian) { key.append(contentsOf: $0) }
        key.append(contentsOf: table.utf8)
        key.append(0)
        key.append(contentsOf: primaryKey)
        return key
    }

    static func decodeTime(_ bytes: some Collection<UInt8>) -> UInt64 {
        var time: UInt64 = 0
        for b in bytes.prefix(8) { time = time << 8 | UInt64(b) }
        return time
    }

    /// A record written at `now` (ms) into a table with `expiration` seconds expires at this time (ms).
    /// Clamped to `UInt64`: an `expiration` of `9223372036854775807` seconds is a valid
    /// positive integer whose milliseconds `UInt64(_:)` cannot hold (it trapped every insert).
    static func time(writtenAt now: Double, expiration: Int) -> UInt64 {
        let time = (now + Double(expiration) * 1000).rounded(.up)
        return time >= 0x1p64 ? .max : UInt64(max(0, time))
    }

    /// The earliest expiry time (ms) of any record in the snapshot, or nil when none expires.
    static func earliest(_ dbi: DBI, in txn: ReadTransaction) throws -> UInt64? {
        try txn.withCursor(dbi) { cursor in
            guard let e = try cursor.seek(atOrAfter: [2]), e.key.count >= 9, e.key[0] == 2 else { return nil }
            return decodeTime(e.key.dropFirst())
        }
    }

    /// The DBI, created when missing (when the database opens).
    static func openDBI(_ transaction: WriteTransaction) throws -> DBI {
        guard let dbi = try transaction.openDBI(dbiName, create: true, dupSort: false) else { throw LyreError.internalError() }
        return dbi
    }
}

extension ReadTransaction {
    /// When the record with primary key `id` of `table` expires (ms since the epoch), or nil
    /// when it does not (no expiration on the table, or no such record).
    func expiryTime(_ dbi: DBI, in table: TableDefinition, id: Value) throws -> UInt64? {
        guard table.expiration != nil, let key = KeyCodec.encode(id),
              let bytes = try get(dbi, Expiry.recordKey(table.name, key)), bytes.count == 8 else { return nil }
        return Expiry.decodeTime(bytes)
    }
}

extension WriteContext {
    /// Sets the expiry of the record `key` of `table` to `expiration` seconds from this
    /// group's time, replacing an earlier one (a write renews). Nothing for tables without expiration.
    func renewExpiry(of key: [UInt8], in table: TableDefinition) throws {
        guard let expiration = table.expiration else { return }
        let dbi = catalog.expiryDBI
        let recordKey = Expiry.recordKey(table.name, key)
        let time = Expiry.time(writtenAt: now, expiration: expiration)
        if let old = try transaction.get(dbi, recordKey), old.count == 8 {
            let oldTime = Expiry.decodeTime(old)
            if oldTime == time { return }
            try transaction.delete(dbi, Expiry.timeKey(oldTime, table.name, key))
        }
        var value: [UInt8] = []
        withUnsafeBytes(of: time.bigEndian) { value.append(contentsOf: $0) }
        _ = try transaction.put(dbi, recordKey, value)
        _ = try transaction.put(dbi, Expiry.timeKey(time, table.name, key), [])
    }

    /// Forgets the expiry of the record `key` of `table` (it was deleted).
    func removeExpiry(of key: [UInt8], in table: TableDefinition) throws {
        guard table.expiration != nil else { return }
        let dbi = catalog.expiryDBI
        let recordKey = Expiry.recordKey(table.name, key)
        guard let old = try transaction.get(dbi, recordKey), old.count == 8 else { return }
        let oldTime = Expiry.decodeTime(old)
        try transaction.delete(dbi, Expiry.timeKey(oldTime, table.name, key))
        try transaction.delete(dbi, recordKey)
    }

    /// Forgets every expiry of a table (it is dropped).
    func removeExpiries(of tableName: String) throws {
        let dbi = catalog.expiryDBI
        let prefix = Expiry.recordKey(tableName, [])
        var entries: [(key: [UInt8], time: UInt64)] = []
        try transaction.withCursor(dbi) { cursor in
            var entry = try cursor.seek(atOrAfter: prefix)
            while let e = entry, e.key.starts(with: prefix) {
                entries.append((Array(e.key), Expiry.decodeTime(e.value)))
                entry = try cursor.next()
            }
        }
        for e in entries {
            try transaction.delete(dbi, Expiry.timeKey(e.time, tableName, e.key.dropFirst(prefix.count)))
            try transaction.delete(dbi, e.key)
        }
    }

    /// Deletes up to `limit` records that expired at or before `time` (ms), earliest first,
    /// through `delete(ids:from:)` (index entries, tombstones and the commit observer as for
    /// any delete). - Returns: how many expiry entries were consumed (deleted records and
    /// stale entries); fewer than `limit` means none expired at `time` is left.
    package mutating func deleteExpired(upTo time: Double, limit: Int = Expiry.batchSize) throws -> Int {
        let dbi = catalog.expiryDBI
        var due: [(table: String, key: [UInt8], timeKey: [UInt8])] = []
        try transaction.withCursor(dbi) { cursor in
            var entry = try cursor.seek(atOrAfter: [2])
            while let e = entry, due.count < limit, e.key.count > 9, e.key[0] == 2,
                  Double(Expiry.decodeTime(e.key.dropFirst())) <= time {
                let rest = e.key.dropFirst(9)
                if let zero = rest.firstIndex(of: 0) {
                    due.append((String(decoding: rest[rest.startIndex..<zero], as: UTF8.self), Array(rest[(zero + 1)...]),
                                Array(e.key)))
                } else {
                    due.append(("", [], Array(e.key)))
                }
                entry = try cursor.next()
            }
        }
        var byTable: [String: [Value]] = [:]
        var order: [String] = []
        for entry in due {
            if catalog.tables[entry.table]?.expiration != nil, let id = try? KeyCodec.decode(entry.key) {
                if byTable[entry.table] == nil { order.append(entry.table) }
                byTable[entry.table, default: []].append(id)
            }
            // Stale or unreadable entries (and the record's own, again in `delete`) go.
            try transaction.delete(dbi, entry.timeKey)
            if !entry.table.isEmpty { try transaction.delete(dbi, Expiry.recordKey(entry.table, entry.key)) }
        }
        // The expiry entries are gone already; `delete` finds none left to remove.
        for table in order { _ = try delete(ids: byTable[table] ?? [], from: table) }
        return due.count
    }
}
