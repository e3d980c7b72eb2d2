package import LyreCore
package import LyreStorage

/// Runs an ``AccessPath`` inside a read transaction, streaming decoded records in primary-key
/// order (sql.md §5.10) to a callback that returns `false` to stop.
package enum TableScanner {
    /// Streams the records `path` selects from `table`.
    /// - Throws: storage and record-decoding errors, or what `body` throws.
    package static func scan(_ path: AccessPath, table: TableDefinition, txn: ReadTransaction,
                             _ body: (JSONObject) throws -> Bool) throws {
        switch path {
        case .fullScan:
            try txn.forEachRecord(in: table) { _, bytes in try body(try RecordCodec.decode(bytes)) }
            return
        case .primaryKey(let values):
            var keys: [[UInt8]] = []
            for v in values {
                guard let key = KeyCodec.encode(v), key.count <= KeyCodec.maximumKeySize else { continue }
                keys.append(key)
            }
            try fetch(keys, table: table, txn: txn, body)
        case .indexEquals(_, let id, let values):
            var keys: Set<[UInt8]> = []
            try txn.withCursor(table.index) { cursor in
                for v in values {
                    guard let key = TableIndex.key(id, v) else { continue }
                    var entry = try cursor.seek(exactly: key)
                    while let e = entry {
                        keys.insert(Array(e.value))
                        entry = try cursor.nextDuplicate()
                    }
                }
            }
            try fetch(Array(keys), table: table, txn: txn, body)
        case .indexRange(_, let id, let lower, let upper):
            let prefix = TableIndex.prefix(id)
            guard let tag = Planner.typeTag((lower ?? upper)!.value) else { return }
            var start = prefix + [tag]
            let end = prefix + [tag &+ 1]
            if let lower, let key = TableIndex.key(id, lower.value) { start = key }
            let upperKey = upper.flatMap { TableIndex.key(id, $0.value) }
            var keys: Set<[UInt8]> = []
            try txn.withCursor(table.index) { cursor in
                var entry = try cursor.seek(atOrAfter: start)
                while let e = entry {
                    let k = Array(e.key)
                    guard k.lexicographicallyPrecedes(end) else { break }
                    if let upperKey, upperKey.lexicographicallyPrecedes(k), !k.starts(with: upperKey) { break }
                    keys.insert(Array(e.value))
                    entry = try cursor.next()
                }
            }
            try fetch(Array(keys), table: table, txn: txn, body)
        case .indexPrefix(_, let id, let prefixes):
            var keys: Set<[UInt8]> = []
            try txn.withCursor(table.index) { cursor in
                for p in prefixes {
                    let start = TableIndex.prefix(id) + KeyCodec.encodeStringPrefix(p)
                    var entry = try cursor.seek(atOrAfter: start)
                    while let e = entry, e.key.starts(with: start) {
                        keys.insert(Array(e.value))
                        entry = try cursor.next()
                    }
                }
            }
            try fetch(Array(keys), table: table, txn: txn, body)
        }
    }

    /// Fetches records by encoded primary key, in key order, skipping duplicates and misses.
    private static func fetch(_ keys: [[UInt8]], table: TableDefinition, txn: ReadTransaction,
                              _ body: (JSONObject) throws -> Bool) throws {
        var previous: [UInt8]?
        for key in keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) where key != previous {
            previous = key
            guard let bytes = try txn.get(table.records, key) else { continue }
            guard try body(try RecordCodec.decode(bytes)) else { return }
        }
    }
}
