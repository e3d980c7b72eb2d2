package import LyreCore

extension Database {
    /// Up to `limit` records (and about `maxBytes` encoded) of `table` in primary-key order
    /// after the primary key `after`, those written at or after `since` (ms) only: one batch
    /// of a full copy, read in its own short read transaction (so a copy never holds a
    /// snapshot open across batches, which would keep writers from growing the map).
    /// - Throws: `LyreError.tableNotFound`, storage failures.
    package func copyBatch(table name: String, after: Value?, since: Double?, limit: Int, maxBytes: Int) throws -> CopyBatch {
        guard let table = table(name) else { throw LyreError.tableNotFound(self.name, name) }
        let start = after.flatMap { KeyCodec.encode($0) }
        return try read(completeIndexes: false) { txn in
            var batch = CopyBatch()
            var bytes = 0
            try txn.withCursor(table.records) { cursor in
                var entry = try start.map { try cursor.seek(atOrAfter: $0) } ?? cursor.first()
                if let e = entry, let start, Array(e.key) == start { entry = try cursor.next() }
                var examined = 0
                while let e = entry {
                    if examined >= limit || bytes >= maxBytes { return }
                    examined += 1
                    let record = try RecordCodec.decode(e.value)
                    batch.next = try KeyCodec.decode(e.key)
                    if let since, (record[TableDefinition.updatedTime]?.doubleValue ?? .infinity) < since {
                        entry = try cursor.next()
                        continue
                    }
                    bytes += e.value.count
                    batch.records.append(record)
                    entry = try cursor.next()
                }
                batch.next = nil
            }
            return batch
        }
    }

    /// Up to `limit` tombstones of `table` after the primary key `after`, deleted at or
    /// after `since` (a full copy's second part). Blocking (a job of the writer: tombstones
    /// are read where they are written).
    package func tombstoneBatch(table: String, after: Value?, since: Double?, limit: Int) throws -> CopyBatch {
        try writeSync { ctx in try ctx.tombstones(of: table, after: after, since: since, limit: limit) }
    }

    /// `WriteContext.replicationPosition`, blocking.
    package func replicationPosition(peer: String, table: String) throws -> UInt64? {
        try writeSync { ctx in try ctx.replicationPosition(peer: peer, table: table) }
    }

    /// Removes the tombstones and drop markers older than `cutoff` (ms), in transactions of
    /// at most `batch` examined entries each, so writers wait for one batch at most.
    /// Blocking. - Returns: how many were removed.
    @discardableResult
    package func expireTombstones(olderThan cutoff: Double, batch: Int = 1000) throws -> Int {
        var position: TombstoneSweep? = TombstoneSweep()
        var removed = 0
        while let current = position {
            let (count, next) = try writeSync { ctx in try ctx.expireTombstones(olderThan: cutoff, from: current, limit: batch) }
            removed += count
            position = next
        }
        return removed
    }

    /// Tombstones and drop markers held (blocking).
    package func tombstoneCount() throws -> Int {
        try writeSync { ctx in try ctx.tombstoneCount() }
    }
}
