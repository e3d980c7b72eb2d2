import Foundation
import LyreCore
@testable import LyreStorage
import LyreTestSupport
import Testing

/// A database keeps its creation time (`__meta` key `created`) so replication decides a
/// drop against a re-creation by time, as for tables; files written before it was kept
/// still open, with the newest table's creation standing in.
@Suite struct DatabaseCreationTimeTests {
    static func observe(_ storage: TemporaryStorage) {
        storage.engine.setCommitObserver(CommitObservation(observes: { _, _ in true }) { _ in })
    }

    @Test func aDatabaseKeepsItsCreationTimeAcrossARestartAndPublishesItsCreationAtThatTime() async throws {
        let storage = try TemporaryStorage()
        _ = try storage.engine.createDatabase(StorageEngine.systemDatabase)
        Self.observe(storage)
        let before = Date().timeIntervalSince1970 * 1000
        let zoo = try storage.engine.createDatabase("zoo")
        let created = try #require(zoo.catalog.createdTime)
        #expect(created >= before)
        // The creation's group in the system database's outbox carries the same time.
        let outbox = try #require(storage.engine.database(StorageEngine.systemDatabase)).pendingOutbox()
        let group = try #require(outbox.last { group in
            group.changes.contains { if case .schema(.createDatabase("zoo")) = $0.kind { true } else { false } }
        })
        #expect(group.timestamp == created)
        // Made implicitly (create_table's), it is kept too.
        let implicit = try storage.engine.databaseCreatingIfNeeded("dev")
        #expect(implicit.catalog.createdTime != nil)
        storage.engine.setCommitObserver(nil)
        let engine = try storage.reopened()
        #expect(engine.database("zoo")?.catalog.createdTime == created)
        engine.close()
    }

    @Test func aFileWrittenWithoutTheCreationTimeOpensAndStandsInWithItsNewestTable() async throws {
        let storage = try TemporaryStorage()
        let db = try storage.engine.createDatabase("old")
        _ = try db.writeSync { ctx in
            _ = try ctx.createTable("a", primaryKey: "id")
            try ctx.forgetDatabaseCreated()
        }
        try await Task.sleep(for: .milliseconds(5))
        _ = try db.writeSync { ctx in try ctx.createTable("b", primaryKey: "id") }
        let engine = try storage.reopened()
        let reopened = try #require(engine.database("old"))
        #expect(reopened.catalog.createdTime == nil)
        #expect(reopened.catalog.tableNames == ["a", "b"])
        #expect(reopened.catalog.replicationCreatedTime == reopened.table("b")?.createdTime)
        engine.close()
    }

    @Test func aDropReceivedForADatabaseCreatedHereAfterItLeavesTheEmptyDatabaseAndKeepsTheMarker() async throws {
        let storage = try TemporaryStorage()
        _ = try storage.engine.createDatabase(StorageEngine.systemDatabase)
        Self.observe(storage)
        let dropTime = Date().timeIntervalSince1970 * 1000
        try await Task.sleep(for: .milliseconds(5))
        _ = try storage.engine.createDatabase("zoo")
        try storage.engine.applyRemoteDatabaseChange(.dropDatabase("zoo"), at: dropTime)
        #expect(storage.engine.database("zoo") != nil, "created after the drop")
        #expect(storage.engine.databaseDroppedAt("zoo") == dropTime)
        // A drop after its creation takes it.
        try storage.engine.applyRemoteDatabaseChange(.dropDatabase("zoo"), at: Date().timeIntervalSince1970 * 1000 + 1)
        #expect(storage.engine.database("zoo") == nil)
        // Created by a change received: at that change's time.
        let later = Date().timeIntervalSince1970 * 1000 + 10
        try storage.engine.applyRemoteDatabaseChange(.createDatabase("zoo"), at: later)
        #expect(storage.engine.database("zoo")?.catalog.createdTime == later)
    }
}
