import LyreCore
import LyreTestSupport
import Testing

@Suite struct JSONWriterTests {
    /// Expected texts are what Node's `JSON.stringify` prints.
    @Test(arguments: [
        (1660585635882.288, "1660585635882.288"), (0.1, "0.1"), (1e21, "1e+21"), (1e-7, "1e-7"),
        (123456789012345680000.0, "123456789012345680000"), (.leastNonzeroMagnitude, "5e-324"), (-0.0, "0"),
        (0.0, "0"), (38.0, "38"), (-38.0, "-38"), (0.000001, "0.000001"), (1.5e-7, "1.5e-7"),
        (0.0000025, "0.0000025"), (1e20, "100000000000000000000"), (1.5, "1.5"), (-1.5, "-1.5"),
        (123.456, "123.456"), (0.30000000000000004, "0.30000000000000004"),
        (1152921504606846976.0, "1152921504606847000"), (9007199254740992.0, "9007199254740992"),
        (1.7976931348623157e308, "1.7976931348623157e+308"), (-2.2250738585072014e-308, "-2.2250738585072014e-308"),
        (1.2345e22, "1.2345e+22"), (1e100, "1e+100"), (4.35, "4.35"), (100.5, "100.5"),
        (Double.nan, "null"), (Double.infinity, "null"), (-Double.infinity, "null"),
        (123e-20, "1.23e-18"), (0.1 + 0.2, "0.30000000000000004"), (2.0 / 3.0, "0.6666666666666666"),
    ] as [(Double, String)])
    func doublesPrintAsJavaScript(value: Double, expected: String) {
        #expect(JSON.string(.double(value)) == expected)
        #expect(JSON.numberText(value) == expected)
    }

    @Test(arguments: [0, 7, -7, 10, 1_000_000, Int64.max, Int64.min, -9_007_199_254_740_993] as [Int64])
    func intsPrintInDecimal(value: Int64) {
        #expect(JSON.string(.int(value)) == String(value))
    }

    @Test(arguments: [
        ("plain", #""plain""#),
        ("quote\" backslash\\ slash/", #""quote\" backslash\\ slash/""#),
        ("\n\r\t\u{8}\u{C}", #""\n\r\t\b\f""#),
        ("\0\u{1}\u{1F}\u{7F}", #""\u0000\u0001\u001f\#u{7F}""#),
        ("é日本😀\u{2028}", "\"é日本😀\u{2028}\""),
        ("", #""""#),
    ])
    func stringsEscapeOnlyWhatJSONNeeds(value: String, expected: String) {
        #expect(JSON.string(.string(value)) == expected)
    }

    @Test func containersAreCompactAndKeepOrder() {
        let value: Value = ["z": 1, "a": [true, false, nil, 1.5, "x"], "m": ["k": [:] as Value], "e": []]
        #expect(JSON.string(value) == #"{"z":1,"a":[true,false,null,1.5,"x"],"m":{"k":{}},"e":[]}"#)
        var out: [UInt8] = []
        JSON.write(JSONObject([("b", 2), ("a", 1)]), into: &out)
        #expect(String(decoding: out, as: UTF8.self) == #"{"b":2,"a":1}"#)
    }

    @Test func writesIntoACustomOutput() {
        struct Counting: JSONOutput {
            var bytes: [UInt8] = []
            var calls = 0
            mutating func writeByte(_ byte: UInt8) { bytes.append(byte); calls += 1 }
            mutating func writeBytes(_ raw: UnsafeRawBufferPointer) { bytes.append(contentsOf: raw); calls += 1 }
        }
        var out = Counting()
        JSON.write(["name": "a long string with no escapes at all"] as Value, into: &out)
        #expect(String(decoding: out.bytes, as: UTF8.self) == #"{"name":"a long string with no escapes at all"}"#)
        #expect(out.calls < 12)  // unescaped runs go in one write
    }

    @Test func randomValuesRoundTrip() throws {
        var generator = ValueGenerator(seed: 0x5EED_0001)
        for _ in 0..<3000 {
            let value = generator.value()
            let text = JSON.encode(value)
            let back = try JSON.parse(text)
            #expect(jsonEquivalent(value, back), "\(value) -> \(String(decoding: text, as: UTF8.self)) -> \(back)")
            // Writing is stable: the parsed value writes the same text.
            #expect(JSON.encode(back) == text)
        }
    }

    @Test func everyDoubleRoundTripsThroughItsText() throws {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<20_000 {
            let d = Double(bitPattern: rng.next())
            guard d.isFinite else { continue }
            let text = JSON.numberText(d)
            #expect(try JSON.parse(text).doubleValue == d, "\(d) -> \(text)")
            #expect(Double(text) == d)
        }
    }
}
