import Foundation
import Synchronization

/// How a clustering worker thread (the publisher, the tombstone sweeper) is woken and
/// stopped: a stop flag, a wake-up its loop waits on between steps, and the loop's end,
/// which `stop()` waits for.
final class WorkerSignals: Sendable {
    private let stopped = Atomic<Bool>(false)
    private let wakeup = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    var isStopped: Bool { stopped.load(ordering: .acquiring) }

    /// Ends the loop's current wait early.
    func wake() { wakeup.signal() }

    /// Waits for a wake-up, at most `seconds`: false when the time ran out.
    @discardableResult
    func wait(seconds: Double) -> Bool {
        wakeup.wait(timeout: .now() + seconds) == .success
    }

    /// Called by the loop as it ends.
    func loopEnded() { finished.signal() }

    /// Stops the loop (after the step in hand) and waits for its end. Idempotent.
    func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        wakeup.signal()
        finished.wait()
    }
}
