public import Synchronization

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
    struct Entry {
        @usableFromInline var subject: Subject
        @usableFromInline var generation: UInt64
        @usableFromInline var storedAt: ContinuousClock.Instant

        @usableFromInline
        init(subject: Subject, generation: UInt64, storedAt: ContinuousClock.Instant) {
            self.subject = subject
            self.generation = generation
            self.storedAt = storedAt
        }
    }

    @usableFromInline
    struct State {
        @usableFromInline var generation: UInt64 = 0
        @usableFromInline var entries: [Key: Entry] = [:]

        @usableFromInline init() {}
    }

    /// A header value as a dictionary key, hashed by its length and last 32 bytes only:
    /// a bearer token is ~600 bytes whose tail is its signature (random), so hashing the
    /// tail is as good as hashing it all at a twentieth of the cost. Equality still
    /// compares the whole value.
    @usableFromInline
    struct Key: Hashable {
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

    @usableFromInline let state = Mutex<State>(State())
    /// How long a verified header is trusted.
    public let timeToLive: Duration
    /// The most entries kept; when full, the cache starts over (verified headers are cheap to re-verify).
    public let capacity: Int

    /// - Parameters:
    ///   - timeToLive: How long an entry stays valid (`authentication.cacheTTL`).
    ///   - capacity: Upper bound on entries, so memory stays bounded.
    public init(timeToLive: Duration = .seconds(30), capacity: Int = 10_000) {
        precondition(capacity > 0, "capacity must be positive")
        self.timeToLive = timeToLive
        self.capacity = capacity
    }

    /// The current generation. Read it *before* verifying a password and hand it to
    /// ``store(_:subject:generation:)``.
    public var generation: UInt64 {
        state.withLock { $0.generation }
    }

    /// What was stored for this exact header value, if still valid.
    @inlinable
    public func subject(for authorization: String) -> Subject? {
        let now = ContinuousClock.now
        return state.withLock { state -> Subject? in
            guard let entry = state.entries[Key(authorization)] else { return nil }
            guard entry.generation == state.generation, entry.storedAt.duration(to: now) < timeToLive else {
                state.entries[Key(authorization)] = nil
                return nil
            }
            return entry.subject
        }
    }

    /// Records a successful verification. Ignored when the cache was invalidated since
    /// `generation` was read (the user may have changed meanwhile).
    public func store(_ authorization: String, subject: Subject, generation: UInt64) {
        let now = ContinuousClock.now
        state.withLock { state in
            guard generation == state.generation else { return }
            if state.entries.count >= capacity, state.entries[Key(authorization)] == nil {
                state.entries.removeAll(keepingCapacity: true)
            }
            state.entries[Key(authorization)] = Entry(subject: subject, generation: generation, storedAt: now)
        }
    }

    /// Forgets every entry and bumps the generation. Call whenever any user or role changes.
    public func invalidateAll() {
        state.withLock { state in
            state.generation &+= 1
            state.entries.removeAll()
        }
    }

    /// The number of live entries (for tests and metrics).
    public var count: Int {
        state.withLock { $0.entries.count }
    }
}
