internal import CLMDB
import Synchronization
import LyreCore
#if canImport(Glibc)
import Glibc
#endif

/// One LMDB environment: a single database file `<root>/database/<name>.mdb`.
///
/// Read transactions may be used from any thread (`MDB_NOTLS`) but never span an
/// `await`; write transactions exist only on the database's writer thread.
/// The map grows by itself: on `MDB_MAP_FULL` the writer doubles the map size while
/// holding `resizeLock` exclusively, so no read transaction is open during the resize.
final class Environment: @unchecked Sendable {
    // @unchecked: `env` is an LMDB handle that is thread-safe for the calls made here;
    // the map size is changed only under `resizeLock` held exclusively.
    let env: OpaquePointer
    let path: String
    /// The names of the DBI handles opened by the writer (online compaction).
    let dbiNames = DBINames()
    private let resizeLock: UnsafeMutablePointer<pthread_rwlock_t>
    private let mapSize: Mutex<Int>
    /// Reset read transactions kept for reuse (`mdb_txn_renew` skips the reader-table lock
    /// that `mdb_txn_begin` takes), in per-thread shards (`ThreadShard`): every read takes
    /// one and gives it back, from every event loop.
    private let idleReaders = ThreadSharded<[ReaderHandle]>(count: 8) { [] }
    /// Set (under the write lock) when the environment is closed: later reads throw
    /// instead of touching an unmapped file.
    private let closed = Atomic<Bool>(false)
    /// Where the map starts, found once per map size in `/proc/self/maps` (the map moves only
    /// when `growMap` changes its size), so a page release does not re-read that file.
    private let mapBase = Mutex<(size: Int, start: UInt)?>(nil)
    /// Idle read transactions kept per shard (each holds a reader slot).
    static let maximumIdleReaders = 16

    /// Initial virtual map size. LMDB only reserves address space; the file grows with data.
    static let initialMapSize = 1 << 34 // 16 GiB

    /// - Parameter finalPath: the path the file will have (an online compaction opens its copy
    ///   before renaming it over the original); `path` when nil.
    init(path: String, durable: Bool, initialMapSize: Int = Environment.initialMapSize, maxDatabases: UInt32 = 4096,
         finalPath: String? = nil) throws {
        var env: OpaquePointer?
        try check(mdb_env_create(&env), "mdb_env_create")
        guard let env else { throw LMDBError(code: -1, call: "mdb_env_create") }
        self.env = env
        self.path = finalPath ?? path
        resizeLock = .allocate(capacity: 1)
        pthread_rwlock_init(resizeLock, nil)
        mapSize = Mutex(initialMapSize)
        do {
            try check(mdb_env_set_maxdbs(env, maxDatabases), "mdb_env_set_maxdbs")
            try check(mdb_env_set_maxreaders(env, 1024), "mdb_env_set_maxreaders")
            try check(mdb_env_set_mapsize(env, initialMapSize), "mdb_env_set_mapsize")
            var flags = UInt32(MDB_NOSUBDIR | MDB_NOTLS | MDB_NORDAHEAD)
            if !durable { flags |= UInt32(MDB_NOSYNC) }
            try check(mdb_env_open(env, path, flags, 0o644), "mdb_env_open(\(path))")
            // A file larger than the initial map (grown in an earlier run): adopt its size.
            var info = MDB_envinfo()
            mdb_env_info(env, &info)
            mapSize.withLock { $0 = max($0, info.me_mapsize) }
        } catch {
            mdb_env_close(env)
            pthread_rwlock_destroy(resizeLock)
            resizeLock.deallocate()
            throw error
        }
    }

    /// The map's current size in bytes.
    var currentMapSize: Int { mapSize.withLock { $0 } }

    /// Largest key LMDB accepts (511 on Debian's build).
    var maxKeySize: Int { Int(mdb_env_get_maxkeysize(env)) }

    /// Runs `body` with a read-only transaction (a pooled one when available).
    func withReadTransaction<T>(_ body: (OpaquePointer) throws -> T) throws -> T {
        pthread_rwlock_rdlock(resizeLock)
        defer { pthread_rwlock_unlock(resizeLock) }
        if closed.load(ordering: .acquiring) { throw EnvironmentClosed(path: path) }
        let pool = idleReaders.mine
        var txn = pool.state.withLock { $0.popLast() }?.txn
        if let pooled = txn {
            if mdb_txn_renew(pooled) != 0 {
                mdb_txn_abort(pooled)
                txn = nil
            }
        }
        if txn == nil {
            try check(mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &txn), "mdb_txn_begin(read)")
        }
        let reader = txn!
        defer {
            mdb_txn_reset(reader)
            let kept = pool.state.withLock { pool -> Bool in
                guard pool.count < Self.maximumIdleReaders else { return false }
                pool.append(ReaderHandle(txn: reader))
                return true
            }
            if !kept { mdb_txn_abort(reader) }
        }
        return try body(reader)
    }

    func withReadLock<T>(_ body: () throws -> T) throws -> T {
        pthread_rwlock_rdlock(resizeLock)
        defer { pthread_rwlock_unlock(resizeLock) }
        if closed.load(ordering: .acquiring) { throw EnvironmentClosed(path: path) }
        return try body()
    }

    /// Doubles the map. Called by the writer with no write transaction open.
    func growMap() throws {
        pthread_rwlock_wrlock(resizeLock)
        defer { pthread_rwlock_unlock(resizeLock) }
        let newSize = mapSize.withLock { size in
            size *= 2
            return size
        }
        try check(mdb_env_set_mapsize(env, newSize), "mdb_env_set_mapsize")
    }

    /// Drops this process's page-table entries for the used part of the memory-mapped file
    /// (`madvise(MADV_DONTNEED)`), so pages touched by B-tree descents stop counting in the
    /// process's RSS. Returns the bytes advised (0 when nothing was done).
    ///
    /// Safe at any time, also inside a write transaction and with readers open: LMDB maps
    /// the file read-only and `MAP_SHARED` (no `MDB_WRITEMAP`; writes go by `pwrite`), so the
    /// map never holds data the file lacks. The pages stay in the kernel's page cache, and
    /// the next access to an address (an LMDB pointer held by a cursor or a reader included)
    /// faults the same page back in. Runs under `resizeLock` shared, so the map is not moved
    /// (`growMap`) or unmapped (`close`) meanwhile.
    @discardableResult
    func releaseMappedPages() -> Int {
        (try? withReadLock { releaseMappedPagesHoldingLock() }) ?? 0
    }

    /// ``releaseMappedPages()`` for a caller that holds `resizeLock` (``withReadLock(_:)``).
    @discardableResult
    func releaseMappedPagesHoldingLock() -> Int {
        guard let region = mappedRegion() else { return 0 }
        return madvise(region.start, region.length, MADV_DONTNEED) == 0 ? region.length : 0
    }

    /// Bytes of the used part of the map that have a page-table entry in this process (what
    /// `releaseMappedPages` drops), from `/proc/self/pagemap`'s "present" bit; `nil` when it
    /// cannot be read. For tests and diagnostics: it reads 8 bytes per page of the file.
    func residentMappedBytes() -> Int? {
        try? withReadLock { () -> Int? in
            guard let region = mappedRegion() else { return nil }
            let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
            let fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return nil }
            defer { Glibc.close(fd) }
            let pages = region.length / pageSize
            var entries = [UInt64](repeating: 0, count: pages)
            let offset = off_t(Int(bitPattern: region.start) / pageSize * 8)
            let wanted = pages * 8
            let got = entries.withUnsafeMutableBytes { pread(fd, $0.baseAddress, wanted, offset) }
            guard got == wanted else { return nil }
            return entries.reduce(0) { $0 + ($1 >> 63 == 1 ? pageSize : 0) }
        } ?? nil
    }

    /// Where LMDB mapped the data file, limited to the file's current size (pages past the end
    /// of the file cannot be resident). `mdb_env_info`'s `me_mapaddr` is only filled with
    /// `MDB_FIXEDMAP`, so the mapping is found in `/proc/self/maps` by the file's inode, its
    /// offset 0, its shared flag and its length (the map size): a mismatch finds nothing, and
    /// nothing is advised. Call with `resizeLock` held.
    private func mappedRegion() -> (start: UnsafeMutableRawPointer, length: Int)? {
        var fd: Int32 = -1
        guard mdb_env_get_fd(env, &fd) == 0, fd >= 0 else { return nil }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        var info = MDB_envinfo()
        mdb_env_info(env, &info)
        let size = info.me_mapsize
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let used = (Int(st.st_size) + pageSize - 1) / pageSize * pageSize
        let length = min(size, used)
        guard length > 0 else { return nil }
        if let known = mapBase.withLock({ $0 }), known.size == size, let base = UnsafeMutableRawPointer(bitPattern: known.start) {
            return (base, length)
        }
        guard let maps = Self.readProcFile("/proc/self/maps") else { return nil }
        for line in maps.split(separator: UInt8(ascii: "\n")) {
            // start-end perms offset dev inode [path]
            let fields = line.split(separator: UInt8(ascii: " "), maxSplits: 5, omittingEmptySubsequences: true)
            guard fields.count >= 5, fields[3].count > 0,
                  let inode = UInt64(String(decoding: fields[4], as: UTF8.self)), inode == UInt64(st.st_ino),
                  UInt64(String(decoding: fields[2], as: UTF8.self), radix: 16) == 0,
                  fields[1].contains(UInt8(ascii: "s"))
            else { continue }
            let range = fields[0].split(separator: UInt8(ascii: "-"))
            guard range.count == 2,
                  let start = UInt(String(decoding: range[0], as: UTF8.self), radix: 16),
                  let end = UInt(String(decoding: range[1], as: UTF8.self), radix: 16),
                  end > start, Int(end - start) == size,
                  let base = UnsafeMutableRawPointer(bitPattern: start)
            else { continue }
            mapBase.withLock { $0 = (size, start) }
            return (base, length)
        }
        return nil
    }

    /// The bytes of a `/proc` file (their size is reported as 0, so read until the end).
    private static func readProcFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; return nil }
            if n == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<n])
        }
    }

    func sync() {
        _ = try? withReadLock { mdb_env_sync(env, 1) }
    }

    /// Whether a commit waits for its pages to reach the disk (LMDB's default). Off
    /// (`MDB_NOSYNC`) for `storage.writeAsync`, where ``flushCommits()`` makes them durable.
    var syncsEachCommit: Bool {
        var flags: UInt32 = 0
        mdb_env_get_flags(env, &flags)
        return flags & UInt32(MDB_NOSYNC) == 0
    }

    /// Turns the sync of each commit on or off. LMDB reads the flag when a transaction
    /// commits and does not guard it, so only the writer thread calls this (from a write
    /// job: the group it is part of commits with the new setting).
    func setSyncsEachCommit(_ on: Bool) {
        mdb_env_set_flags(env, UInt32(MDB_NOSYNC), on ? 0 : 1)
    }

    /// The last committed transaction's id (grows by one per commit).
    var lastTransactionID: Int {
        (try? withReadLock {
            var info = MDB_envinfo()
            mdb_env_info(env, &info)
            return info.me_last_txnid
        }) ?? 0
    }

    /// The last transaction known to be on disk after ``flushCommits()``.
    private let flushedTransaction = Mutex(0)

    /// Makes every commit so far durable (`mdb_env_sync` with force: one `fdatasync`) unless
    /// nothing was committed since the last flush. Safe from any thread, also while the
    /// writer commits: a commit that lands during the sync is flushed next time.
    /// - Returns: whether a sync was made.
    @discardableResult
    func flushCommits() -> Bool {
        (try? withReadLock { () -> Bool in
            var info = MDB_envinfo()
            mdb_env_info(env, &info)
            let last = info.me_last_txnid
            guard flushedTransaction.withLock({ $0 }) < last else { return false }
            guard mdb_env_sync(env, 1) == 0 else { return false }
            flushedTransaction.withLock { $0 = max($0, last) }
            return true
        }) ?? false
    }

    /// Writes a compacted, consistent copy of the environment to `fd` (used by backups).
    func copy(to fd: Int32, compact: Bool) throws {
        try withReadLock {
            try check(mdb_env_copyfd2(env, fd, compact ? UInt32(MDB_CP_COMPACT) : 0), "mdb_env_copyfd2")
        }
    }

    /// Waits for running read transactions (they hold the lock shared), then closes. The
    /// lock itself is kept (a few bytes): a reader arriving later finds `closed` and throws.
    func close() {
        pthread_rwlock_wrlock(resizeLock)
        defer { pthread_rwlock_unlock(resizeLock) }
        guard !closed.load(ordering: .acquiring) else { return }
        closed.store(true, ordering: .releasing)
        for pool in idleReaders.shards {
            for reader in pool.state.withLock({ pool in defer { pool.removeAll() }; return pool }) { mdb_txn_abort(reader.txn) }
        }
        mdb_env_close(env)
    }
}

/// A reset read transaction waiting in the pool.
struct ReaderHandle: @unchecked Sendable {
    // @unchecked: a reset MDB_NOTLS read transaction is not tied to a thread; the pool's
    // mutex hands each one to a single user at a time.
    let txn: OpaquePointer
}

/// A read or copy attempted after the database was closed (dropped, or the server stopping).
struct EnvironmentClosed: Error, Sendable, CustomStringConvertible {
    let path: String
    var description: String { "the database \(path) is closed" }
}
