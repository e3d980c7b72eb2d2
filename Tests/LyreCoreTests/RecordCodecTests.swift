import LyreCore
import LyreTestSupport
import Testing

@Suite struct RecordCodecTests {
    static let dog = JSONObject([
        ("id", 1), ("dog_name", "Penny"), ("age", .double(7.5)), ("adorable", true), ("owner", .null),
        ("tags", ["good", "very \"good\"", 3, [[]]] as Value),
        ("vet", ["name": "Dr. Ö", "visits": [.int(Int64.min), .int(Int64.max), .double(-0.0), .double(1e21)]] as Value),
        ("__createdtime__", 1_660_585_635_882),
    ])

    private func json(_ bytes: [UInt8], _ attributes: [String]? = nil) throws -> String {
        var out: [UInt8] = []
        try bytes.withUnsafeBytes { try RecordCodec.writeJSON($0, attributes: attributes, into: &out) }
        return String(decoding: out, as: UTF8.self)
    }

    @Test func roundTrips() throws {
        let bytes = RecordCodec.encode(Self.dog)
        #expect(bytes.first == RecordCodec.formatVersion)
        #expect(try RecordCodec.decode(bytes) == Self.dog)
        #expect(try RecordCodec.decode(RecordCodec.encode(JSONObject())) == JSONObject())
    }

    @Test func aBuiltRecordWithEncodedRecordsEqualsTheEncodedWhole() throws {
        let other = JSONObject([("id", 2), ("dog_name", "Kato")])
        var builder = RecordCodec.Builder(entryCount: 3)
        builder.append("operation", "insert")
        builder.append("records", encodedRecords: [RecordCodec.encode(Self.dog), RecordCodec.encode(other)])
        builder.append("none", encodedRecords: [])
        let whole = JSONObject([("operation", "insert"), ("records", .array([.object(Self.dog), .object(other)])), ("none", .array([]))])
        #expect(builder.bytes == RecordCodec.encode(whole))
        #expect(try RecordCodec.decode(builder.bytes) == whole)
    }

    /// The two system timestamps, in every stored record, are written as two-byte escapes.
    @Test func wellKnownKeysTakeTwoBytesAndReadLikeAnyKey() throws {
        let record = JSONObject([("id", 1), ("__createdtime__", .double(1.5)), ("__updatedtime__", 2),
                                 ("nested", ["__createdtime__": true] as Value)])
        let bytes = RecordCodec.encode(record)
        let literal = Array("__createdtime__".utf8)
        #expect(!bytes.indices.contains { bytes[$0...].starts(with: literal) })
        #expect(bytes.count == 1 + 1 + (3 + 2) + (2 + 9) + (2 + 2) + (7 + 1 + 4 + 1 + 2 + 1))
        #expect(try RecordCodec.decode(bytes) == record)
        let updated = try bytes.withUnsafeBytes { try RecordCodec.value(of: "__updatedtime__", in: $0) }
        #expect(updated == 2)
        let picked = try bytes.withUnsafeBytes { try RecordCodec.decode($0, only: [Array("__createdtime__".utf8)]) }
        #expect(picked == JSONObject([("__createdtime__", .double(1.5))]))
        #expect(try json(bytes) == #"{"id":1,"__createdtime__":1.5,"__updatedtime__":2,"nested":{"__createdtime__":true}}"#)
        #expect(try json(bytes, ["__createdtime__", "id"]) == #"{"__createdtime__":1.5,"id":1}"#)
    }

    /// Records written before the escape (every key spelled out) read as before.
    @Test func recordsWithTheNamesSpelledOutStillRead() throws {
        var bytes: [UInt8] = [RecordCodec.formatVersion, 2]
        bytes += [15] + Array("__createdtime__".utf8) + [0x03, 0x04]  // int 2
        bytes += [2] + Array("id".utf8) + [0x03, 0x02]                 // int 1
        #expect(try RecordCodec.decode(bytes) == JSONObject([("__createdtime__", 2), ("id", 1)]))
        let created = try bytes.withUnsafeBytes { try RecordCodec.value(of: "__createdtime__", in: $0) }
        #expect(created == 2)
        #expect(try json(bytes, ["__createdtime__"]) == #"{"__createdtime__":2}"#)
        // An escape past the table is malformed, not some other name.
        #expect(throws: LyreError.self) { try RecordCodec.decode([RecordCodec.formatVersion, 1, 0x85, 0x00, 0x00]) }
    }

    @Test func nestedContainersBuiltPieceByPieceEqualTheEncodedWhole() throws {
        // The shape of a replication outbox entry: an array of objects, one holding records
        // given as their encodings, one holding plain values.
        let other = JSONObject([("id", 2), ("dog_name", "Kato")])
        var builder = RecordCodec.Builder(entryCount: 2)
        builder.append("timestamp", .double(1.5))
        builder.appendKey("changes")
        let array = builder.openArray(count: 3)
        let first = builder.openObject(count: 2)
        builder.append("table", "dog")
        builder.appendKey("put")
        builder.appendArray(ofEncodedRecords: [RecordCodec.encode(Self.dog), RecordCodec.encode(other)])
        builder.close(first)
        let second = builder.openObject(count: 2)
        builder.append("table", "dog")
        builder.append("delete", .array([1, "x"]))
        builder.close(second)
        let empty = builder.openObject(count: 0)
        builder.close(empty)
        builder.close(array)
        let whole = JSONObject([
            ("timestamp", .double(1.5)),
            ("changes", .array([
                .object(JSONObject([("table", "dog"), ("put", .array([.object(Self.dog), .object(other)]))])),
                .object(JSONObject([("table", "dog"), ("delete", .array([1, "x"]))])),
                .object(JSONObject()),
            ])),
        ])
        #expect(builder.bytes == RecordCodec.encode(whole))
        #expect(try RecordCodec.decode(builder.bytes) == whole)
    }

    /// Past 16 attributes `writeJSON` reads the keys once and finds each by binary search (wide
    /// tables, session 11): same output as picking them one by one.
    @Test func writesManyAttributesInTheirOrderWithMissingOnesAsNull() throws {
        var record = JSONObject()
        for i in (0..<40).reversed() { record["k\(i)"] = i % 3 == 0 ? .string("v\(i)") : .int(Int64(i)) }
        record["__createdtime__"] = .double(2.5)
        let bytes = RecordCodec.encode(record)
        let wanted = (0..<50).map { "k\($0 * 7 % 50)" } + ["__createdtime__", "absent"]
        var expected = JSONObject()
        for name in wanted { expected[name] = record[name] ?? .null }
        #expect(try json(bytes, wanted) == String(decoding: JSON.encode(.object(expected)), as: UTF8.self))
        // Fewer than 17 go the one-by-one way: the same answer for the same names.
        let few = Array(wanted.prefix(10))
        var expectedFew = JSONObject()
        for name in few { expectedFew[name] = record[name] ?? .null }
        #expect(try json(bytes, few) == String(decoding: JSON.encode(.object(expectedFew)), as: UTF8.self))
    }

    @Test func picksOneAttribute() throws {
        let bytes = RecordCodec.encode(Self.dog)
        try bytes.withUnsafeBytes { (raw) throws in
            for entry in Self.dog.entries {
                #expect(try RecordCodec.value(of: entry.key, in: raw) == entry.value)
            }
            #expect(try RecordCodec.value(of: "missing", in: raw) == nil)
            #expect(try RecordCodec.value(of: "i", in: raw) == nil)
            #expect(try RecordCodec.value(of: "name", in: raw) == nil)  // only top-level keys
        }
    }

    @Test func writesJSONStraightFromBytes() throws {
        let bytes = RecordCodec.encode(Self.dog)
        #expect(try json(bytes) == JSON.string(.object(Self.dog)))
        #expect(try json(bytes, ["dog_name", "missing", "id", "vet"])
            == #"{"dog_name":"Penny","missing":null,"id":1,"vet":{"name":"Dr. Ö","visits":[-9223372036854775808,9223372036854775807,0,1e+21]}}"#)
        #expect(try json(bytes, []) == "{}")
        #expect(try json(RecordCodec.encode(JSONObject())) == "{}")
        #expect(try json(RecordCodec.encode(JSONObject([("a\n\"", "x\u{1}")]))) == #"{"a\n\"":"x\u0001"}"#)
    }

    @Test func writesIntoAnyOutput() throws {
        struct Sink: JSONOutput {
            var bytes: [UInt8] = []
            mutating func writeByte(_ byte: UInt8) { bytes.append(byte) }
            mutating func writeBytes(_ raw: UnsafeRawBufferPointer) { bytes.append(contentsOf: raw) }
        }
        var sink = Sink()
        let bytes = RecordCodec.encode(Self.dog)
        try bytes.withUnsafeBytes { try RecordCodec.writeJSON($0, attributes: ["id"], into: &sink) }
        #expect(String(decoding: sink.bytes, as: UTF8.self) == #"{"id":1}"#)
    }

    @Test func smallValuesStaySmall() {
        let bytes = RecordCodec.encode(JSONObject([("id", 1), ("n", "ab")]))
        // version, count, "id" (1+2), int (1+1), "n" (1+1), string (1+1+2)
        #expect(bytes.count == 1 + 1 + 3 + 2 + 2 + 4)
    }

    @Test func randomRecordsRoundTrip() throws {
        var generator = ValueGenerator(seed: 0xDEC0DE)
        for _ in 0..<2000 {
            let record = generator.object()
            let bytes = RecordCodec.encode(record)
            #expect(try RecordCodec.decode(bytes) == record)
            #expect(try json(bytes) == JSON.string(.object(record)))
            try bytes.withUnsafeBytes { (raw) throws in
                for entry in record.entries {
                    #expect(try RecordCodec.value(of: entry.key, in: raw) == entry.value)
                }
            }
            let keys = record.keys.shuffled(using: &generator.rng) + ["absent"]
            var projected = JSONObject()
            for k in keys { projected[k] = record[k] ?? .null }
            #expect(try json(bytes, keys) == JSON.string(.object(projected)))
        }
    }

    @Test func malformedBytesThrowInsteadOfCrashing() throws {
        let bytes = RecordCodec.encode(Self.dog)
        // Every truncation is an error.
        for length in 0..<bytes.count {
            let cut = Array(bytes[..<length])
            let error = #expect(throws: LyreError.self) { try RecordCodec.decode(cut) }
            #expect(error?.status == 500)
            #expect(throws: LyreError.self) { try json(cut) }
        }
        #expect(throws: LyreError.self) { try RecordCodec.decode([2] + bytes.dropFirst()) }
        #expect(throws: LyreError.self) { try RecordCodec.decode(bytes + [0]) }
        // Trailing bytes: writeJSON refuses them too (found by fuzzing: it wrote `{}` for
        // `01 00 00 00`, Fuzz/regressions/codec/record-trailing-bytes).
        #expect(throws: LyreError.self) { try json(bytes + [0]) }
        #expect(throws: LyreError.self) { try json([RecordCodec.formatVersion, 0, 0, 0]) }

        // Random corruption either decodes to something or throws; it never traps.
        var rng = SplitMix64(seed: 99)
        for _ in 0..<5000 {
            var corrupt = bytes
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                corrupt[Int.random(in: 1..<corrupt.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            _ = try? RecordCodec.decode(corrupt)
            _ = try? json(corrupt)
            _ = try? json(corrupt, ["vet", "id", "nope"])
            _ = try? corrupt.withUnsafeBytes { try RecordCodec.value(of: "__createdtime__", in: $0) }
        }
    }

    @Test func hostileNestingIsRefused() {
        // An array nested far deeper than JSON allows, built by hand.
        var inner: [UInt8] = [0x00]  // null
        for _ in 0..<5000 {
            let length = UInt32(inner.count + 1)
            inner = [0x06, UInt8(length & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length >> 16 & 0xFF), UInt8(length >> 24), 0x01] + inner
        }
        let record: [UInt8] = [RecordCodec.formatVersion, 0x01, 0x01, 0x61] + inner
        #expect(throws: LyreError.self) { try RecordCodec.decode(record) }
        #expect(throws: LyreError.self) { try json(record) }
    }
}
