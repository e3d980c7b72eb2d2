import LyreCore
@testable import LyreStorage
import LyreTestSupport
import Testing

/// Bytes per record (issue 18 item 2): large audit entries are stored LZ4-compressed and read
/// back whole, plain entries (small ones, and every entry of files written before) still
/// read; new records whose keys sort last fill the records DBI's leaves.
@Suite struct StoredBytesTests {
    private let admin = AuditDescriptor(operation: "insert", username: "admin")

    private func records(_ ids: some Sequence<Int>) -> [JSONObject] {
        ids.map { ["id": .int(Int64($0)), "name": .string("name \($0)"), "city": .string("City \($0 % 97)"), "score": .double(Double($0 % 1000) / 8)] }
    }

    /// The stored bytes of a table's only audit entry.
    private func storedAuditValue(_ db: Database) throws -> [UInt8] {
        let table = try #require(db.table("dog"))
        let dbi = try #require(table.auditLog)
        return try #require(try db.read { txn in try txn.withCursor(dbi) { cursor in try cursor.last().map { Array($0.value) } } })
    }

    @Test func aBulkWritesAuditEntryIsStoredCompressedAndReadsBackWhole() throws {
        let storage = try TemporaryStorage()
        let db = try storage.dogTable()
        let written = records(1...500)
        _ = try db.writeSync { ctx in try ctx.write(written, mode: .insert, to: "dog", audit: admin) }
        let stored = try storedAuditValue(db)
        #expect(stored.first == AuditValue.compressedTag)
        let table = try #require(db.table("dog"))
        let entries = try db.read { txn in try txn.auditEntries(of: table) }
        #expect(entries.count == 1)
        #expect(entries.first?.hashValues == (1...500).map { .int(Int64($0)) })
        let records = try #require(entries.first?.records)
        #expect(records.count == 500)
        #expect(records.map { $0["name"] } == written.map { $0["name"] })
        #expect(records.allSatisfy { $0[TableDefinition.createdTime]?.doubleValue != nil })
        // The compressed entry is several times smaller than its encoding.
        let size = stored[1...4].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect(stored.count * 3 < size)
    }

    @Test func aSingleRecordWritesAuditEntryStaysPlain() throws {
        let storage = try TemporaryStorage()
        let db = try storage.dogTable()
        _ = try db.writeSync { ctx in try ctx.write(records([7]), mode: .insert, to: "dog", audit: admin) }
        #expect(try storedAuditValue(db).first == RecordCodec.formatVersion)
        let table = try #require(db.table("dog"))
        #expect(try db.read { txn in try txn.auditEntries(of: table) }.first?.records?.first?["name"] == .string("name 7"))
    }

    /// Files written before compression existed hold large entries plain (RecordCodec bytes).
    @Test func aLargeAuditEntryStoredPlainByEarlierVersionsStillReads() throws {
        let storage = try TemporaryStorage()
        let db = try storage.dogTable()
        _ = try db.writeSync { ctx in try ctx.write(records([1]), mode: .insert, to: "dog", audit: admin) }
        let table = try #require(db.table("dog"))
        let dbi = try #require(table.auditLog)
        var entry = RecordCodec.Builder(entryCount: 4)
        entry.append("operation", .string("upsert"))
        entry.append("user_name", .string("admin"))
        entry.append("hash_values", .array((1...300).map { .int(Int64($0)) }))
        entry.append("records", .array(records(1...300).map(Value.object)))
        let plain = entry.bytes
        #expect(plain.count >= AuditValue.compressionThreshold)
        _ = try db.writeSync { ctx in try ctx.transaction.put(dbi, AuditKey.encode(4_000_000_000_000), plain) }
        let entries = try db.read { txn in try txn.auditEntries(of: table) }
        #expect(entries.count == 2)
        #expect(entries.last?.operation == "upsert")
        #expect(entries.last?.records?.count == 300)
        #expect(entries.last?.records?.last?["city"] == .string("City \(300 % 97)"))
    }

    @Test func aMalformedCompressedAuditEntryIsAnErrorNotACrash() throws {
        let encoded = RecordCodec.encode(["records": .array(records(1...100).map(Value.object))])
        let good = AuditValue.stored(encoded)
        #expect(good.first == AuditValue.compressedTag)
        #expect(try good.withUnsafeBytes { try AuditValue.decode($0) } == RecordCodec.decode(encoded))
        var wrongSize = good
        wrongSize[1] &+= 1
        var truncated = good
        truncated.removeLast(good.count / 2)
        var garbage = good
        for i in 5..<garbage.count { garbage[i] = 0xFF }
        for bad in [wrongSize, truncated, garbage, [AuditValue.compressedTag, 0xFF, 0xFF, 0xFF, 0x7F, 1, 2, 3], [AuditValue.compressedTag]] {
            #expect(throws: LyreError.self) { try bad.withUnsafeBytes { try AuditValue.decode($0) } }
        }
    }

    /// The records DBI's leaf pages, and the fewest leaves its entries fit in when every leaf
    /// but the last is full to within one entry (LMDB: 8-byte node header and 2-byte pointer
    /// per entry, 16-byte page header).
    private func recordLeaves(_ db: Database) throws -> (leaves: Int, full: Int) {
        let table = try #require(db.table("dog"))
        return try db.read(completeIndexes: false) { txn in
            let stats = try txn.statistics(table.records)
            var bytes = 0
            var largest = 0
            try txn.withCursor(table.records) { cursor in
                var entry = try cursor.first()
                while let e = entry {
                    let size = (8 + e.key.count + e.value.count + 1) / 2 * 2 + 2
                    bytes += size
                    largest = max(largest, size)
                    entry = try cursor.next()
                }
            }
            let room = stats.pageSize - 16 - largest
            return (stats.leafPages, (bytes + room - 1) / room)
        }
    }

    @Test func recordsLoadedInKeyOrderFillTheirLeaves() throws {
        let storage = try TemporaryStorage()
        let db = try storage.dogTable()
        for start in stride(from: 1, through: 6_000, by: 500) {
            _ = try db.writeSync { ctx in try ctx.write(records(start..<start + 500), mode: .insert, to: "dog") }
        }
        // Plain puts leave about 9 % of each leaf empty (LMDB 0.9.24): more leaves than this.
        let (leaves, full) = try recordLeaves(db)
        #expect(leaves <= full)
    }

    @Test func keysOutOfOrderAndTakenKeysInOneWriteAreStillRight() throws {
        let storage = try TemporaryStorage()
        let db = try storage.dogTable()
        _ = try db.writeSync { ctx in try ctx.write(records([10, 20]), mode: .insert, to: "dog") }
        let result = try db.writeSync { ctx in try ctx.write(records([30, 15, 30, 40, 5, 20, 50]), mode: .insert, to: "dog") }
        #expect(result.written == [30, 15, 40, 5, 50].map { .int(Int64($0)) })
        #expect(result.skipped == [30, 20].map { .int(Int64($0)) })
        let table = try #require(db.table("dog"))
        let ids = try db.read(completeIndexes: false) { txn in try txn.allRecords(in: table).compactMap { $0["id"]?.intValue } }
        #expect(ids == [5, 10, 15, 20, 30, 40, 50])
        let byName = try db.read { txn in try txn.record(in: table, id: .int(15)) }
        #expect(byName?["name"] == .string("name 15"))
    }

    /// Index entries of whole values have no data; cut values keep the primary key's length;
    /// an entry written before (2-byte data for every value) still splits right.
    @Test func indexEntriesStoreThePrimaryKeyLengthOnlyForCutValues() throws {
        let storage = try TemporaryStorage()
        let db = try storage.dogTable()
        let long = String(repeating: "x", count: 300)
        _ = try db.writeSync { ctx in
            try ctx.write([["id": .int(1), "name": .string("Penny")], ["id": .string("k2"), "name": .string(long)],
                           ["id": .int(3), "name": .string("")], ["id": .int(4), "name": .array(["a\u{0}", 7])]], mode: .insert, to: "dog")
        }
        let table = try #require(db.table("dog"))
        let nameID = try #require(table.attribute("name")).id
        // An entry as the previous version wrote it (data = the primary key's length).
        let oldValueKey = try #require(TableIndex.key(nameID, .string("Old")))
        let oldPrimaryKey = try #require(KeyCodec.encode(.int(5)))
        _ = try db.writeSync { ctx in
            try ctx.transaction.put(table.index, oldValueKey + oldPrimaryKey, [0, UInt8(oldPrimaryKey.count)])
        }
        var seen: [(Value?, Value, Int)] = []
        try db.read { txn in
            try txn.withCursor(table.index) { cursor in
                var entry = try cursor.seek(atOrAfter: TableIndex.prefix(nameID))
                while let e = entry, e.key.starts(with: TableIndex.prefix(nameID)) {
                    let (valueKey, primaryKey) = TableIndex.split(key: e.key, data: e.value)
                    // (`Value` is nil-literal expressible: spell out the optional.)
                    let value: Value? = TableIndex.isTruncated(valueKey) ? Optional<Value>.none : try TableIndex.value(of: valueKey)
                    seen.append((value, try KeyCodec.decode(primaryKey), e.value.count))
                    entry = try cursor.next()
                }
            }
        }
        let byKey = Dictionary(seen.map { ("\($0.1)|\($0.0.map { "\($0)" } ?? "cut")", $0.2) }, uniquingKeysWith: { a, _ in a })
        #expect(byKey["\(Value.int(1))|\(Value.string("Penny"))"] == 0)
        #expect(byKey["\(Value.int(3))|\(Value.string(""))"] == 0)
        #expect(byKey["\(Value.int(4))|\(Value.string("a\u{0}"))"] == 0)
        #expect(byKey["\(Value.int(4))|\(Value.int(7))"] == 0)
        #expect(byKey["\(Value.string("k2"))|cut"] == 2)
        #expect(byKey["\(Value.int(5))|\(Value.string("Old"))"] == 2)
        #expect(seen.count == 6)
    }
}

