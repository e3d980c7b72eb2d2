import Dispatch
import Foundation
import LyreCore
import LyreStorage
import LyreTestSupport
import Synchronization
import Testing

/// `storage.maxTransactionQueueTime`: a write that waited too long for the writer is refused.
@Suite struct QueueTimeTests {
    @Test func aWriteThatWaitedPastTheLimitIsRefusedAndTheNextOneIsNot() throws {
        let storage = try TemporaryStorage()
        let db = try storage.engine.createDatabase("dev")
        _ = try db.writeSync { ctx in try ctx.createTable("dog", primaryKey: "id") }

        // Hold the writer: the first job blocks until released (only on its first run: a
        // refused neighbour makes the writer replay the group).
        let started = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let firstRun = Atomic<Bool>(true)
        db.write({ _ in
            if firstRun.exchange(false, ordering: .relaxed) {
                started.signal()
                release.wait()
            }
        }, completion: { _ in })
        // The limit is set once the writer holds the first job: set before, that job could
        // itself wait past 50 ms on a loaded machine, be refused, and never start.
        try #require(started.wait(timeout: .now() + 120) == .success, "the writer never ran the first job")
        storage.engine.setMaximumTransactionQueueTime(.milliseconds(50))

        let outcome = Mutex<Result<[Value], any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        db.write({ ctx in try ctx.write([["id": 1]], mode: .insert, to: "dog").written }, completion: { result in
            outcome.withLock { $0 = result }
            done.signal()
        })
        Thread.sleep(forTimeInterval: 0.2)  // the queued write now has waited past the limit
        release.signal()
        try #require(done.wait(timeout: .now() + 120) == .success, "the queued write was never answered")

        let refused = try #require(outcome.withLock { $0 })
        guard case .failure(let error as LyreError) = refused else {
            Issue.record("expected the queued write to be refused, got \(refused)")
            return
        }
        #expect(error.status == 503)
        #expect(error.message == "Outstanding write transactions have too long of queue, please try again later")
        #expect(try db.read { txn in try txn.count(db.table("dog")!.records) } == 0, "the refused write wrote nothing")

        // The writer has caught up: the next write is judged by its own wait.
        let written = try awaitWrite(db) { ctx in try ctx.write([["id": 2]], mode: .insert, to: "dog").written }
        #expect(written == [2])
    }

    /// `Database.write(_:completion:)`, waited for (the form the server uses, subject to the limit).
    private func awaitWrite<T: Sendable>(_ db: Database, _ body: @escaping @Sendable (inout WriteContext) throws -> T) throws -> T {
        let outcome = Mutex<Result<T, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        db.write(body) { result in
            outcome.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        return try outcome.withLock { $0 }!.get()
    }
}
