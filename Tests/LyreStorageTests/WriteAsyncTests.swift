import LyreCore
import LyreStorage
import LyreTestSupport
import Testing

/// `storage.writeAsync`: commits without a sync, made durable by `flushCommits`.
@Suite struct WriteAsyncTests {
    @Test func writeAsyncTurnsTheSyncOfEachCommitOffAndBackOn() throws {
        let storage = try TemporaryStorage(durable: true)
        let db = try storage.engine.createDatabase("dev")
        #expect(db.syncsEachCommit)
        storage.engine.setWriteAsync(true)
        // The switch is a job on the writer: once a later job is done, it is in force.
        _ = try db.writeSync { ctx in try ctx.createTable("dog", primaryKey: "id") }
        #expect(!db.syncsEachCommit)
        let created = try storage.engine.createDatabase("later")
        #expect(!created.syncsEachCommit, "a database created while writeAsync is on does not sync either")
        storage.engine.setWriteAsync(false)
        _ = try db.writeSync { ctx in try ctx.write([["id": 1]], mode: .insert, to: "dog") }
        _ = try created.writeSync { _ in }
        #expect(db.syncsEachCommit)
        #expect(created.syncsEachCommit)
    }

    @Test func aFlushSyncsOnlyWhenSomethingWasCommittedSinceTheLastOne() throws {
        let storage = try TemporaryStorage(durable: true)
        let db = try storage.engine.createDatabase("dev")
        storage.engine.setWriteAsync(true)
        _ = try db.writeSync { ctx in try ctx.createTable("dog", primaryKey: "id") }
        storage.engine.flushCommits()
        #expect(!db.flushCommits(), "nothing new since the engine's flush")
        _ = try db.writeSync { ctx in try ctx.write([["id": 1]], mode: .insert, to: "dog") }
        #expect(db.flushCommits())
        #expect(!db.flushCommits())
    }

    @Test func anEngineWithoutDurabilityIgnoresWriteAsync() throws {
        let storage = try TemporaryStorage(durable: false)
        let db = try storage.engine.createDatabase("dev")
        storage.engine.setWriteAsync(false)
        _ = try db.writeSync { _ in }
        #expect(!db.syncsEachCommit)
    }
}
