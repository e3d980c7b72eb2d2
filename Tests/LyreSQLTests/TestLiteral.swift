import LyreCore

/// Expected values in tests: JSON plus `undefined`, `NaN`, `Infinity`, `-Infinity`.
/// (LyreCore's JSON codec is not merged yet, so tests read their own literals.)
enum TestLiteral {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Parses `text`; `.some(nil)` is `undefined`.
    static func parse(_ text: String) throws -> Value? {
        var c = Array(text.unicodeScalars)[...]
        let v = try value(&c)
        skip(&c)
        guard c.isEmpty else { throw Failure(description: "trailing text in \(text)") }
        return v
    }

    private static func skip(_ c: inout ArraySlice<Unicode.Scalar>) {
        while let f = c.first, f.properties.isWhitespace { c.removeFirst() }
    }

    private static func value(_ c: inout ArraySlice<Unicode.Scalar>) throws -> Value? {
        skip(&c)
        guard let f = c.first else { throw Failure(description: "unexpected end") }
        switch f {
        case "[":
            c.removeFirst()
            var items: [Value] = []
            skip(&c)
            if c.first == "]" { c.removeFirst(); return .array(items) }
            while true {
                items.append(try value(&c) ?? .null)
                skip(&c)
                let s = c.popFirst()
                if s == "]" { return .array(items) }
                guard s == "," else { throw Failure(description: "expected , in array") }
            }
        case "{":
            c.removeFirst()
            var object = JSONObject()
            skip(&c)
            if c.first == "}" { c.removeFirst(); return .object(object) }
            while true {
                skip(&c)
                guard case .string(let key)? = try value(&c) else { throw Failure(description: "expected key") }
                skip(&c)
                guard c.popFirst() == ":" else { throw Failure(description: "expected :") }
                object[key] = try value(&c) ?? .null
                skip(&c)
                let s = c.popFirst()
                if s == "}" { return .object(object) }
                guard s == "," else { throw Failure(description: "expected , in object") }
            }
        case "\"":
            c.removeFirst()
            var out = String.UnicodeScalarView()
            while let ch = c.popFirst() {
                if ch == "\"" { return .string(String(out)) }
                if ch == "\\", let e = c.popFirst() {
                    switch e {
                    case "n": out.append("\n")
                    case "t": out.append("\t")
                    default: out.append(e)
                    }
                } else {
                    out.append(ch)
                }
            }
            throw Failure(description: "unterminated string")
        default:
            var word = ""
            while let ch = c.first, !",]}".unicodeScalars.contains(ch), !ch.properties.isWhitespace {
                word.unicodeScalars.append(ch)
                c.removeFirst()
            }
            switch word {
            case "undefined": return nil
            case "null": return .null
            case "true": return .bool(true)
            case "false": return .bool(false)
            case "NaN": return .double(.nan)
            case "Infinity": return .double(.infinity)
            case "-Infinity": return .double(-.infinity)
            default:
                if let i = Int64(word) { return .int(i) }
                if let d = Double(word) { return .double(d) }
                throw Failure(description: "bad literal \(word)")
            }
        }
    }

    /// Equality for test expectations: numbers by value (int 2 equals double 2.0), NaN equals NaN.
    /// - Parameter tolerance: relative difference allowed between numbers (0: exact), for
    ///   results whose last digits depend on the platform's `sin`/`atan2` (geo, §9).
    static func same(_ a: Value?, _ b: Value?, tolerance: Double = 0) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case (.array(let x)?, .array(let y)?):
            return x.count == y.count && zip(x, y).allSatisfy { same($0, $1, tolerance: tolerance) }
        case (.object(let x)?, .object(let y)?):
            return x.keys == y.keys && x.allSatisfy { same($0.value, y[$0.key], tolerance: tolerance) }
        default:
            if let x = a?.doubleValue, let y = b?.doubleValue {
                return x == y || (x.isNaN && y.isNaN) || abs(x - y) <= tolerance * max(abs(x), abs(y))
            }
            return a == b
        }
    }

    /// A readable rendering for failure messages.
    static func show(_ v: Value?) -> String {
        switch v {
        case nil: "undefined"
        case .null?: "null"
        case .bool(let b)?: String(b)
        case .int(let i)?: String(i)
        case .double(let d)?: String(d)
        case .string(let s)?: "\"\(s)\""
        case .array(let a)?: "[" + a.map { show($0) }.joined(separator: ",") + "]"
        case .object(let o)?: "{" + o.map { "\"\($0.key)\":" + show($0.value) }.joined(separator: ",") + "}"
        }
    }
}
