import LyreCore
import LyreTestSupport
import LyreFuzzing
import Testing

@Suite struct KeyCodecTests {
    private func key(_ value: Value) -> [UInt8] {
        guard let bytes = KeyCodec.encode(value) else {
            Issue.record("\(value) is not encodable")
            return []
        }
        return bytes
    }

    /// Each value sorts strictly before the next one.
    static let ascending: [Value] = [
        .null, false, true,
        .double(-.infinity), .double(-.greatestFiniteMagnitude), .double(-9223372036854775808.0 * 2),
        .int(Int64.min), .int(Int64.min + 1), .int(Int64.min + 512), .int(Int64.min + 513),
        .int(-(1 << 53) - 1), .int(-(1 << 53)), .int(-(1 << 53) + 1),
        -1_000_000, .double(-1.5), -1, .double(-.leastNonzeroMagnitude), 0, .double(.leastNonzeroMagnitude), .double(1e-300), .double(0.1),
        .double(0.5), 1, .double(1.5), 2, 1_660_585_635_882, .double(1660585635882.288), 1_660_585_635_883,
        .int((1 << 53) - 1), .int(1 << 53), .int((1 << 53) + 1), .int((1 << 53) + 2), .int((1 << 53) + 3),
        .int((1 << 62) + 511), .int((1 << 62) + 512), .int((1 << 62) + 513),
        .int(Int64.max - 1), .int(Int64.max), .double(9223372036854775808.0), .double(1e19), .double(1e300),
        .double(.greatestFiniteMagnitude), .double(.infinity),
        "", "\0", "\0\0", "\u{1}", "A", "a", "a\0", "a\0b", "a\u{1}", "ab", "b", "z", "\u{7F}", "é", "€", "\u{FFFF}", "😀",
        [], [.null], [false], [-1], [0], [0, 0], [1], [""], ["a"], ["a", .null], ["a", 1], ["a", "b"], ["a", []],
        ["a\0"], ["a\0", 1], ["a\0b"], ["a\u{1}"], ["ab"], ["b"], [[]], [["a"]], [["a"], 1], [["b"]],
    ]

    @Test func knownValuesSortInOrder() {
        let keys = Self.ascending.map(key)
        for i in 0..<keys.count {
            for j in 0..<keys.count {
                let expected = i < j ? -1 : i > j ? 1 : 0
                #expect(ValueModel.lexicographic(keys[i], keys[j]) == expected, "\(Self.ascending[i]) vs \(Self.ascending[j])")
                #expect(ValueModel.keyOrder(Self.ascending[i], Self.ascending[j]) == expected)
            }
        }
    }

    @Test(arguments: [
        (Value.int(1), Value.double(1.0)), (.int(0), .double(-0.0)), (.int(0), .double(0.0)),
        (.int(-42), .double(-42)), (.int(1 << 53), .double(9007199254740992.0)),
        (.int(Int64.min), .double(-9223372036854775808.0)), (.int(1 << 62), .double(4611686018427387904.0)),
        (.array([1, "x"]), .array([.double(1), "x"])),
    ] as [(Value, Value)])
    func equalNumbersShareOneKey(a: Value, b: Value) {
        #expect(key(a) == key(b))
    }

    @Test func nearbyBigIntegersStayDistinct() {
        let a = key(.int(9_007_199_254_740_993)), b = key(.int(9_007_199_254_740_992))
        let c = key(.double(9_007_199_254_740_992.0))
        #expect(a != b)
        #expect(b == c)
        #expect(ValueModel.lexicographic(b, a) < 0)
        var seen = Set<[UInt8]>()
        for i in Int64.max - 3000...Int64.max { seen.insert(key(.int(i))) }
        for i in Int64.min...Int64.min + 3000 { seen.insert(key(.int(i))) }
        #expect(seen.count == 6002)
    }

    @Test func unencodableValuesAppendNothing() {
        var out: [UInt8] = [9, 9]
        #expect(!KeyCodec.encode(.object(JSONObject()), into: &out))
        #expect(!KeyCodec.encode(.double(.nan), into: &out))
        #expect(!KeyCodec.encode(["a", 1, ["b", .double(.nan)]], into: &out))
        #expect(!KeyCodec.encode(["a", ["k": 1]], into: &out))
        #expect(out == [9, 9])
        #expect(KeyCodec.encode(["k": 1]) == nil)
        #expect(KeyCodec.encode(["a"], into: &out))
        #expect(out.count > 2)
    }

    @Test func layoutIsAsDocumented() {
        #expect(key(.null) == [0x01])
        #expect(key(false) == [0x02])
        #expect(key(true) == [0x03])
        #expect(key(1) == [0x04, 0xBF, 0xF0, 0, 0, 0, 0, 0, 0])
        #expect(key(-1) == [0x04, 0x40, 0x0F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(key(.int(1 << 53)) == [0x04, 0xC3, 0x40, 0, 0, 0, 0, 0, 0, 0x80, 0x00])
        #expect(key(.int((1 << 53) + 1)) == [0x04, 0xC3, 0x40, 0, 0, 0, 0, 0, 0, 0x80, 0x01])
        #expect(key("ab") == [0x05, 0x61, 0x62])
        #expect(key(["a\0"]) == [0x06, 0x05, 0x61, 0x00, 0xFF, 0x00, 0x00])
        #expect(key([]) == [0x06, 0x00])
    }

    @Test func stringPrefixBoundsStartsWith() {
        let prefix = KeyCodec.encodeStringPrefix("ab")
        #expect(prefix == [KeyCodec.stringTag, 0x61, 0x62])
        for s in ["ab", "abc", "ab\0", "ab😀"] { #expect(key(.string(s)).starts(with: prefix)) }
        for s in ["a", "b", "aB", "xab"] { #expect(!key(.string(s)).starts(with: prefix)) }
        #expect(!key(["ab"]).starts(with: prefix))
    }

    @Test func tagRangesBoundEachType() {
        let numbers = KeyCodec.range(ofTag: KeyCodec.numberTag)
        let strings = KeyCodec.range(ofTag: KeyCodec.stringTag)
        for v: Value in [.int(Int64.min), .int(Int64.max), .double(.infinity), .double(-.infinity), 0] {
            let k = key(v)
            #expect(ValueModel.lexicographic(numbers.lower, k) <= 0 && ValueModel.lexicographic(k, numbers.upper) < 0)
        }
        for v: Value in ["", "\u{10FFFF}\u{10FFFF}", "zzz"] {
            let k = key(v)
            #expect(ValueModel.lexicographic(strings.lower, k) <= 0 && ValueModel.lexicographic(k, strings.upper) < 0)
        }
        #expect(ValueModel.lexicographic(key(true), numbers.lower) < 0)
        #expect(ValueModel.lexicographic(key([]), strings.upper) >= 0)
    }

    @Test(arguments: [
        (Value.int(5), Value.int(5)), (.double(5.0), .int(5)), (.double(-0.0), .int(0)), (.double(0.25), .double(0.25)),
        (.double(1e300), .double(1e300)), (.double(9223372036854775808.0), .double(9223372036854775808.0)),
        (.double(-9223372036854775808.0), .int(Int64.min)), (.int(Int64.max), .int(Int64.max)),
        (.double(.infinity), .double(.infinity)), (.double(1e19), .double(1e19)),
        (["a\0b", ["x", 1.5], [], .null, true], ["a\0b", ["x", 1.5], [], .null, true]),
        ("top\0level", "top\0level"),
    ] as [(Value, Value)])
    func decodeReversesEncode(value: Value, expected: Value) throws {
        let bytes = key(value)
        let decoded = try KeyCodec.decode(bytes)
        #expect(decoded == expected)
    }

    @Test(arguments: [
        [], [0x00], [0x07], [0x04, 0x01], [0x06, 0x05, 0x61], [0x06, 0x05, 0x61, 0x00], [0x01, 0x01],
        [0x04, 0xC3, 0x40, 0, 0, 0, 0, 0, 0], [0x04, 0xC3, 0x40, 0, 0, 0, 0, 0, 0, 0x80],
        [0x04, 0xFF, 0xF8, 0, 0, 0, 0, 0, 0],
    ] as [[UInt8]])
    func malformedKeysThrow(bytes: [UInt8]) {
        let error = #expect(throws: LyreError.self) { try KeyCodec.decode(bytes) }
        #expect(error?.status == 500)
    }

    @Test func randomPairsFollowTheReferenceOrder() throws {
        var generator = ValueGenerator(seed: 0xC0DEC)
        let values = (0..<1500).map { _ in generator.keyValue() }
        let keys = values.map(key)
        var rng = SplitMix64(seed: 7)
        for _ in 0..<20_000 {
            let i = Int.random(in: 0..<values.count, using: &rng)
            let j = Int.random(in: 0..<values.count, using: &rng)
            #expect(ValueModel.lexicographic(keys[i], keys[j]) == ValueModel.keyOrder(values[i], values[j]),
                    "\(values[i]) vs \(values[j])")
        }
        // Sorting by key bytes gives the reference order.
        let sorted = keys.indices.sorted { ValueModel.lexicographic(keys[$0], keys[$1]) < 0 }
        for (a, b) in zip(sorted, sorted.dropFirst()) {
            #expect(ValueModel.keyOrder(values[a], values[b]) <= 0)
        }
        // Decoding gives an equal key back.
        for (value, bytes) in zip(values, keys) {
            let decoded = try KeyCodec.decode(bytes)
            #expect(ValueModel.keyOrder(decoded, value) == 0, "\(value) -> \(decoded)")
            #expect(key(decoded) == bytes)
        }
    }

    @Test func delimitedEncodingsOrderAsValuesWhateverFollows() throws {
        var generator = ValueGenerator(seed: 0xDE11)
        var values = (0..<600).map { _ in generator.keyValue() }.filter { if case .array = $0 { false } else { true } }
        values += ["a", "a\u{0}", "a\u{0}b", "a\u{1}", "\u{0}", ""]
        var rng = SplitMix64(seed: 11)
        // A suffix starting below FF (an index entry's primary key) never changes the order.
        func entry(_ v: Value) -> [UInt8] {
            var out: [UInt8] = []
            #expect(KeyCodec.encodeDelimited(v, into: &out))
            out.append(contentsOf: [UInt8](repeating: UInt8.random(in: 0...0xFE, using: &rng), count: Int.random(in: 0...3, using: &rng)))
            return out
        }
        for _ in 0..<10_000 {
            let a = values.randomElement(using: &rng)!, b = values.randomElement(using: &rng)!
            let order = ValueModel.keyOrder(a, b)
            guard order != 0 else { continue }
            #expect(ValueModel.lexicographic(entry(a), entry(b)) == order, "\(a) vs \(b)")
        }
        for v in values {
            var out: [UInt8] = []
            KeyCodec.encodeDelimited(v, into: &out)
            #expect(ValueModel.keyOrder(try out.withUnsafeBytes { try KeyCodec.decodeDelimited($0) }, v) == 0)
        }
        // A prefix bound covers exactly the strings that start with it, NUL included.
        let bound = KeyCodec.encodeDelimitedStringPrefix("a\u{0}")
        for v in values {
            var out: [UInt8] = []
            KeyCodec.encodeDelimited(v, into: &out)
            #expect(out.starts(with: bound) == (v.stringValue?.hasPrefix("a\u{0}") ?? false), "\(v)")
        }
    }

    /// Index entries of uncut values store no data: the delimited encoding must tell where the
    /// primary key that follows it starts, for every value, arrays and NUL-holding strings too.
    @Test func delimitedLengthFindsTheEndWhateverFollows() {
        var generator = ValueGenerator(seed: 0xD311)
        var values = (0..<2_000).map { _ in generator.keyValue() }
        values += ["", "\u{0}", "a\u{0}", "a\u{0}b", .int(Int64.max), .int(Int64.min), .int(1 << 53), .double(-.infinity), [], [[""]]]
        var rng = SplitMix64(seed: 12)
        for v in values {
            var out: [UInt8] = []
            #expect(KeyCodec.encodeDelimited(v, into: &out))
            let length = out.count
            // A primary key follows: its type tag (01-06), then any bytes.
            out.append(UInt8.random(in: 1...6, using: &rng))
            out.append(contentsOf: (0..<Int.random(in: 0...9, using: &rng)).map { _ in UInt8.random(in: 0...0xFF, using: &rng) })
            #expect(out.withUnsafeBytes { KeyCodec.delimitedLength($0) } == length, "\(v)")
        }
        // Malformed or cut: nil, never a length past the bytes.
        for bad: [UInt8] in [[], [0x07], [0x04, 1, 2], [0x05, 0x41], [0x06, 0x05, 0x41, 0x00], [0x06], [0x05, 0x00, 0xFF]] {
            #expect(bad.withUnsafeBytes { KeyCodec.delimitedLength($0) } == nil, "\(bad)")
        }
        let deep = [UInt8](repeating: KeyCodec.arrayTag, count: 5_000)
        #expect(deep.withUnsafeBytes { KeyCodec.delimitedLength($0) } == nil)
    }
}
