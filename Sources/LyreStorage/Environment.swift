internal import CLMDB
import Synchronization
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
    private let resizeLock: UnsafeMutablePointer<pthread_rwlock_t>
    private let mapSize: Mutex<Int>
    /// Reset read transactions kept for reuse: `mdb_txn_renew` skips the reader-table
    /// lock that `mdb_txn_begin` takes. Pointers, guarded by the mutex.
    private let idleReaders = Mutex<[ReaderHandle]>([])
    /// Set (under the write lock) when the environment is closed: later reads throw
    /// instead of touching an unmapped file.
    private let closed = Mutex(false)
    static let maximumIdleReaders = 64

    /// Initial virtual map size. LMDB only reserves address space; the file grows with data.
    static let initialMapSize = 1 << 34 // 16 GiB

    init(path: String, durable: Bool, initialMapSize: Int = Environment.initialMapSize, maxDatabases: UInt32 = 4096) throws {
        var env: OpaquePointer?
        try check(mdb_env_create(&env), "mdb_env_create")
        guard let env else { throw LMDBError(code: -1, call: "mdb_env_create") }
        self.env = env
        self.path = path
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

    /// Largest key LMDB accepts (511 on Debian's build).
    var maxKeySize: Int { Int(mdb_env_get_maxkeysize(env)) }

    /// Runs `body` with a read-only transaction (a pooled one when available).
    func withReadTransaction<T>(_ body: (OpaquePointer) throws -> T) throws -> T {
        pthread_rwlock_rdlock(resizeLock)
        defer { pthread_rwlock_unlock(resizeLock) }
        if closed.withLock({ $0 }) { throw EnvironmentClosed(path: path) }
        var txn = idleReaders.withLock { $0.popLast() }?.txn
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
            let kept = idleReaders.withLock { pool -> Bool in
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
        if closed.withLock({ $0 }) { throw EnvironmentClosed(path: path) }
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

    func sync() {
        _ = try? withReadLock { mdb_env_sync(env, 1) }
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
        guard !closed.withLock({ $0 }) else { return }
        closed.withLock { $0 = true }
        for reader in idleReaders.withLock({ pool in defer { pool.removeAll() }; return pool }) { mdb_txn_abort(reader.txn) }
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
