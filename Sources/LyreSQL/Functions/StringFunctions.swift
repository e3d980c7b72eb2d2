import LyreCore

extension FunctionRegistry {
    /// sql-functions.md §4. Positions and lengths count UTF-16 code units, as JavaScript does.
    /// Type errors Harper raises (`TRIM(5)`, `LEN(NULL)`) return null here (§1.2).
    public static let stringFunctions: [ScalarFunction] = [
        ScalarFunction("upper", arity: 1...1) { a, _ in .string(JS.toString(a[0] ?? .null).uppercased()) },
        ScalarFunction("ucase", arity: 1...1) { a, _ in .string(JS.toString(a[0] ?? .null).uppercased()) },
        ScalarFunction("lower", arity: 1...1) { a, _ in .string(JS.toString(a[0] ?? .null).lowercased()) },
        ScalarFunction("lcase", arity: 1...1) { a, _ in .string(JS.toString(a[0] ?? .null).lowercased()) },
        ScalarFunction("len", arity: 1...1) { a, _ in length(a[0]) },
        ScalarFunction("length", arity: 1...1) { a, _ in length(a[0]) },
        ScalarFunction("concat", arity: 1...Int.max) { a, _ in
            .string(a.filter { !JS.isNullish($0) }.map { JS.toString($0) }.joined())
        },
        ScalarFunction("concat_ws", arity: 2...Int.max) { a, _ in
            let separator = JS.toString(a[0])
            return .string(a.dropFirst().filter { !JS.isNullish($0) }.map { JS.toString($0) }.joined(separator: separator))
        },
        ScalarFunction("instr", arity: 2...2) { a, _ in
            guard case .string(let s)? = a[0], !JS.isNullish(a[1]) else { return .null }
            return .int(Int64(utf16Index(of: JS.toString(a[1]), in: s).map { $0 + 1 } ?? 0))
        },
        ScalarFunction("substring", arity: 2...3) { a, _ in substring(a) },
        ScalarFunction("substr", arity: 2...3) { a, _ in substring(a) },
        ScalarFunction("mid", arity: 2...3) { a, _ in substring(a) },
        ScalarFunction("trim", arity: 1...1) { a, _ in
            guard case .string(let s)? = a[0] else { return .null }
            return .string(JS.trimWhitespace(s))
        },
        ScalarFunction("ltrim", arity: 1...1) { a, _ in
            guard case .string(let s)? = a[0] else { return .null }
            return .string(String(s.drop { $0 == " " }))
        },
        ScalarFunction("rtrim", arity: 1...1) { a, _ in
            guard case .string(let s)? = a[0] else { return .null }
            var t = Substring(s)
            while t.last == " " { t.removeLast() }
            return .string(String(t))
        },
        ScalarFunction("replace", arity: 3...3) { a, _ in
            if JS.isNullish(a[0]) { return .string("") }
            guard case .string(let s)? = a[0] else { return .null }
            let old = JS.toString(a[1])
            guard !old.isEmpty else { return .string(s) }
            return .string(replaceAll(s, old, JS.toString(a[2])))
        },
        ScalarFunction("ascii", arity: 1...1) { a, _ in
            guard case .string(let s)? = a[0], let first = s.utf16.first else { return nil }
            return .int(Int64(first))
        },
        ScalarFunction("char", arity: 1...1) { a, _ in
            let code = JS.toNumber(a[0])
            guard code.isFinite else { return .string("\u{0}") }
            let unit = UInt16(truncatingIfNeeded: Int64(code))
            return .string(String(decoding: [unit], as: UTF16.self))
        },
        ScalarFunction("regexp_like", arity: 2...3) { a, _ in
            guard !JS.isNullish(a[0]), !JS.isNullish(a[1]) else { return .null }
            let flags = a.count == 3 ? JS.toString(a[2]) : ""
            return .bool(try SQLPattern.search(JS.toString(a[1]), flags: flags, in: JS.toString(a[0])))
        },
    ]

    private static func length(_ v: Value?) -> Value? {
        switch v {
        case .string(let s)?: .int(Int64(s.utf16.count))
        case .array(let a)?: .int(Int64(a.count))
        case .null?: .null
        default: nil
        }
    }

    /// JavaScript `s.substr(start - 1[, len])` over UTF-16 code units.
    private static func substring(_ a: [Value?]) -> Value? {
        guard case .string(let s)? = a[0] else { return .null }
        let units = Array(s.utf16)
        let size = units.count
        var start = Int(clamping: Int64(JS.toNumber(a[1]).rounded(.towardZero).clampedToInt64)) - 1
        if start < 0 { start = Swift.max(size + start, 0) }
        start = Swift.min(start, size)
        var length = size - start
        if a.count == 3 {
            let l = JS.toNumber(a[2])
            length = l.isNaN ? 0 : Swift.min(Swift.max(Int(clamping: Int64(l.rounded(.towardZero).clampedToInt64)), 0), size - start)
        }
        return .string(String(decoding: units[start..<(start + length)], as: UTF16.self))
    }

    private static func utf16Index(of needle: String, in haystack: String) -> Int? {
        let h = Array(haystack.utf16), n = Array(needle.utf16)
        if n.isEmpty { return 0 }
        guard n.count <= h.count else { return nil }
        for i in 0...(h.count - n.count) where h[i..<(i + n.count)].elementsEqual(n) { return i }
        return nil
    }

    private static func replaceAll(_ s: String, _ old: String, _ new: String) -> String {
        let h = Array(s.utf16), o = Array(old.utf16), n = Array(new.utf16)
        var out: [UInt16] = []
        var i = 0
        while i < h.count {
            if i + o.count <= h.count, h[i..<(i + o.count)].elementsEqual(o) {
                out.append(contentsOf: n)
                i += o.count
            } else {
                out.append(h[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF16.self)
    }
}

extension Double {
    /// The value clamped into `Int64`'s range (NaN becomes 0).
    var clampedToInt64: Double {
        if isNaN { return 0 }
        return Swift.min(Swift.max(self, -9.2e18), 9.2e18)
    }
}
