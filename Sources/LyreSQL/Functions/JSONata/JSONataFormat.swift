internal import Foundation
internal import LyreCore

/// JavaScript's renderings of numbers and JSON, which JSONata's `$string`, `&` and `$round`
/// depend on (LyreCore's JSON writer is not used so this folder stays self-contained).
enum JSONataFormat {
    /// `Number.prototype.toString()` for a finite double: shortest round-trip digits,
    /// exponent form below 1e-6 and from 1e21.
    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        if value == 0 { return "0" }
        let (negative, digits, n) = decompose(value)
        let k = digits.count
        var out = negative ? "-" : ""
        if k <= n && n <= 21 {
            out += digits + String(repeating: "0", count: n - k)
        } else if 0 < n && n <= 21 {
            out += String(digits.prefix(n)) + "." + String(digits.dropFirst(n))
        } else if -6 < n && n <= 0 {
            out += "0." + String(repeating: "0", count: -n) + digits
        } else {
            let e = n - 1
            let sign = e < 0 ? "-" : "+"
            if k == 1 {
                out += digits + "e" + sign + String(abs(e))
            } else {
                out += String(digits.prefix(1)) + "." + String(digits.dropFirst()) + "e" + sign + String(abs(e))
            }
        }
        return out
    }

    /// Splits a finite non-zero double into sign, shortest significant digits `d1…dk`
    /// and `n` such that the value is `0.d1…dk × 10^n`.
    private static func decompose(_ value: Double) -> (Bool, String, Int) {
        let text = abs(value).description   // Swift prints the shortest round-trip digits
        var mantissa = Substring(text)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<e]
            exponent = Int(text[text.index(after: e)...]) ?? 0
        }
        var digits = ""
        var pointIndex: Int?
        for ch in mantissa {
            if ch == "." { pointIndex = digits.count } else { digits.append(ch) }
        }
        let intDigits = pointIndex ?? digits.count
        // Strip leading zeros (adjusting the position of the point) and trailing zeros.
        var leading = 0
        for ch in digits { if ch == "0" { leading += 1 } else { break } }
        digits.removeFirst(leading)
        while digits.last == "0" { digits.removeLast() }
        return (value < 0, digits, intDigits - leading + exponent)
    }

    /// `Number(x.toPrecision(15))`: JSONata's rounding of numbers in `$string`.
    static func toPrecision15(_ value: Double) -> Double {
        guard value.isFinite, value != 0 else { return value }
        return Double(String(format: "%.14e", value)) ?? value
    }

    /// `JSON.stringify` as JSONata's `$string` calls it: numbers rounded to 15 significant digits.
    static func stringify(_ value: Value) -> String {
        var out = ""
        write(value, into: &out)
        return out
    }

    private static func write(_ value: Value, into out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += d.isFinite ? number(toPrecision15(d)) : "null"
        case .string(let s): quote(s, into: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                write(item, into: &out)
            }
            out += "]"
        case .object(let object):
            out += "{"
            for (i, entry) in object.entries.enumerated() {
                if i > 0 { out += "," }
                quote(entry.key, into: &out)
                out += ":"
                write(entry.value, into: &out)
            }
            out += "}"
        }
    }

    private static func quote(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
