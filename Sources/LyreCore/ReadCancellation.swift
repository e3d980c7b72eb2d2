import Synchronization

/// Cooperative cancellation of long reads when the server stops (session 12).
///
/// Graceful shutdown waits for the requests in flight, and closing storage waits for open
/// read transactions, so one long SQL `SELECT` or search held SIGTERM (and `lyre stop`)
/// for as long as it ran. The executors' row loops call `check()` (an atomic load, cheap
/// enough for every row); once the `lyre` process asks for it, a running read throws
/// `shuttingDown` (503) and its read transaction ends. Writes never check: a write
/// already handed to the storage writer commits whole, and one whose targets were still
/// being read is abandoned before anything was written.
///
/// Process-wide on purpose: only the `lyre` executable requests it, when it stops (tests
/// that run several applications in one process never do). One request's reads are also
/// cancelled through its `Token` (bound as `current` around its work by the HTTP front end):
/// when it outlives `operationsApi.network.timeout`, or its client goes away.
public enum ReadCancellation {
    private static let requested = Atomic<Bool>(false)

    /// One request's cancellation: reads that run with it bound as `current` end once it
    /// is cancelled. Only reads look at it, so a write's commit is never cut short.
    public final class Token: Sendable {
        private let cancelled = Atomic<Bool>(false)
        public init() {}
        public func cancel() { cancelled.store(true, ordering: .relaxed) }
        public var isCancelled: Bool { cancelled.load(ordering: .relaxed) }
    }

    /// The running request's token (none outside requests).
    @TaskLocal public static var current: Token?

    /// From now on, running and new reads end with `LyreError.shuttingDown`.
    public static func requestForShutdown() {
        requested.store(true, ordering: .relaxed)
    }

    public static var isRequested: Bool { requested.load(ordering: .relaxed) }

    /// Counts rows and checks every 256th, for the hottest loops (a row costs about a
    /// microsecond; the task-local lookup of `check` would add a few percent).
    public struct Checkpoint: Sendable {
        private var count: UInt8 = 0
        public init() {}
        @inline(__always)
        public mutating func tick() throws(LyreError) {
            count &+= 1
            if count == 0 { try ReadCancellation.check() }
        }
    }

    /// - Throws: `LyreError.shuttingDown` once the server is stopping, `readCancelled` once
    ///   the request's `current` token is cancelled.
    @inline(__always)
    public static func check() throws(LyreError) {
        if requested.load(ordering: .relaxed) { throw .shuttingDown }
        if let token = current, token.isCancelled { throw .readCancelled }
    }
}

extension LyreError {
    /// A read cut short because the server is stopping (503: the request was fine).
    public static let shuttingDown = LyreError(
        .unavailable, status: 503, "The server is shutting down; the request was cancelled, please retry")

    /// A read of a request that timed out or lost its client (never reaches a client: the
    /// timeout was answered already, or nobody is left to answer).
    public static let readCancelled = LyreError(.unavailable, status: 503, "The request was cancelled")
}
