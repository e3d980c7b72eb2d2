import LyreCore

extension FunctionRegistry {
    /// sql-functions.md §5 (CAST and CONVERT are expressions, see `SQLCast`).
    public static let conditionalFunctions: [ScalarFunction] = [
        ScalarFunction("ifnull", arity: 2...2) { a, _ in JS.isNullish(a[0]) ? a[1] : a[0] },
        ScalarFunction("coalesce", arity: 1...Int.max) { a, _ in
            for v in a where !JS.isNullish(v) { return v }
            return nil
        },
        ScalarFunction("nullif", arity: 2...2) { a, _ in JS.looseEquals(a[0], a[1]) ? .none : a[0] },
        ScalarFunction("isnull", arity: 2...2) { a, _ in JS.looseEquals(a[0], a[1]) ? .none : a[0] },
        ScalarFunction("if", arity: 3...3) { a, _ in JS.truthy(a[0]) ? a[1] : a[2] },
        ScalarFunction("iif", arity: 3...3) { a, _ in JS.truthy(a[0]) ? a[1] : a[2] },
    ]

    /// sql-functions.md §2 (`DISTINCT_ARRAY`) and §10.
    public static let miscFunctions: [ScalarFunction] = [
        ScalarFunction("distinct_array", arity: 1...1, spelling: .lowerOrUpper) { a, _ in
            guard case .array(let items)? = a[0] else { return a[0] }
            var kept: [Value] = []
            var seen: Set<Value> = []
            for item in items where seen.insert(JS.groupKey(item)).inserted { kept.append(item) }
            return .array(kept)
        },
        ScalarFunction("newid", arity: 0...0) { _, c in .string(randomUUID(c)) },
        ScalarFunction("uuid", arity: 0...0) { _, c in .string(randomUUID(c)) },
        ScalarFunction("gen_random_uuid", arity: 0...0) { _, c in .string(randomUUID(c)) },
    ]

    /// A version-4 UUID in lower case, drawn from the context's random source.
    static func randomUUID(_ context: FunctionContext) -> String {
        var bytes = (0..<16).map { _ in UInt8(min(255, Int(context.random() * 256))) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { b -> String in
            let s = String(b, radix: 16)
            return s.count == 1 ? "0" + s : s
        }
        return [hex[0..<4], hex[4..<6], hex[6..<8], hex[8..<10], hex[10..<16]].map { $0.joined() }.joined(separator: "-")
    }
}
