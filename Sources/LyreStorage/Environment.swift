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

    func withReadLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_rwlock_rdlock(resizeLock)
        defer { pthread_rwlock_unlock(resizeLock) }
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
        mdb_env_sync(env, 1)
    }

    /// Writes a compacted, consistent copy of the environment to `fd` (used by backups).
    func copy(to fd: Int32, compact: Bool) throws {
        try withReadLock {
            try check(mdb_env_copyfd2(env, fd, compact ? UInt32(MDB_CP_COMPACT) : 0), "mdb_env_copyfd2")
        }
    }

    func close() {
        pthread_rwlock_wrlock(resizeLock)
        mdb_env_close(env)
        pthread_rwlock_unlock(resizeLock)
        pthread_rwlock_destroy(resizeLock)
        resizeLock.deallocate()
    }
}
