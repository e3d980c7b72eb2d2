import Synchronization

/// Remembers which `Authorization` header values were already verified, so a request
/// does not pay the password hash (tens of milliseconds) every time.
///
/// Keys are the exact header value (`Basic dXNlcjpwdw==`), values the verified username.
/// Every entry carries the cache's `generation` at the time verification *started*;
/// ``invalidateAll()`` bumps the generation, which drops all entries and also rejects
/// any verification still in flight when a user or role changed:
///
/// ```swift
/// if let username = cache.username(for: header) { ... }           // hit
/// let generation = cache.generation                                // before hashing
/// if hasher.verify(password, against: stored) {
///     cache.store(header, username: username, generation: generation)
/// }
/// // elsewhere, after add_user / alter_user / drop_user / role changes:
/// cache.invalidateAll()
/// ```
///
/// Entries also expire after `timeToLive` (Harper's `authentication.cacheTTL`, 30 s by default).
public final class CredentialCache: Sendable {
    private struct Entry {
        var username: String
        var generation: UInt64
        var storedAt: ContinuousClock.Instant
    }

    private struct State {
        var generation: UInt64 = 0
        var entries: [String: Entry] = [:]
    }

    private let state = Mutex(State())
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
    /// ``store(_:username:generation:)``.
    public var generation: UInt64 {
        state.withLock { $0.generation }
    }

    /// The username verified for this exact header value, if still valid.
    public func username(for authorization: String) -> String? {
        let now = ContinuousClock.now
        return state.withLock { state -> String? in
            guard let entry = state.entries[authorization] else { return nil }
            guard entry.generation == state.generation, entry.storedAt.duration(to: now) < timeToLive else {
                state.entries[authorization] = nil
                return nil
            }
            return entry.username
        }
    }

    /// Records a successful verification. Ignored when the cache was invalidated since
    /// `generation` was read (the user may have changed meanwhile).
    public func store(_ authorization: String, username: String, generation: UInt64) {
        let now = ContinuousClock.now
        state.withLock { state in
            guard generation == state.generation else { return }
            if state.entries.count >= capacity, state.entries[authorization] == nil {
                state.entries.removeAll(keepingCapacity: true)
            }
            state.entries[authorization] = Entry(username: username, generation: generation, storedAt: now)
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
