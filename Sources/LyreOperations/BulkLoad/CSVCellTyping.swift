package import LyreCore

/// Turns CSV cell text into stored values: Harper's "auto-cast" (bulk-and-jobs.md §4.3),
/// or, for attributes declared with a type on schema-defined tables, that type.
package enum CSVCellTyping {
    /// The auto-cast of one cell, in Harper's order: JSON object/array text, the common
    /// words (`true`, `NULL`, `NaN`, ...), plain decimal numbers, ISO date-times with a
    /// zone (kept as their normalized ISO text, as Harper returns dates), else the text.
    package static func autoCast(_ text: String) -> Value {
        var copy = text
        return copy.withUTF8 { autoCast(utf8: $0, text: text) }
    }

    private static func autoCast(utf8 b: UnsafeBufferPointer<UInt8>, text: String) -> Value {
        guard let first = b.first else { return .string("") }
        switch first {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let last = b[b.count - 1]
            if (first == UInt8(ascii: "{") && last == UInt8(ascii: "}")) || (first == UInt8(ascii: "[") && last == UInt8(ascii: "]")),
               let parsed = try? JSON.parse(UnsafeRawBufferPointer(b)) {
                return parsed
            }
            return .string(text)
        case UInt8(ascii: "t"), UInt8(ascii: "T"), UInt8(ascii: "f"), UInt8(ascii: "F"),
             UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "u"):
            switch text {
            case "true", "TRUE": return .bool(true)
            case "false", "FALSE": return .bool(false)
            case "null", "NULL", "undefined": return .null
            case "NaN": return .double(.nan)
            default: return .string(text)
            }
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            if let number = number(b, text: text) { return number }
            if b.count >= 16, first != UInt8(ascii: "-"), let ms = ISODate.parse(b, requireTimeAndZone: true) {
                return .string(ISODate.format(ms))
            }
            return .string(text)
        default:
            return .string(text)
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?`: integers within Int64 stay integers, the rest doubles.
    /// Leading zeros (`011`) and exponents (`1e5`) are not numbers here.
    private static func number(_ b: UnsafeBufferPointer<UInt8>, text: String) -> Value? {
        var i = 0
        if b[0] == UInt8(ascii: "-") { i = 1 }
        func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
        guard i < b.count, isDigit(b[i]) else { return nil }
        if b[i] == 0x30 {
            i += 1
        } else {
            while i < b.count, isDigit(b[i]) { i += 1 }
        }
        var fraction = false
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < b.count, isDigit(b[i]) { i += 1 }
            guard i > start else { return nil }
            fraction = true
        }
        guard i == b.count else { return nil }
        if !fraction, let int = Int64(text) { return .int(int) }
        return Double(text).map { .double($0) }
    }

    /// A cell for an attribute declared with `type` (schema-defined tables). Text that does
    /// not convert is kept as auto-cast would keep it, for the write's own checks to judge.
    package static func cast(_ text: String, declaredType type: String?) -> Value {
        switch type {
        case "String"?:
            return .string(text)
        case "Int"?, "Long"?, "BigInt"?:
            if let i = Int64(text) { return .int(i) }
        case "Float"?, "Number"?:
            if let d = Double(text), !text.isEmpty { return .double(d) }
        case "Boolean"?:
            if text == "true" || text == "TRUE" { return .bool(true) }
            if text == "false" || text == "FALSE" { return .bool(false) }
        default:
            break
        }
        return autoCast(text)
    }
}
