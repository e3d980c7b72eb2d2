import LyreCore
import Testing

/// A small JSON reader for tests only, until LyreCore's `JSON.parse` lands: the geo
/// functions take it as their `parseJSON` closure, and tests use it to write inputs.
enum TestJSON {
    struct Failure: Error {}

    static func parse(_ text: String) throws -> Value {
        var reader = Reader(bytes: Array(text.utf8))
        let value = try reader.value()
        reader.skipSpace()
        guard reader.index == reader.bytes.count else { throw Failure() }
        return value
    }

    /// For test fixtures known to be valid.
    static func v(_ text: String) -> Value {
        do { return try parse(text) } catch { fatalError("bad test JSON: \(text)") }
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        var c: UInt8 { index < bytes.count ? bytes[index] : 0 }

        mutating func skipSpace() {
            while [32, 9, 10, 13].contains(c) { index += 1 }
        }

        mutating func value() throws -> Value {
            skipSpace()
            guard index < bytes.count else { throw Failure() }
            switch c {
            case UInt8(ascii: "{"):
                index += 1
                var object = JSONObject()
                skipSpace()
                if c == UInt8(ascii: "}") { index += 1; return .object(object) }
                while true {
                    skipSpace()
                    guard case .string(let key) = try value() else { throw Failure() }
                    skipSpace()
                    guard c == UInt8(ascii: ":") else { throw Failure() }
                    index += 1
                    object[key] = try value()
                    skipSpace()
                    if c == UInt8(ascii: ",") { index += 1; continue }
                    guard c == UInt8(ascii: "}") else { throw Failure() }
                    index += 1
                    return .object(object)
                }
            case UInt8(ascii: "["):
                index += 1
                var items: [Value] = []
                skipSpace()
                if c == UInt8(ascii: "]") { index += 1; return .array(items) }
                while true {
                    items.append(try value())
                    skipSpace()
                    if c == UInt8(ascii: ",") { index += 1; continue }
                    guard c == UInt8(ascii: "]") else { throw Failure() }
                    index += 1
                    return .array(items)
                }
            case UInt8(ascii: "\""):
                index += 1
                var out: [UInt8] = []
                while c != UInt8(ascii: "\"") {
                    guard c != 0 else { throw Failure() }
                    if c == UInt8(ascii: "\\") {
                        index += 1
                        switch c {
                        case UInt8(ascii: "n"): out.append(10)
                        case UInt8(ascii: "t"): out.append(9)
                        default: out.append(c)
                        }
                    } else {
                        out.append(c)
                    }
                    index += 1
                }
                index += 1
                return .string(String(decoding: out, as: UTF8.self))
            case UInt8(ascii: "t"): index += 4; return .bool(true)
            case UInt8(ascii: "f"): index += 5; return .bool(false)
            case UInt8(ascii: "n"): index += 4; return .null
            default:
                let start = index
                while c != 0, "+-0123456789.eE".utf8.contains(c) { index += 1 }
                let text = String(decoding: bytes[start..<index], as: UTF8.self)
                if let i = Int64(text) { return .int(i) }
                guard let d = Double(text) else { throw Failure() }
                return .double(d)
            }
        }
    }
}

@Suite struct GeoTestParserTests {
    @Test func parsesNestedValues() throws {
        let value = try TestJSON.parse(#"{"a":[1,2.5,"x",true,null],"b":{}}"#)
        #expect(value == ["a": [1, 2.5, "x", true, nil], "b": .object(JSONObject())])
    }

    @Test func rejectsInvalidText() {
        #expect(throws: (any Error).self) { try TestJSON.parse("[1,") }
    }
}
