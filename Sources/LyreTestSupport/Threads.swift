import Foundation

/// Runs `body` once on each of `count` new threads (not the cooperative pool), passing the
/// thread's number, and returns when all have finished.
package func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    let threads = (0..<count).map { index in
        group.enter()
        return Thread {
            body(index)
            group.leave()
        }
    }
    threads.forEach { $0.start() }
    group.wait()
}
