public import LyreCore

/// Numbers as Harper's JavaScript sees them: every number is a double; integral results
/// are stored as `Value.int` so they compare and serialize like integers.
public enum SQLNumber {
    /// `d` as a `Value`: `.int` when integral and exactly representable (|d| ≤ 2^53), else `.double`.
    public static func value(_ d: Double) -> Value {
        if d.isFinite, d == d.rounded(.towardZero), abs(d) <= 9_007_199_254_740_992 {
            return .int(Int64(d))
        }
        return .double(d)
    }

    /// JavaScript's `String(number)`: shortest round-trip digits, exponent only for
    /// magnitudes ≥ 1e21 or < 1e-6 (`1e+21`, `5e-7`), `-0` as `0`.
    public static func format(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
        if d == 0 { return "0" }
        if d == d.rounded(.towardZero), abs(d) < 1e21, let i = Int64(exactly: d) { return String(i) }
        // Decompose Swift's shortest representation into digits and a decimal exponent.
        var text = abs(d).description
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = String(text[..<e])
        }
        var digits = text
        var pointPosition = digits.count
        if let dot = digits.firstIndex(of: ".") {
            pointPosition = digits.distance(from: digits.startIndex, to: dot)
            digits.remove(at: dot)
        }
        // Strip leading zeros (adjusting the point) and trailing zeros.
        while digits.first == "0", digits.count > 1 {
            digits.removeFirst()
            pointPosition -= 1
        }
        while digits.last == "0", digits.count > 1 { digits.removeLast() }
        let k = digits.count
        let n = pointPosition + exponent // value = 0.digits × 10^n
        let sign = d < 0 ? "-" : ""
        if k <= n && n <= 21 {
            return sign + digits + String(repeating: "0", count: n - k)
        }
        if 0 < n && n <= 21 {
            let i = digits.index(digits.startIndex, offsetBy: n)
            return sign + digits[..<i] + "." + digits[i...]
        }
        if -6 < n && n <= 0 {
            return sign + "0." + String(repeating: "0", count: -n) + digits
        }
        let e = n - 1
        let expText = e >= 0 ? "+\(e)" : "-\(-e)"
        if k == 1 { return sign + digits + "e" + expText }
        return sign + String(digits.first!) + "." + digits.dropFirst() + "e" + expText
    }

    /// JavaScript's `Number(string)`: trims whitespace; empty → 0; decimal, exponent,
    /// `0x`/`0o`/`0b` and `Infinity` forms; anything else NaN.
    public static func parse(_ s: String) -> Double {
        let t = JS.trimWhitespace(s)
        if t.isEmpty { return 0 }
        let lower = t.lowercased()
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where lower.hasPrefix(prefix) {
            return Int64(lower.dropFirst(2), radix: radix).map(Double.init) ?? .nan
        }
        switch t {
        case "Infinity", "+Infinity": return .infinity
        case "-Infinity": return -.infinity
        default: break
        }
        // Only plain decimal syntax (Swift's parser also accepts "nan", "inf", hex floats).
        var sawDigit = false
        for (i, c) in t.enumerated() {
            switch c {
            case "0"..."9": sawDigit = true
            case ".", "e", "E": break
            case "+", "-": if i != 0, !["e", "E"].contains(Array(t)[i - 1]) { return .nan }
            default: return .nan
            }
        }
        guard sawDigit else { return .nan }
        return Double(t) ?? .nan
    }
}

extension JS {
    /// Removes leading and trailing Unicode whitespace (JavaScript `trim`).
    public static func trimWhitespace(_ s: String) -> String {
        var scalars = Substring(s).unicodeScalars[...]
        while let f = scalars.first, f.properties.isWhitespace || f == "\u{FEFF}" { scalars.removeFirst() }
        while let l = scalars.last, l.properties.isWhitespace || l == "\u{FEFF}" { scalars.removeLast() }
        return String(String.UnicodeScalarView(scalars))
    }
}
