import LyreCore
@testable import LyreOperations
import LyreStorage
import Testing

/// Replication messages cut to fit NATS's `max_payload` (`ReplicationSplit`): every part
/// under the limit, nothing lost or repeated, ids fixed by the parts' ranges, and what alone
/// is larger than the limit named rather than holding the rest back.
struct ReplicationSplitTests {
    static func message(_ change: CommittedChange) -> ReplicationMessage {
        ReplicationMessage(database: "dev", table: "dog", primaryKey: "id", timestamp: 1_700_000_000_000, change: change)
    }

    static func records(_ count: Int, bytes: Int) -> [JSONObject] {
        (0..<count).map { JSONObject([("id", .int(Int64($0))), ("pad", .string(String(repeating: "x", count: bytes)))]) }
    }

    static func decodedRecords(_ parts: [ReplicationSplit.Part]) throws -> [JSONObject] {
        try parts.flatMap { part -> [JSONObject] in
            guard case .put(let records) = try ReplicationMessage(decoding: part.bytes).change.kind else { return [] }
            return records
        }
    }

    @Test func aMessageThatFitsIsSentWholeUnderItsUsualID() throws {
        let message = Self.message(CommittedChange(table: "dog", kind: .put(Self.records(10, bytes: 100))))
        let split = ReplicationSplit(message, limit: 1 << 20)
        #expect(split.parts.count == 1)
        #expect(split.parts.first?.idSuffix == "")
        #expect(split.parts.first?.bytes == message.encoded())
        #expect(split.refused.isEmpty)
    }

    @Test(arguments: [false, true])
    func aLargeGroupOfRecordsGoesInPartsUnderTheLimitWithEveryRecordOnce(preEncoded: Bool) throws {
        let records = Self.records(300, bytes: 1000)
        let change = CommittedChange(table: "dog", kind: .put(records),
                                     encodedRecords: preEncoded ? records.map { RecordCodec.encode($0) } : nil)
        let limit = 20_000
        let split = ReplicationSplit(Self.message(change), limit: limit)
        #expect(split.parts.count > 10)
        #expect(split.parts.allSatisfy { $0.bytes.count <= limit })
        #expect(try Self.decodedRecords(split.parts) == records)
        #expect(split.refused.isEmpty)
        // Ids name consecutive ranges, so a part sent again is the same message.
        var next = 0
        for part in split.parts {
            let range = part.idSuffix.split(separator: "-").compactMap { Int($0) }
            #expect(range.count == 2 && range[0] == next && range[1] > range[0])
            next = range.last ?? -1
        }
        #expect(next == records.count)
        #expect(ReplicationSplit(Self.message(change), limit: limit).parts.map(\.idSuffix) == split.parts.map(\.idSuffix))
    }

    @Test func aRecordLargerThanTheLimitAloneIsRefusedAndTheOthersGo() throws {
        var records = Self.records(5, bytes: 100)
        records[2]["pad"] = .string(String(repeating: "y", count: 50_000))
        let split = ReplicationSplit(Self.message(CommittedChange(table: "dog", kind: .put(records))), limit: 10_000)
        #expect(try Self.decodedRecords(split.parts).compactMap { $0["id"]?.intValue } == [0, 1, 3, 4])
        #expect(split.refused.count == 1)
        #expect(split.refused.first?.description == "record 2 of dev.dog")
        #expect((split.refused.first?.bytes ?? 0) > 50_000)
    }

    @Test func manyDeletedKeysGoInParts() throws {
        let ids = (0..<5000).map { Value.string("key-\($0)") }
        let split = ReplicationSplit(Self.message(CommittedChange(table: "dog", kind: .delete(ids))), limit: 8_000)
        #expect(split.parts.count > 5)
        #expect(split.parts.allSatisfy { $0.bytes.count <= 8_000 })
        let decoded = try split.parts.flatMap { part -> [Value] in
            guard case .delete(let keys) = try ReplicationMessage(decoding: part.bytes).change.kind else { return [] }
            return keys
        }
        #expect(decoded == ids)
    }

    @Test func aWideCreateTableGoesInPiecesThoseAfterTheFirstContinued() throws {
        let attributes: [Value] = (0..<2000).map {
            .object(JSONObject([("name", .string("attribute_\($0)")), ("id", .int(Int64($0 + 1))), ("type", "String")]))
        }
        let definition = JSONObject([("primary_key", "id"), ("schema_defined", true), ("attributes", .array(attributes))])
        let split = ReplicationSplit(Self.message(CommittedChange(table: "dog", kind: .schema(.createTable(definition)))),
                                     limit: 16_000)
        #expect(split.parts.count > 3)
        #expect(split.parts.allSatisfy { $0.bytes.count <= 16_000 })
        var received: [Value] = []
        for (index, part) in split.parts.enumerated() {
            guard case .schema(.createTable(let piece)) = try ReplicationMessage(decoding: part.bytes).change.kind else {
                Issue.record("not a create_table")
                continue
            }
            #expect(piece["continued"]?.boolValue == (index > 0 ? true : nil))
            #expect(piece["primary_key"] == "id" && piece["schema_defined"] == true)
            received += piece["attributes"]?.arrayValue ?? []
        }
        #expect(received == attributes)
    }
}
