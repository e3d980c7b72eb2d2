import Dispatch

/// A `DispatchSemaphore` used to wait for a write from synchronous code.
final class DispatchSemaphoreBox: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    func signal() { semaphore.signal() }
    func wait() { semaphore.wait() }
}
