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

extension Database {
    /// Up to `limit` entries of the drop markers (`__dropped`) after the key `after`, in key
    /// order, as the schema changes that left them: one batch of a schema copy's markers,
    /// read in a transaction of its own. Blocking (a job of the writer, like `tombstoneBatch`:
    /// markers are read where they are written).
    package func markerBatch(after: [UInt8]?, limit: Int) throws -> MarkerBatch {
        let inSystem = name == StorageEngine.systemDatabase
        return try writeSync { ctx in try ctx.markers(after: after, limit: limit, inSystem: inSystem) }
    }
}

extension WriteContext {
    func markers(after: [UInt8]?, limit: Int, inSystem: Bool) throws -> MarkerBatch {
        var batch = MarkerBatch()
        try transaction.withCursor(DropMarkers.dbi(transaction)) { cursor in
            var entry = try after.map { after -> Cursor.Entry? in
                let at = try cursor.seek(atOrAfter: after)
                if let at, Array(at.key) == after { return try cursor.next() }
                return at
            } ?? cursor.first()
            while let e = entry {
                if batch.entries.count >= max(1, limit) { return }
                batch.entries.append((Array(e.key), ReplicatedMarker.decode(key: e.key, value: e.value, inSystem: inSystem)))
                entry = try cursor.next()
            }
            batch.done = true
        }
        return batch
    }
}
