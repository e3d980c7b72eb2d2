#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A server-wide allowance of bytes for requests being received and parsed at once
/// (`operationsApi.network.requestMemory`): the HTTP front end reserves a body's length
/// before reading it, and `JSON.parse(_:charging:)` reserves what the parsed tree will take.
///
/// ```swift
/// let budget = MemoryBudget(limit: 64 << 20)
/// guard budget.reserve(bodyLength) else { /* wait, or refuse */ }
/// defer { budget.release(bodyLength) }
/// ```
public final class MemoryBudget: Sendable {
    /// The most bytes reservable at once; one request larger than this is refused.
    public let limit: Int
    private let used = Atomic<Int>(0)

    public init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Bytes reserved now (for tests and metrics).
    public var reserved: Int { used.load(ordering: .relaxed) }

    /// Reserves `bytes` if they fit beside what is reserved; false (nothing reserved) otherwise.
    public func reserve(_ bytes: Int) -> Bool {
        guard bytes > 0 else { return true }
        guard bytes <= limit else { return false }
        var current = used.load(ordering: .relaxed)
        while true {
            guard current <= limit - bytes else { return false }
            let (exchanged, original) = used.compareExchange(
                expected: current, desired: current + bytes, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
    }

    public func release(_ bytes: Int) {
        guard bytes > 0 else { return }
        used.subtract(bytes, ordering: .relaxed)
    }

    /// A quarter of physical memory (at least 64 MiB): the default budget.
    public static func defaultLimit() -> Int {
        let pages = sysconf(Int32(_SC_PHYS_PAGES))
        let pageSize = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, pageSize > 0 else { return 1 << 30 }
        let (total, overflow) = pages.multipliedReportingOverflow(by: pageSize)
        return max(64 << 20, overflow ? Int.max / 4 : total / 4)
    }

    /// Bytes held until this object goes away (a body handed to the parser, the parsed tree
    /// of a request being answered): keep it alive as long as what it accounts for, or
    /// `take()` the bytes to account for them elsewhere.
    public final class Reservation: Sendable {
        public let budget: MemoryBudget?
        private let held: Atomic<Int>

        /// Takes over `bytes` already reserved from `budget`.
        public init(bytes: Int, budget: MemoryBudget?) {
            self.held = Atomic(budget == nil ? 0 : bytes)
            self.budget = budget
        }

        /// The bytes still held.
        public var bytes: Int { held.load(ordering: .relaxed) }

        /// The bytes held, which the caller now answers for; nothing is released later.
        public func take() -> Int { held.exchange(0, ordering: .relaxed) }

        deinit { budget?.release(held.load(ordering: .relaxed)) }
    }
}
