public import Foundation
public import LyreAuth
import Synchronization

/// A clock tests move by hand, for token expiry.
///
/// ```swift
/// let clock = TestClock()
/// let lyre = try TestApplication(clock: clock)
/// clock.advance(by: 2 * 86_400)  // every one-day token has now expired
/// ```
public final class TestClock: AuthClock {
    private let current: Mutex<Date>

    public init(_ start: Date = Date()) { current = Mutex(start) }

    public func now() -> Date { current.withLock { $0 } }

    /// Moves the clock forward by `seconds`.
    public func advance(by seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}
