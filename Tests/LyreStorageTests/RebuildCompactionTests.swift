import Foundation
import LyreCore
import LyreStorage
import LyreTestSupport
import Testing

/// Compaction rebuilds the file (issue 18 item 2, `Rebuild`): every DBI's entries put in key
/// order with `MDB_APPEND` into a fresh environment. The same entries, DBI by DBI, and full
/// index leaves where LMDB's compacting copy keeps the half-empty leaves of random inserts.
@Suite struct RebuildCompactionTests {
    /// A small deterministic generator (SplitMix64), so a failure can be replayed.
    private struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    /// `dev.dog` (audited, expiring) after random inserts and deletes in batches, the way a
    /// bulk load lands entries in gaps all over the index.
    private func churnedRandomly(_ storage: TemporaryStorage) throws -> Database {
        let db = try storage.engine.createDatabase("dev")
        _ = try db.writeSync { ctx in try ctx.createTable("dog", primaryKey: "id", audit: true, expiration: 86_400) }
        _ = try db.writeSync { ctx in try ctx.createTable("cat", primaryKey: "id", audit: false) }
        var random = Random(state: 18)
        let breeds = (0..<300).map { "breed-\($0)" }
        for _ in 0..<12 {
            let records: [JSONObject] = (0..<1_000).map { _ in
                ["id": .int(Int64(random.below(1_000_000))), "breed": .string(breeds[random.below(breeds.count)]),
                 "age": .int(Int64(random.below(20))), "weight": .double(Double(random.below(10_000)) / 100),
                 "name": .string("dog \(random.below(50_000))")]
            }
            let audit = AuditDescriptor(operation: "upsert", username: "admin")
            _ = try db.writeSync { ctx in try ctx.write(records, mode: .upsert, to: "dog", audit: audit) }
            let ids: [Value] = (0..<150).map { _ in .int(Int64(random.below(1_000_000))) }
            let deletion = AuditDescriptor(operation: "delete", username: "admin")
            _ = try db.writeSync { ctx in try ctx.delete(ids: ids, from: "dog", audit: deletion) }
            let cats: [JSONObject] = (0..<50).map { _ in ["id": .string("cat-\(random.below(100_000))"), "lives": .int(Int64(random.below(9)))] }
            _ = try db.writeSync { ctx in try ctx.write(cats, mode: .upsert, to: "cat") }
        }
        // An index read has the writer apply the index backlog (small writes' index changes),
        // which it would otherwise do when idle — between two snapshots the test compares.
        _ = try db.read { _ in 0 }
        return db
    }

    /// Leaf bytes used by entries over leaf bytes (a page's 16-byte header excluded).
    private func fill(_ contents: Database.DBIContents) -> Double {
        let s = contents.statistics
        return Double(contents.entryBytes) / Double(s.leafPages * (s.pageSize - 16))
    }

    private func expectSameEntries(_ before: [String: Database.DBIContents], _ after: [String: Database.DBIContents]) {
        #expect(after.keys.sorted() == before.keys.sorted())
        for (name, was) in before {
            guard let now = after[name] else { continue }
            #expect(now.entries.count == was.entries.count, "\(name)")
            #expect(now.statistics.entries == was.statistics.entries, "\(name)")
            let differing = zip(was.entries, now.entries).enumerated().first { $0.element.0.key != $0.element.1.key || $0.element.0.value != $0.element.1.value }?.offset
            #expect(differing == nil, "\(name): entry \(differing ?? -1) differs")
        }
    }

    @Test func onlineCompactionKeepsEveryEntryOfEveryDBIAndFillsTheIndexLeaves() throws {
        let storage = try TemporaryStorage()
        let db = try churnedRandomly(storage)
        let before = try db.everyDBI(entries: true)
        // What the test is about: every kind of DBI has entries.
        #expect(before["__index_backlog"]?.entries.count == 0)
        for name in ["t/dog", "i/dog", "a/dog", "__expiry", "__catalog", "t/cat", "i/cat"] {
            #expect((before[name]?.entries.count ?? 0) > 0, "\(name) is empty")
        }
        let indexBefore = try #require(before["i/dog"])
        #expect(fill(indexBefore) < 0.8, "random inserts leave index leaves part-empty: \(fill(indexBefore))")

        let (sizeBefore, sizeAfter) = try db.compact()
        #expect(sizeAfter < sizeBefore)
        let after = try db.everyDBI(entries: true)
        expectSameEntries(before, after)
        let indexAfter = try #require(after["i/dog"])
        #expect(fill(indexAfter) > 0.9, "index leaves \(fill(indexAfter)) full after the rebuild")
        #expect(fill(try #require(after["t/dog"])) > 0.9)
        #expect(indexAfter.statistics.leafPages < indexBefore.statistics.leafPages)

        // Reads and writes go on in the rebuilt file, under the same handles, and a restart reads it.
        _ = try db.writeSync { ctx in try ctx.write([["id": 2_000_000, "breed": "breed-1"]], mode: .insert, to: "dog") }
        // The insert's 3 index entries wait in the index backlog until an index read (or the
        // idle writer, 50 ms later, or close) applies them: apply them before counting, or
        // the count races the idle writer (71,538 vs 71,541 in a loaded parallel run).
        _ = try db.read { _ in 0 }
        let written = try db.everyDBI(entries: false)
        #expect(written["t/dog"]?.statistics.entries == (before["t/dog"]?.statistics.entries ?? 0) + 1)
        let reopened = try storage.reopened()
        defer { reopened.close() }
        let again = try #require(reopened.database("dev")).everyDBI(entries: false)
        #expect(again["t/dog"]?.statistics.entries == written["t/dog"]?.statistics.entries)
        #expect(again["i/dog"]?.statistics.entries == written["i/dog"]?.statistics.entries)
    }

    /// LMDB's compacting copy (what compaction used to be, and still what `get_backup` sends)
    /// keeps the leaves as they are: the reason for the rebuild.
    @Test func theCompactingCopyKeepsHalfEmptyLeavesWhereTheRebuildFillsThem() throws {
        let storage = try TemporaryStorage()
        let db = try churnedRandomly(storage)
        let copied = try TemporaryStorage()
        let path = copied.root + "/database/dev.mdb"
        try FileManager.default.createDirectory(atPath: copied.root + "/database", withIntermediateDirectories: true)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        try #require(fd >= 0)
        try db.copy(to: fd)
        close(fd)
        let copyEngine = try copied.reopened()
        defer { copyEngine.close() }
        let copy = try #require(copyEngine.database("dev")).everyDBI(entries: false)
        _ = try db.compact()
        let rebuilt = try db.everyDBI(entries: false)
        let copyIndex = try #require(copy["i/dog"])
        let rebuiltIndex = try #require(rebuilt["i/dog"])
        #expect(copyIndex.statistics.entries == rebuiltIndex.statistics.entries)
        #expect(fill(copyIndex) < 0.8)
        #expect(fill(rebuiltIndex) > 0.9)
        #expect(Double(rebuiltIndex.statistics.leafPages) < Double(copyIndex.statistics.leafPages) * 0.85)
    }

    @Test func compactionAtStartRebuildsWithTheSameEntries() throws {
        let storage = try TemporaryStorage()
        let db = try churnedRandomly(storage)
        let before = try db.everyDBI(entries: true)
        storage.engine.close()
        let path = storage.root + "/database/dev.mdb"
        let outcome = try StartCompaction(keepBackup: false).compact(path: path, backupDirectory: storage.root + "/backup")
        #expect(outcome.bytesAfter < outcome.bytesBefore)
        #expect(!FileManager.default.fileExists(atPath: path + ".compacting"))
        #expect(!FileManager.default.fileExists(atPath: path + ".compacting-lock"))
        let reopened = try storage.reopened()
        defer { reopened.close() }
        let after = try #require(reopened.database("dev")).everyDBI(entries: true)
        expectSameEntries(before, after)
        #expect(fill(try #require(after["i/dog"])) > 0.9)
    }

    /// A rebuild that cannot write its file (here a directory where the new file goes) is
    /// refused with the reason, and the database goes on as it was, writes included.
    @Test func aRebuildThatFailsLeavesTheDatabaseAsItWas() throws {
        let storage = try TemporaryStorage()
        let db = try churnedRandomly(storage)
        let before = try db.everyDBI(entries: true)
        let path = storage.root + "/database/dev.mdb"
        try FileManager.default.createDirectory(atPath: path + ".compacting-online", withIntermediateDirectories: false)
        let size = db.fileSize
        #expect(throws: CompactionAborted.self) { try db.compact() }
        #expect(db.fileSize == size)
        expectSameEntries(before, try db.everyDBI(entries: true))
        _ = try db.writeSync { ctx in try ctx.write([["id": 3_000_000]], mode: .insert, to: "dog") }
        #expect(try db.everyDBI(entries: false)["t/dog"]?.statistics.entries == (before["t/dog"]?.statistics.entries ?? 0) + 1)
        // Once the way is clear, the next compaction works.
        try FileManager.default.removeItem(atPath: path + ".compacting-online")
        let (_, after) = try db.compact()
        #expect(after < size)
    }

    /// A DUPSORT DBI (Lyre's own indexes were DUPSORT before session 4, and a file may still
    /// hold one) is rebuilt as DUPSORT, its duplicates appended in order.
    @Test func aDupSortDBIKeepsItsFlagsAndDuplicates() throws {
        let storage = try TemporaryStorage()
        let db = try storage.dogTable()
        var random = Random(state: 7)
        for _ in 0..<5 {
            let pairs = (0..<2_000).map { _ in (Array("key-\(random.below(40))".utf8), Array("value-\(random.below(100_000))".utf8)) }
            _ = try db.writeSync { ctx in
                let dbi = try #require(try ctx.transaction.openDBI("test/dups", create: true, dupSort: true))
                for (key, value) in pairs { _ = try ctx.transaction.put(dbi, key, value) }
            }
        }
        let before = try db.everyDBI(entries: true)
        let dups = try #require(before["test/dups"])
        #expect(dups.entries.count > 1_000)
        #expect(Set(dups.entries.map(\.key)).count <= 40, "entries are duplicates of 40 keys")
        _ = try db.compact()
        let after = try db.everyDBI(entries: true)
        expectSameEntries(before, after)
        // Still DUPSORT: a second value under an existing key adds a duplicate.
        let key = try #require(dups.entries.first?.key)
        _ = try db.writeSync { ctx in
            let dbi = try #require(try ctx.transaction.openDBI("test/dups", create: false, dupSort: true))
            _ = try ctx.transaction.put(dbi, key, Array("zzz".utf8))
        }
        let added = try db.everyDBI(entries: true)
        #expect(added["test/dups"]?.entries.count == dups.entries.count + 1)
    }
}
