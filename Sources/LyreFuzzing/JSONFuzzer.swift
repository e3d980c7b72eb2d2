import LyreCore

/// `JSON.parse` and the JSON writer (LyreCore).
///
/// Invariants, for every input `JSON.parse` accepts as `v`:
/// - the writer's text `JSON.encode(v)` parses again, to a value numerically equal to `v`
///   (`5.0` is written `5` and read back as an integer; an infinity, from `1e400`, is
///   written `null` as JavaScript writes it), and writing that gives the same text (the
///   writer's output is a fixed point);
/// - a document that is one number parses to what the standard library's correctly
///   rounded conversion gives (`Double(text)`, or `Int64(text)` for integers);
/// - objects round-trip through `RecordCodec` and keys through `KeyCodec` (the checks of
///   `CodecFuzzer`), since parsed JSON is what the server stores.
enum JSONFuzzer {
    static func run(_ bytes: UnsafeRawBufferPointer) throws(InvariantViolation) {
        guard let value = try? JSON.parse(bytes) else { return }
        let text = JSON.encode(value)
        let again: Value
        do {
            again = try JSON.parse(text)
        } catch {
            throw InvariantViolation("the writer's output \(show(text)) for input \(show(bytes)) does not parse: \(error)")
        }
        // Infinities (`1e400`) are written `null`, as JavaScript's `JSON.stringify` writes them.
        try check(ValueModel.numericallyEqual(ValueModel.finite(value), again),
                  "\(show(bytes)) parses to \(ValueModel.describe(value)), written \(show(text)), read back as \(ValueModel.describe(again))")
        let textAgain = JSON.encode(again)
        try check(textAgain == text, "writing is not a fixed point: \(show(text)) then \(show(textAgain))")

        switch value {
        case .int, .double: try checkNumber(value, bytes)
        case .object(let object): try CodecFuzzer.checkRecord(object)
        default: break
        }
        if ValueModel.isKeyEncodable(value) { try CodecFuzzer.checkKey(value) }
    }

    /// A lone number against the standard library's conversion of the same text.
    static func checkNumber(_ value: Value, _ bytes: UnsafeRawBufferPointer) throws(InvariantViolation) {
        let text = String(decoding: bytes, as: UTF8.self).trimmingJSONWhitespace
        switch value {
        case .int(let i):
            try check(Int64(text) == i, "\(show(text.utf8)) parses as the integer \(i), Int64(text) gives \(Int64(text).map(String.init) ?? "nil")")
        case .double(let d):
            let reference = Double(text)
            try check(reference?.bitPattern == d.bitPattern,
                      "\(show(text.utf8)) parses as \(d) (bits 0x\(String(d.bitPattern, radix: 16))), Double(text) gives \(reference.map { "\($0) (bits 0x\(String($0.bitPattern, radix: 16)))" } ?? "nil")")
        default:
            break
        }
    }
}

extension String {
    /// Without JSON's whitespace (space, tab, CR, LF) at either end.
    var trimmingJSONWhitespace: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
