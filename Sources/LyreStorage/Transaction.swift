internal import CLMDB

/// A named sub-database (DBI) handle of an environment.
package struct DBI: Sendable, Hashable {
    let raw: MDB_dbi
}

@inline(__always)
func withVal<T>(_ bytes: [UInt8], _ body: (inout MDB_val) throws -> T) rethrows -> T {
    try bytes.withUnsafeBytes { p in
        var val = MDB_val(mv_size: p.count, mv_data: UnsafeMutableRawPointer(mutating: p.baseAddress))
        return try body(&val)
    }
}

@inline(__always)
func buffer(_ val: MDB_val) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(start: val.mv_data, count: val.mv_size)
}

/// A read view of one database at one point in time. Bytes returned by its methods are
/// valid only until the transaction ends: copy them out before the closure returns.
package struct ReadTransaction {
    let txn: OpaquePointer

    /// The value stored under `key`, or `nil`.
    package func get(_ dbi: DBI, _ key: [UInt8]) throws -> UnsafeRawBufferPointer? {
        try withVal(key) { k in
            var v = MDB_val()
            let rc = mdb_get(txn, dbi.raw, &k, &v)
            if rc == MDB_NOTFOUND { return nil }
            try check(rc, "mdb_get")
            return buffer(v)
        }
    }

    package func contains(_ dbi: DBI, _ key: [UInt8]) throws -> Bool {
        try get(dbi, key) != nil
    }

    /// Number of entries.
    package func count(_ dbi: DBI) throws -> Int {
        var stat = MDB_stat()
        try check(mdb_stat(txn, dbi.raw, &stat), "mdb_stat")
        return Int(stat.ms_entries)
    }

    /// Pages used by a DBI, for size reporting.
    package func pageCount(_ dbi: DBI) throws -> Int {
        var stat = MDB_stat()
        try check(mdb_stat(txn, dbi.raw, &stat), "mdb_stat")
        return Int(stat.ms_branch_pages + stat.ms_leaf_pages + stat.ms_overflow_pages)
    }

    /// Runs `body` with a cursor over `dbi`; the cursor is closed afterwards.
    package func withCursor<T>(_ dbi: DBI, _ body: (inout Cursor) throws -> T) throws -> T {
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(txn, dbi.raw, &cursor), "mdb_cursor_open")
        defer { mdb_cursor_close(cursor) }
        var c = Cursor(cursor: cursor!)
        return try body(&c)
    }
}

/// The write view: everything of `ReadTransaction` plus mutations. Exists only on the
/// writer thread, inside `Database.write`.
package struct WriteTransaction {
    package let read: ReadTransaction
    var txn: OpaquePointer { read.txn }
    /// Counts this transaction's B-tree operations to release mapped pages now and then
    /// (the writer's transactions only).
    let pageRelease: MappedPageRelease?
    /// The environment's DBI names, kept up to date by `openDBI` and `drop` (online compaction).
    let names: DBINames?
    /// Records this transaction's changes while an online compaction copies the file.
    let journal: TransactionJournal?

    init(txn: OpaquePointer, pageRelease: MappedPageRelease? = nil, names: DBINames? = nil, journal: TransactionJournal? = nil) {
        read = ReadTransaction(txn: txn)
        self.pageRelease = pageRelease
        self.names = names
        self.journal = journal
    }

    package func get(_ dbi: DBI, _ key: [UInt8]) throws -> UnsafeRawBufferPointer? {
        pageRelease?.count()
        return try read.get(dbi, key)
    }

    /// Stores `value` under `key`. With `append`, `key` must sort after every key of `dbi`
    /// (LMDB then fills the last leaf instead of splitting it in half).
    package func put(_ dbi: DBI, _ key: [UInt8], _ value: [UInt8], noOverwrite: Bool = false, append: Bool = false) throws -> Bool {
        pageRelease?.count()
        return try withVal(key) { k in
            try withVal(value) { v in
                let flags = (noOverwrite ? UInt32(MDB_NOOVERWRITE) : 0) | (append ? UInt32(MDB_APPEND) : 0)
                let rc = mdb_put(txn, dbi.raw, &k, &v, flags)
                if rc == MDB_KEYEXIST { return false }
                try check(rc, "mdb_put")
                if let journal {
                    key.withUnsafeBytes { k in value.withUnsafeBytes { v in journal.put(dbi, k, v) } }
                }
                return true
            }
        }
    }

    /// Adds one index entry (`TableIndex`: value key · primary key; the key's length as data
    /// when the value key was cut, else no data) from borrowed bytes; no error when it is
    /// already there.
    func putIndexEntry(_ dbi: DBI, _ entry: UnsafeRawBufferPointer, primaryKeyLength: Int) throws {
        pageRelease?.count()
        var data: (UInt8, UInt8) = TableIndex.entryData(primaryKeyLength: primaryKeyLength)
        let dataSize = TableIndex.storesPrimaryKeyLength(entryLength: entry.count, primaryKeyLength: primaryKeyLength) ? 2 : 0
        try withUnsafeMutableBytes(of: &data) { d in
            let d = UnsafeRawBufferPointer(rebasing: d[..<dataSize])
            var k = MDB_val(mv_size: entry.count, mv_data: UnsafeMutableRawPointer(mutating: entry.baseAddress))
            var v = MDB_val(mv_size: dataSize, mv_data: UnsafeMutableRawPointer(mutating: d.baseAddress))
            let rc = mdb_put(txn, dbi.raw, &k, &v, UInt32(MDB_NOOVERWRITE))
            if rc == MDB_KEYEXIST { return }
            try check(rc, "mdb_put")
            journal?.put(dbi, entry, d)
        }
    }

    /// Deletes one index entry given as borrowed bytes (no error when it is not there).
    func deleteIndexEntry(_ dbi: DBI, _ entry: UnsafeRawBufferPointer) throws {
        pageRelease?.count()
        var k = MDB_val(mv_size: entry.count, mv_data: UnsafeMutableRawPointer(mutating: entry.baseAddress))
        let rc = mdb_del(txn, dbi.raw, &k, nil)
        if rc == MDB_NOTFOUND { return }
        try check(rc, "mdb_del")
        journal?.delete(dbi, entry)
    }

    /// Deletes `key`. Returns whether it existed.
    @discardableResult
    package func delete(_ dbi: DBI, _ key: [UInt8]) throws -> Bool {
        pageRelease?.count()
        return try withVal(key) { k in
            let rc = mdb_del(txn, dbi.raw, &k, nil)
            if rc == MDB_NOTFOUND { return false }
            try check(rc, "mdb_del")
            if let journal { key.withUnsafeBytes { journal.delete(dbi, $0) } }
            return true
        }
    }

    /// Opens (creating when asked) a named DBI inside this transaction.
    package func openDBI(_ name: String, create: Bool, dupSort: Bool) throws -> DBI? {
        var dbi = MDB_dbi()
        var flags: UInt32 = 0
        if create { flags |= UInt32(MDB_CREATE) }
        if dupSort { flags |= UInt32(MDB_DUPSORT) }
        let rc = mdb_dbi_open(txn, name, flags, &dbi)
        if rc == MDB_NOTFOUND { return nil }
        try check(rc, "mdb_dbi_open(\(name))")
        names?.opened(DBI(raw: dbi), name)
        return DBI(raw: dbi)
    }

    /// Empties a DBI, or deletes it from the environment when `delete` is true.
    package func drop(_ dbi: DBI, delete: Bool) throws {
        journal?.drop(dbi, delete: delete)
        try check(mdb_drop(txn, dbi.raw, delete ? 1 : 0), "mdb_drop")
        if delete { names?.dropped(dbi) }
    }

    package func withCursor<T>(_ dbi: DBI, _ body: (inout Cursor) throws -> T) throws -> T {
        guard let journal else { return try read.withCursor(dbi, body) }
        return try read.withCursor(dbi) { cursor in
            cursor.journal = (journal, dbi)
            return try body(&cursor)
        }
    }
}

/// A position in a DBI. Every move returns the entry it lands on, or `nil` at the end.
package struct Cursor {
    let cursor: OpaquePointer
    /// Where deletes through this cursor are recorded (a write transaction's journal).
    var journal: (TransactionJournal, DBI)?
    package typealias Entry = (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)

    @inline(__always)
    private func move(_ op: MDB_cursor_op) throws -> Entry? {
        var k = MDB_val()
        var v = MDB_val()
        let rc = mdb_cursor_get(cursor, &k, &v, op)
        if rc == MDB_NOTFOUND { return nil }
        try check(rc, "mdb_cursor_get")
        return (buffer(k), buffer(v))
    }

    package func first() throws -> Entry? { try move(MDB_FIRST) }
    package func last() throws -> Entry? { try move(MDB_LAST) }
    package func next() throws -> Entry? { try move(MDB_NEXT) }
    package func previous() throws -> Entry? { try move(MDB_PREV) }
    package func current() throws -> Entry? { try move(MDB_GET_CURRENT) }

    /// Positions at the first key ≥ `key`.
    package func seek(atOrAfter key: [UInt8]) throws -> Entry? {
        try withVal(key) { k in
            var v = MDB_val()
            let rc = mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE)
            if rc == MDB_NOTFOUND { return nil }
            try check(rc, "mdb_cursor_get")
            return (buffer(k), buffer(v))
        }
    }
}

extension Cursor {
    /// Deletes the entry under the cursor.
    package func deleteCurrent() throws {
        if let (journal, dbi) = journal, let entry = try current() { journal.delete(dbi, entry.key) }
        try check(mdb_cursor_del(cursor, 0), "mdb_cursor_del")
    }
}
