public import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Picks one of `count` shards for the calling thread, so state that every request
/// touches (credential lookups, pooled read transactions) can be split per thread and the
/// event loops do not queue on one lock or bounce one cache line between cores.
///
/// The choice is a hash of the thread's identity: stable for a thread, and different
/// threads usually (not always) land on different shards — callers stay correct when two
/// threads share one.
public enum ThreadShard {
    public static func index(count: Int) -> Int {
        precondition(count > 0, "count must be positive")
        // pthread_t is the address of the thread's descriptor: drop the alignment bits and
        // mix with the 64-bit golden ratio (Fibonacci hashing).
        let mixed = (UInt64(UInt(pthread_self())) >> 4) &* 0x9E37_79B9_7F4A_7C15
        return Int(mixed >> 32) % count
    }
}

/// State split into locked shards, one picked per thread (`ThreadShard`).
///
/// ```swift
/// let pools = ThreadSharded<[Reader]>(count: 8) { [] }
/// let reader = pools.mine.state.withLock { $0.popLast() }
/// ```
public final class ThreadSharded<State>: Sendable {
    public final class Shard: Sendable {
        public let state: Mutex<State>
        @usableFromInline init(_ state: consuming sending State) { self.state = Mutex(state) }
    }

    public let shards: [Shard]

    public init(count: Int, _ initial: () -> sending State) {
        precondition(count > 0, "count must be positive")
        shards = (0..<count).map { _ in Shard(initial()) }
    }

    /// The calling thread's shard.
    @inlinable
    public var mine: Shard { shards[ThreadShard.index(count: shards.count)] }
}
