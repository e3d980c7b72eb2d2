import LyreCore

/// `KeyCodec` and `RecordCodec` (LyreCore).
///
/// The first byte picks a mode (modulo 3); the rest is its input:
/// - 0: the rest is a key, decoded plainly and self-delimited. Whatever decodes must encode
///   again and decode to the same value.
/// - 1: the rest is a stored record. `decode` and `transcode` must accept the same bytes;
///   a decoded record must round-trip.
/// - 2: the rest chooses two values and a record (`ValueModel.value`): checks the round
///   trips below and that the byte order of the two keys is the documented value order.
///
/// Invariants: `KeyCodec.decode(encode(v))` is `v` normalized (integral numbers within
/// `Int64` as `.int`), for plain and delimited encodings; `encode` refuses exactly the
/// values with objects or NaN; `memcmp` of two encodings (plain, and delimited) has the
/// sign of `ValueModel.keyOrder`; `RecordCodec.decode(encode(r))` is `r` bit for bit;
/// `transcode` writes what `JSON.encode` writes; `value(of:)` and `decode(only:)` find
/// what `decode` finds; `KeyCodec.delimitedLength` is the length of a delimited encoding
/// whatever follows it, and never more than the bytes.
enum CodecFuzzer {
    static func run(_ bytes: UnsafeRawBufferPointer) throws(InvariantViolation) {
        var input = FuzzInput(bytes)
        switch input.byte() % 3 {
        case 0: try decodeKey(input.rest)
        case 1: try decodeRecord(input.rest)
        default:
            let a = ValueModel.value(&input)
            let b = ValueModel.value(&input)
            try checkKey(a)
            try checkKey(b)
            try checkOrder(a, b)
            let record = ValueModel.object(&input, depth: 3)
            try checkRecord(record)
        }
    }

    // MARK: Arbitrary bytes

    static func decodeKey(_ bytes: UnsafeRawBufferPointer) throws(InvariantViolation) {
        if let value = try? KeyCodec.decode(bytes) {
            guard let again = KeyCodec.encode(value) else {
                throw InvariantViolation("decoded key \(ValueModel.describe(value)) cannot be encoded again")
            }
            let back = try? KeyCodec.decode(again)
            try check(back.map { ValueModel.identical($0, value) } ?? false,
                      "key \(show(bytes)) decodes to \(ValueModel.describe(value)), whose encoding decodes to \(back.map(ValueModel.describe) ?? "an error")")
        }
        let length = KeyCodec.delimitedLength(bytes)
        try check(length.map { $0 >= 1 && $0 <= bytes.count } ?? true, "delimitedLength \(length.map(String.init) ?? "nil") of \(show(bytes)) is outside it")
        if let value = try? KeyCodec.decodeDelimited(bytes) {
            try check(length == bytes.count, "delimited key \(show(bytes)) decodes but delimitedLength says \(length.map(String.init) ?? "nil")")
            var again: [UInt8] = []
            try check(KeyCodec.encodeDelimited(value, into: &again), "decoded delimited key \(ValueModel.describe(value)) cannot be encoded again")
            let back = again.withUnsafeBytes { try? KeyCodec.decodeDelimited($0) }
            try check(back.map { ValueModel.identical($0, value) } ?? false,
                      "delimited key \(show(bytes)) decodes to \(ValueModel.describe(value)), whose encoding decodes to \(back.map(ValueModel.describe) ?? "an error")")
        }
    }

    static func decodeRecord(_ bytes: UnsafeRawBufferPointer) throws(InvariantViolation) {
        let decoded = try? RecordCodec.decode(bytes)
        var json: [UInt8] = []
        let transcoded = (try? RecordCodec.transcode(bytes, attributes: nil, into: &json)) != nil
        try check((decoded != nil) == transcoded,
                  "record \(show(bytes)): decode \(decoded == nil ? "fails" : "succeeds") but transcode \(transcoded ? "succeeds" : "fails")")
        // Partial reads must not trap either; their results are not compared (keys may hold
        // invalid UTF-8 here, which decoding repairs and byte comparison does not).
        var picked: [UInt8] = []
        _ = try? RecordCodec.transcode(bytes, attributes: ["id", "name", "", "__createdtime__"], into: &picked)
        _ = try? RecordCodec.value(of: "id", in: bytes)
        _ = try? RecordCodec.value(of: "__updatedtime__", in: bytes)
        _ = try? RecordCodec.decode(bytes, only: [Array("id".utf8), [], Array("__createdtime__".utf8)])
        if let decoded { try checkRecord(decoded) }
    }

    // MARK: Round trips and order

    static func checkKey(_ value: Value) throws(InvariantViolation) {
        let encoded = KeyCodec.encode(value)
        var delimited: [UInt8] = []
        let delimitedOK = KeyCodec.encodeDelimited(value, into: &delimited)
        guard ValueModel.isKeyEncodable(value) else {
            try check(encoded == nil && !delimitedOK && delimited.isEmpty,
                      "\(ValueModel.describe(value)) holds an object or NaN but encodes as a key")
            return
        }
        guard let encoded, delimitedOK else {
            throw InvariantViolation("\(ValueModel.describe(value)) does not encode as a key")
        }
        let expected = ValueModel.keyNormalized(value)
        let back = try? KeyCodec.decode(encoded)
        try check(back.map { ValueModel.identical($0, expected) } ?? false,
                  "key round trip: \(ValueModel.describe(value)) → \(show(encoded)) → \(back.map(ValueModel.describe) ?? "decoding error")")
        // An index entry: the delimited value, then a primary key (type tag 01-06).
        let entry = delimited + [KeyCodec.stringTag, 0x00]
        let length = entry.withUnsafeBytes { KeyCodec.delimitedLength($0) }
        try check(length == delimited.count, "delimitedLength of \(show(delimited)) with a key after it: \(length.map(String.init) ?? "nil")")
        let backDelimited = delimited.withUnsafeBytes { try? KeyCodec.decodeDelimited($0) }
        try check(backDelimited.map { ValueModel.identical($0, expected) } ?? false,
                  "delimited key round trip: \(ValueModel.describe(value)) → \(show(delimited)) → \(backDelimited.map(ValueModel.describe) ?? "decoding error")")
    }

    static func checkOrder(_ a: Value, _ b: Value) throws(InvariantViolation) {
        guard ValueModel.isKeyEncodable(a), ValueModel.isKeyEncodable(b),
              let ea = KeyCodec.encode(a), let eb = KeyCodec.encode(b) else { return }
        let expected = ValueModel.keyOrder(a, b)
        let plain = ValueModel.lexicographic(ea, eb)
        try check(plain == expected,
                  "key order: \(ValueModel.describe(a)) vs \(ValueModel.describe(b)) should be \(expected), bytes \(show(ea)) vs \(show(eb)) give \(plain)")
        var da: [UInt8] = []
        var db: [UInt8] = []
        KeyCodec.encodeDelimited(a, into: &da)
        KeyCodec.encodeDelimited(b, into: &db)
        let delimited = ValueModel.lexicographic(da, db)
        try check(delimited == expected,
                  "delimited key order: \(ValueModel.describe(a)) vs \(ValueModel.describe(b)) should be \(expected), bytes \(show(da)) vs \(show(db)) give \(delimited)")
        // Self-delimiting: bytes after an encoding (a primary key's encoding in an index
        // entry, so never starting with FF) do not change the order of unequal values.
        if expected != 0 {
            let suffixed = ValueModel.lexicographic(da + [KeyCodec.arrayTag, 0xFF], db + [0x00])
            try check(suffixed == expected,
                      "delimited key \(ValueModel.describe(a)) vs \(ValueModel.describe(b)): a suffix changes the order")
        }
    }

    static func checkRecord(_ record: JSONObject) throws(InvariantViolation) {
        let encoded = RecordCodec.encode(record)
        let back: JSONObject
        do {
            back = try RecordCodec.decode(encoded)
        } catch {
            throw InvariantViolation("record \(ValueModel.describe(.object(record))) does not decode: \(error)")
        }
        try check(ValueModel.identical(back, record),
                  "record round trip: \(ValueModel.describe(.object(record))) → \(ValueModel.describe(.object(back)))")
        var transcoded: [UInt8] = []
        do {
            try encoded.withUnsafeBytes { try RecordCodec.transcode($0, attributes: nil, into: &transcoded) }
        } catch {
            throw InvariantViolation("record \(ValueModel.describe(.object(record))) does not transcode: \(error)")
        }
        let json = JSON.encode(.object(record))
        try check(transcoded == json, "transcode \(show(transcoded)) differs from JSON.encode \(show(json))")

        // Keys are distinct as bytes in records built here and in decoded JSON; look each up.
        var keys = Set<[UInt8]>()
        guard record.entries.allSatisfy({ keys.insert(Array($0.key.utf8)).inserted }) else { return }
        for entry in record.entries {
            let found = encoded.withUnsafeBytes { try? RecordCodec.value(of: entry.key, in: $0) }
            try check(found.flatMap { $0 }.map { ValueModel.identical($0, entry.value) } ?? false,
                      "value(of: \(show(entry.key.utf8))) in \(ValueModel.describe(.object(record))) gives \(found.flatMap { $0 }.map(ValueModel.describe) ?? "nothing")")
        }
        let wanted = record.entries.enumerated().filter { $0.offset % 2 == 0 }.map { Array($0.element.key.utf8) }
        let only = encoded.withUnsafeBytes { try? RecordCodec.decode($0, only: wanted) }
        let selected = encoded.withUnsafeBytes { try? RecordCodec.decode($0, only: RecordCodec.AttributeSelection(wanted)) }
        try check(selected == only, "decode(only:) with a prepared selection differs from the list's")
        let expected = JSONObject(entries: record.entries.enumerated().filter { $0.offset % 2 == 0 }.map(\.element))
        try check(only.map { ValueModel.identical($0, expected) } ?? false,
                  "decode(only:) of \(ValueModel.describe(.object(record))) gives \(only.map { ValueModel.describe(.object($0)) } ?? "an error")")
    }
}
