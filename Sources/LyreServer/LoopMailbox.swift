import NIOCore
import Synchronization

/// Work handed to an event loop from another thread, in batches.
///
/// The storage writer completes a whole group commit of requests at once; posting each
/// answer with `EventLoop.execute` wakes the loop (an eventfd write) once per request. A
/// mailbox wakes it once per batch: the first post schedules a drain, later posts only
/// append until the drain has taken them.
final class LoopMailbox: Sendable {
    private let loop: any EventLoop
    private let state = Mutex<(work: [@Sendable () -> Void], scheduled: Bool)>(([], false))

    private init(loop: any EventLoop) {
        self.loop = loop
    }

    func post(_ work: @escaping @Sendable () -> Void) {
        let schedule = state.withLock { s in
            s.work.append(work)
            if s.scheduled { return false }
            s.scheduled = true
            return true
        }
        if schedule { loop.execute { self.drain() } }
    }

    private func drain() {
        let work = state.withLock { s in
            s.scheduled = false
            defer { s.work = [] }
            return s.work
        }
        for w in work { w() }
    }

    private static let mailboxes = Mutex<[ObjectIdentifier: LoopMailbox]>([:])

    /// The mailbox of `loop`, made on first use (there is one per event loop thread).
    static func of(_ loop: any EventLoop) -> LoopMailbox {
        mailboxes.withLock { boxes in
            if let box = boxes[ObjectIdentifier(loop)] { return box }
            let box = LoopMailbox(loop: loop)
            boxes[ObjectIdentifier(loop)] = box
            return box
        }
    }
}
