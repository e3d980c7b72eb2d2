import Foundation

/// Keeps the writer's share of the memory-mapped file out of the process's RSS.
///
/// LMDB reads B-tree pages through its read-only map; every page a put, a delete or a lookup
/// descends through becomes resident in the process (and counts in RSS, `VmHWM` included)
/// until the kernel reclaims it, although it is only the kernel's page cache. A bulk load's
/// transactions touch pages all over the indexes, so without a release the resident part
/// of the map grows to the size of the file. Every `interval` B-tree operations of the
/// writer's transactions (counted across transactions, checked at each operation, so also in
/// the middle of a long transaction) this drops the map's page-table entries
/// (`Environment.releaseMappedPages`); the next access faults the page back in from the
/// page cache, a minor fault.
///
/// Used on the writer thread only.
final class MappedPageRelease: @unchecked Sendable {
    // @unchecked: `pending` is touched only by the writer thread that owns this object.
    private let environment: Environment
    let interval: Int
    private var pending = 0

    /// B-tree operations between two releases: a 10,000-row CSV batch of 8 indexed columns
    /// is ~100,000 operations. `LYRE_MAP_RELEASE_INTERVAL` overrides it (0 turns releases off).
    static let defaultInterval = 25_000

    static var configuredInterval: Int {
        if let text = ProcessInfo.processInfo.environment["LYRE_MAP_RELEASE_INTERVAL"], let value = Int(text), value >= 0 {
            return value
        }
        return defaultInterval
    }

    init(environment: Environment, interval: Int = MappedPageRelease.configuredInterval) {
        self.environment = environment
        self.interval = interval
    }

    /// Counts one B-tree operation; releases the mapped pages when `interval` are reached.
    @inline(__always)
    func count() {
        guard interval > 0 else { return }
        pending += 1
        if pending >= interval { release() }
    }

    /// Releases now (and restarts the count).
    func release() {
        pending = 0
        environment.releaseMappedPages()
    }
}
