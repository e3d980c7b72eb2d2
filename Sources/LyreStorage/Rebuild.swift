internal import CLMDB
import Foundation
import LyreCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Compaction by rebuilding (issue 18 item 2): the new file is written by walking every DBI of
/// a snapshot in key order and putting its entries with `MDB_APPEND` (`MDB_APPENDDUP` for the
/// duplicates of a DUPSORT DBI) into a fresh environment, in bounded write transactions.
/// LMDB's append split leaves every leaf full and starts a new one, where its compacting copy
/// (`mdb_env_copyfd2`, `MDB_CP_COMPACT`) copies every page as it is — half-empty leaves stay
/// half-empty. Same entries, same DBI names and flags (every flag-defined comparator is
/// LMDB's default one; Lyre sets no custom comparator).
///
/// Three steps, so that the online compaction can run the first where the writer is paused:
/// ``openEveryDBI(_:)`` and ``snapshot(_:)`` (no other `mdb_dbi_open` may run meanwhile),
/// then ``write(_:to:mapSize:)`` (anywhere; the snapshot is a read transaction).
enum Rebuild {
    /// Bounds of one write transaction of the new file: what LMDB keeps in memory (its dirty
    /// pages) until the commit.
    static let entriesPerTransaction = 100_000
    static let bytesPerTransaction = 32 << 20

    /// The DBIs of a snapshot, resolved to handles of the environment.
    struct Snapshot: @unchecked Sendable {
        // @unchecked: a read transaction of an MDB_NOTLS environment; used by one thread at a time.
        let txn: OpaquePointer
        let dbis: [(name: String, dbi: MDB_dbi, flags: UInt32)]

        func abort() { mdb_txn_abort(txn) }
    }

    /// The names of the file's named DBIs (the main DB's keys), read in `txn`; nil when the
    /// main DB holds anything else (a plain key, a name LMDB cannot take back as a C string):
    /// only the copy keeps such a file as it is.
    static func names(in txn: OpaquePointer) throws -> [String]? {
        var cursor: OpaquePointer?
        // Handle 1 is the main DB (LMDB's MAIN_DBI, not in its public header).
        try check(mdb_cursor_open(txn, 1, &cursor), "mdb_cursor_open(main)")
        defer { mdb_cursor_close(cursor) }
        var names: [String] = []
        var k = MDB_val()
        var v = MDB_val()
        var rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST)
        while rc == 0 {
            let bytes = buffer(k)
            guard !bytes.contains(0), let name = String(validating: bytes, as: UTF8.self) else { return nil }
            names.append(name)
            rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)
        }
        guard rc == MDB_NOTFOUND else { try check(rc, "mdb_cursor_get(main)"); return nil }
        return names
    }

    /// Opens a handle (kept in `environment.dbiNames`) for every named DBI of the file that has
    /// none yet, in a write transaction that changes nothing (its commit writes nothing).
    /// Call where no other `mdb_dbi_open` and no write transaction runs: in a maintenance job
    /// of the writer, or before the writer exists. - Returns: false when the file holds
    /// something other than named DBIs in its main DB (see ``names(in:)``).
    static func openEveryDBI(_ environment: Environment) throws -> Bool {
        var pointer: OpaquePointer?
        try check(mdb_txn_begin(environment.env, nil, 0, &pointer), "mdb_txn_begin")
        guard let txn = pointer else { return false }
        do {
            guard let names = try names(in: txn) else {
                mdb_txn_abort(txn)
                return false
            }
            let known = Set(environment.dbiNames.all.map(\.name))
            let transaction = WriteTransaction(txn: txn, names: environment.dbiNames)
            for name in names where !known.contains(name) {
                // Flags 0: an existing DBI is opened with the flags stored in the file.
                do {
                    _ = try transaction.openDBI(name, create: false, dupSort: false)
                } catch let error as LMDBError where error.code == MDB_INCOMPATIBLE {
                    mdb_txn_abort(txn)
                    return false
                }
            }
            try check(mdb_txn_commit(txn), "mdb_txn_commit")
            return true
        } catch {
            mdb_txn_abort(txn)
            throw error
        }
    }

    /// Begins the snapshot to rebuild from and resolves, in it, every named DBI to its handle
    /// and flags. Call right after ``openEveryDBI(_:)``, in the same place (no `mdb_dbi_open`
    /// or drop may run between them): the read transaction then has each DBI's root, so a
    /// table dropped later does not touch it. Begins no page access that outlives the call,
    /// so the map may grow before ``write(_:to:mapSize:)`` takes the resize lock.
    static func snapshot(_ environment: Environment) throws -> Snapshot {
        var pointer: OpaquePointer?
        try check(mdb_txn_begin(environment.env, nil, UInt32(MDB_RDONLY), &pointer), "mdb_txn_begin(read)")
        guard let txn = pointer else { throw CompactionAborted(reason: "no read transaction") }
        do {
            guard let names = try names(in: txn) else { throw CompactionAborted(reason: "the main DB holds more than DBIs") }
            let handles = Dictionary(environment.dbiNames.all.map { ($0.name, $0.handle) }, uniquingKeysWith: { a, _ in a })
            var dbis: [(name: String, dbi: MDB_dbi, flags: UInt32)] = []
            for name in names {
                guard let dbi = handles[name] else { throw CompactionAborted(reason: "DBI '\(name)' has no handle") }
                // mdb_stat reads the DBI's record from this snapshot (LMDB marks it stale until then).
                var stat = MDB_stat()
                try check(mdb_stat(txn, dbi, &stat), "mdb_stat(\(name))")
                var flags: UInt32 = 0
                try check(mdb_dbi_flags(txn, dbi, &flags), "mdb_dbi_flags(\(name))")
                dbis.append((name, dbi, flags))
            }
            return Snapshot(txn: txn, dbis: dbis)
        } catch {
            mdb_txn_abort(txn)
            throw error
        }
    }

    /// Writes every DBI of `snapshot` into a new environment at `path` (created; an existing
    /// file there is replaced), then syncs and closes it. The caller holds the source's resize
    /// lock (shared) so its map stays put while cursors point into it.
    /// - Parameter releasePages: called after each write transaction (drops the source's mapped
    ///   pages from the process's RSS).
    /// - Parameter shouldStop: asked between the rebuild's transactions; `true` ends it with
    ///   `CompactionAborted` (the server is stopping: a rebuild must not hold shutdown).
    static func write(_ snapshot: Snapshot, to path: String, mapSize: Int, releasePages: () -> Void = {},
                      shouldStop: () -> Bool = { false }) throws {
        unlink(path)
        unlink(path + "-lock")
        var pointer: OpaquePointer?
        try check(mdb_env_create(&pointer), "mdb_env_create")
        guard let env = pointer else { throw CompactionAborted(reason: "no environment") }
        defer { mdb_env_close(env) }
        try check(mdb_env_set_maxdbs(env, 4096), "mdb_env_set_maxdbs")
        try check(mdb_env_set_mapsize(env, mapSize), "mdb_env_set_mapsize")
        // No sync per commit: the file is synced once at the end, and nobody sees it before.
        try check(mdb_env_open(env, path, UInt32(MDB_NOSUBDIR | MDB_NOSYNC | MDB_NOTLS | MDB_NORDAHEAD), 0o644),
                  "mdb_env_open(\(path))")
        var target = Target(env: env)
        defer { target.abort() }
        for source in snapshot.dbis {
            try target.begin(name: source.name, flags: source.flags)
            var cursor: OpaquePointer?
            try check(mdb_cursor_open(snapshot.txn, source.dbi, &cursor), "mdb_cursor_open(\(source.name))")
            defer { mdb_cursor_close(cursor) }
            let dupSort = source.flags & UInt32(MDB_DUPSORT) != 0
            var previousKey: [UInt8] = []
            var k = MDB_val()
            var v = MDB_val()
            var rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST)
            while rc == 0 {
                var flags = UInt32(MDB_APPEND)
                if dupSort {
                    // A key's further duplicates: appended to its (sorted) duplicates.
                    let key = buffer(k)
                    if !previousKey.isEmpty, key.elementsEqual(previousKey) {
                        flags = UInt32(MDB_APPENDDUP)
                    } else {
                        previousKey = Array(key)
                    }
                }
                try target.put(&k, &v, flags: flags)
                if target.isFull {
                    try target.commit()
                    releasePages()
                    if shouldStop() { throw CompactionAborted(reason: "the server is stopping") }
                    try target.begin(name: source.name, flags: source.flags)
                }
                rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)
            }
            guard rc == MDB_NOTFOUND else { try check(rc, "mdb_cursor_get(\(source.name))"); return }
        }
        try target.commit()
        try check(mdb_env_sync(env, 1), "mdb_env_sync")
    }

    /// The new environment's current write transaction and the cursor it puts with.
    private struct Target {
        let env: OpaquePointer
        var txn: OpaquePointer?
        var cursor: OpaquePointer?
        var entries = 0
        var bytes = 0

        init(env: OpaquePointer) { self.env = env }

        var isFull: Bool { entries >= Rebuild.entriesPerTransaction || bytes >= Rebuild.bytesPerTransaction }

        /// Opens (creating) the DBI `name` with the source's flags in the current transaction,
        /// begun when there is none, and a cursor on it.
        mutating func begin(name: String, flags: UInt32) throws {
            if txn == nil {
                try check(mdb_txn_begin(env, nil, 0, &txn), "mdb_txn_begin")
                entries = 0
                bytes = 0
            }
            if let cursor { mdb_cursor_close(cursor) }
            cursor = nil
            var dbi = MDB_dbi()
            try check(mdb_dbi_open(txn, name, UInt32(MDB_CREATE) | flags, &dbi), "mdb_dbi_open(\(name))")
            try check(mdb_cursor_open(txn, dbi, &cursor), "mdb_cursor_open(\(name))")
        }

        mutating func put(_ key: inout MDB_val, _ value: inout MDB_val, flags: UInt32) throws {
            try check(mdb_cursor_put(cursor, &key, &value, flags), "mdb_cursor_put")
            entries += 1
            bytes += key.mv_size + value.mv_size + 8
        }

        mutating func commit() throws {
            if let cursor { mdb_cursor_close(cursor) }
            cursor = nil
            guard let current = txn else { return }
            txn = nil
            try check(mdb_txn_commit(current), "mdb_txn_commit")
        }

        mutating func abort() {
            if let cursor { mdb_cursor_close(cursor) }
            cursor = nil
            if let current = txn { mdb_txn_abort(current) }
            txn = nil
        }
    }
}

extension Database {
    /// One named DBI of the file: its `mdb_stat` and, when asked, its entries in key order.
    package struct DBIContents: Sendable {
        package var name: String
        package var statistics: DBIStatistics
        package var entries: [(key: [UInt8], value: [UInt8])]
        /// The bytes LMDB's leaves hold for the entries: node header (8), key, value and the
        /// node's pointer (2) each; a value too large for a leaf (over ~2 KB with the key: it
        /// goes to overflow pages) counts as its 8-byte page number.
        package var entryBytes: Int
    }

    /// Every named DBI of the file, by name, read in one snapshot (tests and diagnostics;
    /// with `entries` it holds the whole file in memory). Opens the handles it lacks on the
    /// writer, where no other `mdb_dbi_open` runs.
    package func everyDBI(entries: Bool) throws -> [String: DBIContents] {
        guard let writer = writerBox.withLock({ $0 }) else { throw WriterStopped() }
        let environment = environment
        let snapshot = Mutex<Rebuild.Snapshot?>(nil)
        try writer.maintenanceSync {
            guard try Rebuild.openEveryDBI(environment) else { throw CompactionAborted(reason: "the main DB holds more than DBIs") }
            let taken = try Rebuild.snapshot(environment)
            snapshot.withLock { $0 = taken }
        }
        guard let taken = snapshot.withLock({ $0 }) else { return [:] }
        defer { taken.abort() }
        return try environment.withReadLock {
            var result: [String: DBIContents] = [:]
            let read = ReadTransaction(txn: taken.txn)
            for source in taken.dbis {
                let dbi = DBI(raw: source.dbi)
                var contents = DBIContents(name: source.name, statistics: try read.statistics(dbi), entries: [], entryBytes: 0)
                try read.withCursor(dbi) { cursor in
                    var entry = try cursor.first()
                    while let e = entry {
                        if entries { contents.entries.append((Array(e.key), Array(e.value))) }
                        let node = 8 + e.key.count + e.value.count
                        contents.entryBytes += (node > 2_000 ? 8 + e.key.count + 8 : node) + 2
                        entry = try cursor.next()
                    }
                }
                result[source.name] = contents
            }
            return result
        }
    }
}
