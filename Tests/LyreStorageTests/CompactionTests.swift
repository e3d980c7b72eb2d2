import Foundation
import LyreCore
import LyreStorage
import LyreTestSupport
import Synchronization
import Testing

/// Compaction (issue 18 item 3): at start (`StartCompaction`, `storage.compactOnStart`) and
/// online (`Database.compact`), which keeps reads and writes going and loses no write made
/// during the copy.
@Suite struct CompactionTests {
    /// `dev.dog` with `live` records left after `churned` were inserted and deleted.
    private func churned(_ storage: TemporaryStorage, churned: Int = 20_000, live: Int = 500) throws -> Database {
        let db = try storage.dogTable()
        let filler = String(repeating: "x", count: 300)
        for first in stride(from: 0, to: churned, by: 1_000) {
            let records: [JSONObject] = (first..<first + 1_000).map { ["id": .int(Int64($0)), "n": .int(Int64($0 % 10)), "note": .string(filler)] }
            _ = try db.writeSync { ctx in try ctx.write(records, mode: .insert, to: "dog") }
        }
        let ids: [Value] = (0..<(churned - live)).map { .int(Int64($0)) }
        _ = try db.writeSync { ctx in try ctx.delete(ids: ids, from: "dog") }
        return db
    }

    private func ids(_ db: Database, n: Int64) throws -> [Int64] {
        let table = try #require(db.table("dog"))
        let id = try #require(table.attribute("n")).id
        let valueKey = try #require(TableIndex.key(id, .int(n)))
        return try db.read { txn in
            try txn.withCursor(table.index) { cursor in
                var keys: [Int64] = []
                var entry = try cursor.seek(atOrAfter: valueKey)
                while let e = entry, e.key.starts(with: valueKey) {
                    let (_, primaryKey) = TableIndex.split(key: e.key, data: e.value)
                    if let i = try KeyCodec.decode(primaryKey).intValue { keys.append(i) }
                    entry = try cursor.next()
                }
                return keys
            }
        }
    }

    private func count(_ db: Database) throws -> Int {
        try db.read(completeIndexes: false) { txn in try txn.count(db.table("dog")!.records) }
    }

    @Test func onlineCompactionShrinksTheFileAndKeepsEverything() throws {
        let storage = try TemporaryStorage()
        let db = try churned(storage)
        let expected = try ids(db, n: 3)
        let (before, after) = try db.compact()
        #expect(after * 4 < before, "\(before) → \(after)")
        #expect(db.fileSize <= after)
        #expect(try count(db) == 500)
        #expect(try ids(db, n: 3) == expected)
        // Writes go to the new file, and a restart opens it.
        _ = try db.writeSync { ctx in try ctx.write([["id": "new", "n": 3]], mode: .insert, to: "dog") }
        let engine = try storage.reopened()
        defer { engine.close() }
        let reopened = try #require(engine.database("dev"))
        #expect(try count(reopened) == 501)
        #expect(try ids(reopened, n: 3).count == expected.count)
        #expect(!FileManager.default.fileExists(atPath: storage.root + "/database/dev.mdb.compacting-online"))
    }

    @Test func readsAndWritesGoOnDuringAnOnlineCompactionAndNoWriteIsLost() async throws {
        let storage = try TemporaryStorage()
        let db = try churned(storage, churned: 30_000, live: 1_000)
        let stop = Atomic<Bool>(false)
        let compacting = Atomic<Bool>(false)
        let written = Atomic<Int>(0)
        let reads = Atomic<Int>(0)
        let failures = Mutex<[String]>([])
        // A writer and a reader run all through the compaction.
        let writerDone = DispatchSemaphore(value: 0)
        let readerDone = DispatchSemaphore(value: 0)
        let writesDuringCompaction = Atomic<Int>(0)
        Thread.detachNewThread {
            var next = 1_000_000
            while !stop.load(ordering: .relaxed) {
                // Paced and bounded, so that however slow the machine the writes made during
                // the compaction stay small beside the file (the size check below).
                Thread.sleep(forTimeInterval: 0.001)
                if compacting.load(ordering: .relaxed) {
                    guard writesDuringCompaction.add(1, ordering: .relaxed).newValue <= 2_000 else { continue }
                } else if next >= 1_002_000 {
                    continue
                }
                let records: [JSONObject] = (next..<next + 20).map { ["id": .int(Int64($0)), "n": 3] }
                do {
                    _ = try db.writeSync { ctx in try ctx.write(records, mode: .insert, to: "dog") }
                    // Also a table created and written while the compaction runs.
                    if compacting.load(ordering: .relaxed), db.table("cat") == nil {
                        _ = try db.writeSync { ctx in try ctx.createTable("cat", primaryKey: "id") }
                    }
                    let catID = Int64(next)
                    if db.table("cat") != nil { _ = try db.writeSync { ctx in try ctx.write([["id": .int(catID)]], mode: .insert, to: "cat") } }
                    written.add(20, ordering: .relaxed)
                } catch {
                    failures.withLock { $0.append("write: \(error)") }
                }
                next += 20
            }
            writerDone.signal()
        }
        Thread.detachNewThread {
            while !stop.load(ordering: .relaxed) {
                do {
                    _ = try db.read(completeIndexes: false) { txn in try txn.record(in: db.table("dog")!, id: .int(29_999)) }
                    reads.add(1, ordering: .relaxed)
                } catch {
                    failures.withLock { $0.append("read: \(error)") }
                }
            }
            readerDone.signal()
        }
        try await Task.sleep(for: .milliseconds(100))
        let during = (written.load(ordering: .relaxed), reads.load(ordering: .relaxed))
        compacting.store(true, ordering: .relaxed)
        let (before, after) = try db.compact()
        compacting.store(false, ordering: .relaxed)
        let afterCompaction = (written.load(ordering: .relaxed), reads.load(ordering: .relaxed))
        try await Task.sleep(for: .milliseconds(100))
        stop.store(true, ordering: .relaxed)
        writerDone.wait()
        readerDone.wait()
        #expect(failures.withLock { $0 } == [])
        #expect(after < before)
        #expect(afterCompaction.0 > during.0 && afterCompaction.1 > during.1, "writes and reads went on during the compaction")
        let total = written.load(ordering: .relaxed)
        #expect(try count(db) == 1_000 + total)
        #expect(try ids(db, n: 3).count == 100 + total)
        let cats = try db.read { txn in try txn.count(db.table("cat")!.records) }
        // Reopened from the file: the same.
        let engine = try storage.reopened()
        defer { engine.close() }
        let reopened = try #require(engine.database("dev"))
        #expect(try count(reopened) == 1_000 + total)
        #expect(try reopened.read { txn in try txn.count(reopened.table("cat")!.records) } == cats)
    }

    @Test func startCompactionReplacesTheFileAndKeepsABackup() throws {
        let storage = try TemporaryStorage()
        let db = try churned(storage)
        let expected = try ids(db, n: 7)
        let engine = try storage.reopened()
        engine.close()
        let path = storage.root + "/database/dev.mdb"
        let outcome = try StartCompaction(keepBackup: true).compact(path: path, backupDirectory: storage.root + "/backup")
        #expect(outcome.bytesAfter * 4 < outcome.bytesBefore)
        let backup = try FileManager.default.attributesOfItem(atPath: storage.root + "/backup/dev.mdb")[.size] as? Int
        #expect(backup == outcome.bytesBefore)
        let reopened = try storage.reopened()
        defer { reopened.close() }
        let compacted = try #require(reopened.database("dev"))
        #expect(try ids(compacted, n: 7) == expected)
        #expect(try count(compacted) == 500)
    }
}
