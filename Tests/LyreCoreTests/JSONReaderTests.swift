import LyreCore
import Testing

@Suite struct JSONReaderTests {
    @Test(arguments: [
        ("null", Value.null), ("true", true), ("false", false),
        ("0", 0), ("-0", 0), ("42", 42), ("-17", -17),
        ("9223372036854775807", .int(Int64.max)), ("-9223372036854775808", .int(Int64.min)),
        ("9223372036854775808", .double(9223372036854775808.0)),
        ("-9223372036854775809", .double(-9223372036854775808.0)),
        ("123456789012345678901234567890", .double(1.2345678901234568e29)),
        ("1.0", .double(1.0)), ("-0.0", .double(-0.0)), ("0.1", .double(0.1)), ("1e2", .double(100)),
        ("1E+2", .double(100)), ("1e-2", .double(0.01)), ("2.5E-3", .double(0.0025)),
        ("1660585635882.288", .double(1660585635882.288)), ("1e400", .double(.infinity)),
        ("5e-324", .double(.leastNonzeroMagnitude)), ("1e-400", .double(0)),
        ("3.14159265358979323846264338327950288", .double(3.141592653589793)),
        ("0.30000000000000004", .double(0.30000000000000004)),
        ("9007199254740993.0", .double(9007199254740992.0)),
        (" \t\r\n[ 1 , \"a\" ]\n", .array([1, "a"])),
    ] as [(String, Value)])
    func scalars(text: String, expected: Value) throws {
        let value = try JSON.parse(text)
        #expect(value == expected)
        if case .double(let d) = expected, d == 0 {
            #expect(value.doubleValue?.sign == d.sign)
        }
    }

    @Test(arguments: [
        (#""plain""#, "plain"),
        (#""\"\\\/\b\f\n\r\t""#, "\"\\/\u{8}\u{C}\n\r\t"),
        (#""\u0041\u00e9\u20AC""#, "Aé€"),
        (#""\u0000x""#, "\0x"),
        (#""\ud83d\ude00""#, "😀"),
        (#""a\uD834\uDD1Eb""#, "a𝄞b"),
        (#""é日本😀""#, "é日本😀"),
        (#""\ud800""#, "\u{FFFD}"),
        (#""\udc00x""#, "\u{FFFD}x"),
        (#""\ud800\u0041""#, "\u{FFFD}A"),
        (#""\ud800\ud800\udc00""#, "\u{FFFD}𐀀"),
        (#""abc\ndef\u0020ghi""#, "abc\ndef ghi"),
    ])
    func strings(text: String, expected: String) throws {
        #expect(try JSON.parse(text) == .string(expected))
    }

    @Test func objectsKeepKeyOrder() throws {
        let value = try JSON.parse(#"{"z":1,"a":2,"m":{"y":true,"b":null}}"#)
        #expect(value.objectValue?.keys == ["z", "a", "m"])
        #expect(value["m"]?.objectValue?.keys == ["y", "b"])
    }

    @Test func duplicateKeysLastWinsAtFirstPosition() throws {
        let value = try JSON.parse(#"{"a":1,"b":2,"a":3}"#)
        #expect(value.objectValue?.keys == ["a", "b"])
        #expect(value["a"] == 3)

        // Past the size where the reader switches to a hash index.
        var text = "{"
        for i in 0..<40 { text += "\"k\(i)\":\(i)," }
        text += #""k3":"again","k39":"last"}"#
        let big = try JSON.parse(text)
        #expect(big.objectValue?.count == 40)
        #expect(big.objectValue?.keys.first == "k0")
        #expect(big["k3"] == "again")
        #expect(big["k39"] == "last")
        #expect(big.objectValue?.index(forKey: "k3") == 3)
    }

    @Test func emptyContainers() throws {
        #expect(try JSON.parse("[]") == .array([]))
        #expect(try JSON.parse("{ }") == .object(JSONObject()))
        #expect(try JSON.parse("[[],{}]") == [[], .object(JSONObject())])
    }

    @Test(arguments: [
        ("", "Unexpected end of JSON input"),
        ("   ", "Unexpected end of JSON input"),
        (#"{"a":1,}"#, "Unexpected token } in JSON at position 7"),
        (#"{"a":1, "b":2 }}"#, "Unexpected token } in JSON at position 15"),
        ("[1,]", "Unexpected token ] in JSON at position 3"),
        ("[1 2]", "Unexpected number in JSON at position 3"),
        (#"{"a" "b"}"#, "Unexpected string in JSON at position 5"),
        ("{a:1}", "Unexpected token a in JSON at position 1"),
        ("01", "Unexpected number in JSON at position 1"),
        ("-01", "Unexpected number in JSON at position 2"),
        ("1.", "Unexpected end of JSON input"),
        ("1.e5", "Unexpected token e in JSON at position 2"),
        ("1e", "Unexpected end of JSON input"),
        ("1e+", "Unexpected end of JSON input"),
        (".5", "Unexpected token . in JSON at position 0"),
        ("+1", "Unexpected token + in JSON at position 0"),
        ("NaN", "Unexpected token N in JSON at position 0"),
        ("Infinity", "Unexpected token I in JSON at position 0"),
        ("-Infinity", "Unexpected token I in JSON at position 1"),
        ("tru", "Unexpected end of JSON input"),
        ("trux", "Unexpected token x in JSON at position 3"),
        ("nul", "Unexpected end of JSON input"),
        ("{} x", "Unexpected token x in JSON at position 3"),
        ("1 2", "Unexpected number in JSON at position 2"),
        (#"{"a":1"#, "Unexpected end of JSON input"),
        (#""abc"#, "Unexpected end of JSON input"),
        ("\"a\nb\"", "Bad control character in string literal in JSON at position 2"),
        (#""\x""#, "Bad escaped character in JSON at position 2"),
        (#""\u12g4""#, "Bad Unicode escape in JSON at position 5"),
        ("[é]", "Unexpected token é in JSON at position 1"),
        ("'a'", "Unexpected token ' in JSON at position 0"),
        ("\u{FEFF}1", "Unexpected token \u{FEFF} in JSON at position 0"),
        ("[1]\0", "Unexpected token \0 in JSON at position 3"),
    ])
    func errors(text: String, message: String) {
        do {
            let value = try JSON.parse(text)
            Issue.record("parsed \(text) as \(value)")
        } catch let error as LyreError {
            #expect(error.status == 400)
            #expect(error.code == .badRequest)
            #expect(error.message == message)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func nestingUpToTheLimitIsAccepted() throws {
        let depth = JSON.maximumDepth
        let text = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        var value = try JSON.parse(text)
        var levels = 0
        while case .array(let inner) = value {
            levels += 1
            value = inner.first ?? .null
        }
        #expect(levels == depth)
    }

    @Test func nestingPastTheLimitIsRefused() {
        let depth = JSON.maximumDepth + 1
        let arrays = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        let objects = String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth)
        for text in [arrays, objects, String(repeating: "[", count: 100_000)] {
            let error = #expect(throws: LyreError.self) { try JSON.parse(text) }
            #expect(error?.message.hasPrefix("Maximum nesting depth of 512 exceeded in JSON at position") == true)
        }
    }

    @Test func readsFromRawBytes() throws {
        let bytes: [UInt8] = Array(#"{"id":7,"tags":["x"]}"#.utf8)
        let value = try bytes.withUnsafeBytes { try JSON.parse($0) }
        #expect(value == ["id": 7, "tags": ["x"]])
        #expect(throws: LyreError.self) { try JSON.parse(UnsafeRawBufferPointer(start: nil, count: 0)) }
    }

    @Test func invalidUTF8IsRepaired() throws {
        let bytes: [UInt8] = [0x22, 0x61, 0xFF, 0x62, 0x22]
        #expect(try JSON.parse(bytes) == .string("a\u{FFFD}b"))
    }
}
