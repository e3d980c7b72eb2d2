public import Synchronization
public import LyreCore

/// Remembers which `Authorization` header values were already verified, so a request
/// does not pay the password hash (tens of milliseconds) every time.
///
/// Keys are the exact header value (`Basic dXNlcjpwdw==`), values what the caller wants back
/// for a verified header (`Subject`: the username, or the resolved user with its role, so a
/// cached request costs one dictionary lookup and no storage read).
/// Every entry carries the cache's `generation` at the time verification *started*;
/// ``invalidateAll()`` bumps the generation, which drops all entries and also rejects
/// any verification still in flight when a user or role changed:
///
/// ```swift
/// let cache = CredentialCache<String>()
/// if let username = cache.subject(for: header) { ... }            // hit
/// let generation = cache.generation                                // before hashing
/// if hasher.verify(password, against: stored) {
///     cache.store(header, subject: username, generation: generation)
/// }
/// // elsewhere, after add_user / alter_user / drop_user / role changes:
/// cache.invalidateAll()
/// ```
///
/// Entries also expire after `timeToLive` (Harper's `authentication.cacheTTL`, 30 s by default).
public final class CredentialCache<Subject: Sendable>: Sendable {
    // The lookup runs on every request: `@inlinable` lets callers' modules specialize it
    // for their `Subject` (unspecialized, it went through value witnesses and metadata
    // lookups per call — 3% of an event loop's time serving inserts).
    @usableFromInline
    struct Entry: Sendable {
        @usableFromInline var subject: Subject
        @usableFromInline var generation: UInt64
        @usableFromInline var storedAt: ContinuousClock.Instant

        @usableFromInline
        init(subject: Subject, generation: UInt64, storedAt: ContinuousClock.Instant) {
            self.subject = subject
            self.generation = generation
            self.storedAt = storedAt
        }

        /// Whether the entry still vouches for its header: not invalidated, not expired.
        @inlinable
        func isValid(generation: UInt64, now: ContinuousClock.Instant, timeToLive: Duration) -> Bool {
            self.generation == generation && storedAt.duration(to: now) < timeToLive
        }
    }

    /// A header value as a dictionary key, hashed by its length and last 32 bytes only:
    /// a bearer token is ~600 bytes whose tail is its signature (random), so hashing the
    /// tail is as good as hashing it all at a twentieth of the cost. Equality still
    /// compares the whole value.
    @usableFromInline
    struct Key: Hashable, Sendable {
        @usableFromInline var value: String

        @usableFromInline init(_ value: String) { self.value = value }

        @usableFromInline
        func hash(into hasher: inout Hasher) {
            let utf8 = value.utf8
            hasher.combine(utf8.count)
            let hashed: Void? = utf8.withContiguousStorageIfAvailable { bytes in
                hasher.combine(bytes: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes.suffix(32))))
            }
            if hashed == nil {
                for byte in utf8.suffix(32) { hasher.combine(byte) }
            }
        }
    }

    @usableFromInline typealias Shard = ThreadSharded<[Key: Entry]>.Shard

    /// The entries in per-thread shards: the event loops, which all look up the same few
    /// headers, do not queue on one lock (they did: a fifth of the lookup's time was the
    /// contended lock's slow path serving `search_by_id` at 90k requests/s).
    @usableFromInline let shards: ThreadSharded<[Key: Entry]>
    @usableFromInline let currentGeneration = Atomic<UInt64>(0)
    /// How long a verified header is trusted.
    public let timeToLive: Duration
    /// The most entries kept; when a shard is full, it starts over (verified headers are cheap to re-verify).
    public let capacity: Int
    @usableFromInline let shardCapacity: Int

    /// - Parameters:
    ///   - timeToLive: How long an entry stays valid (`authentication.cacheTTL`).
    ///   - capacity: Upper bound on entries, so memory stays bounded.
    public init(timeToLive: Duration = .seconds(30), capacity: Int = 10_000) {
        precondition(capacity > 0, "capacity must be positive")
        self.timeToLive = timeToLive
        self.capacity = capacity
        let count = min(16, capacity)
        shards = ThreadSharded(count: count) { [:] }
        shardCapacity = capacity / count
    }

    /// The current generation. Read it *before* verifying a password and hand it to
    /// ``store(_:subject:generation:)``.
    public var generation: UInt64 {
        currentGeneration.load(ordering: .acquiring)
    }

    /// What was stored for this exact header value, if still valid.
    @inlinable
    public func subject(for authorization: String) -> Subject? {
        let now = ContinuousClock.now
        let generation = currentGeneration.load(ordering: .acquiring)
        let key = Key(authorization)
        let own = shards.mine
        if let subject = lookUp(key, in: own, generation: generation, now: now) {
            return subject
        }
        // Stored by another thread? Then copied here, so the next lookup is local.
        for shard in shards.shards where shard !== own {
            guard let entry = shard.state.withLock({ $0[key] }),
                  entry.isValid(generation: generation, now: now, timeToLive: timeToLive) else { continue }
            insert(entry, for: key, into: own)
            return entry.subject
        }
        return nil
    }

    /// The valid entry of `key` in `shard`; an invalid one is removed.
    @inlinable
    func lookUp(_ key: Key, in shard: Shard, generation: UInt64, now: ContinuousClock.Instant) -> Subject? {
        let timeToLive = timeToLive
        return shard.state.withLock { entries -> Subject? in
            guard let entry = entries[key] else { return nil }
            guard entry.isValid(generation: generation, now: now, timeToLive: timeToLive) else {
                entries[key] = nil
                return nil
            }
            return entry.subject
        }
    }

    @usableFromInline
    func insert(_ entry: Entry, for key: Key, into shard: Shard) {
        shard.state.withLock { entries in
            if entries.count >= shardCapacity, entries[key] == nil {
                entries.removeAll(keepingCapacity: true)
            }
            entries[key] = entry
        }
    }

    /// Records a successful verification. Ignored when the cache was invalidated since
    /// `generation` was read (the user may have changed meanwhile).
    public func store(_ authorization: String, subject: Subject, generation: UInt64) {
        let now = ContinuousClock.now
        guard generation == currentGeneration.load(ordering: .acquiring) else { return }
        insert(Entry(subject: subject, generation: generation, storedAt: now), for: Key(authorization), into: shards.mine)
        // An invalidation between the check and the insert left an entry of the old
        // generation, which lookups ignore.
    }

    /// Forgets every entry and bumps the generation. Call whenever any user or role changes.
    public func invalidateAll() {
        currentGeneration.wrappingAdd(1, ordering: .acquiringAndReleasing)
        for shard in shards.shards { shard.state.withLock { $0.removeAll() } }
    }

    /// The number of live entries (for tests and metrics).
    public var count: Int {
        shards.shards.reduce(0) { total, shard in total + shard.state.withLock { $0.count } }
    }
}
