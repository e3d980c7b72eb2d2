import LyreCore
import LyreQuery
import LyreStorage
import LyreTestSupport
import Testing

/// Every comparator, and random and/or combinations, against a brute-force filter over
/// random mixed-type data (numbers, strings, booleans, nulls, missing attributes, arrays).
/// The brute force is written from the spec's words, independent of `ConditionMatcher`.
@Suite struct ComparatorPropertyTests {
    static let scalars: [Value] = [
        0, 1, 2, -3, 10, 1.5, -2.25, 100,
        "", "a", "ab", "abc", "b", "ba", "B", "10", "1", "a b", "é",
        // NUL and low control characters sort below every letter (index keys escape NUL).
        "a\u{0}", "a\u{0}b", "a\u{1}", "\u{0}",
        // Longer than an index value key: stored under a cut prefix and re-checked.
        .string(long + "a"), .string(long + "b"), .string(long), .string(long + "a\u{0}"),
        true, false, .null,
    ]
    static let long = String(repeating: "x", count: TableIndex.maximumValueLength + 20)
    static let attributes = ["a", "b", "c"]

    static func randomValue(_ g: inout SplitMix64) -> Value? {
        switch Int.random(in: 0..<10, using: &g) {
        case 0: return nil  // missing
        case 1: return .array((0..<Int.random(in: 0...3, using: &g)).map { _ in scalars.randomElement(using: &g)! })
        default: return scalars.randomElement(using: &g)!
        }
    }

    static func table(seed: UInt64, count: Int = 150) throws -> (TestStorage, Database, TableDefinition, [JSONObject]) {
        var g = SplitMix64(seed: seed)
        var records: [JSONObject] = []
        for id in 1...count {
            var r = JSONObject()
            r["id"] = .int(Int64(id))
            for a in attributes { if let v = randomValue(&g) { r[a] = v } }
            records.append(r)
        }
        let storage = try TestStorage()
        let (db, table) = try storage.table("random", records: records)
        return (storage, db, table, records)
    }

    static func randomCondition(_ g: inout SplitMix64, comparator: Comparator? = nil) -> Condition {
        let c = comparator ?? Comparator.allCases.randomElement(using: &g)!
        let attribute = attributes.randomElement(using: &g)!
        let stringsAndNumbers = scalars.filter { $0.isNumber || $0.stringValue != nil }
        let value: Value = switch c {
        case .equals: scalars.randomElement(using: &g)!
        case .between: [stringsAndNumbers.randomElement(using: &g)!, stringsAndNumbers.randomElement(using: &g)!]
        default: stringsAndNumbers.randomElement(using: &g)!
        }
        return Condition(attribute, c, value)
    }

    // MARK: Brute force, from the spec

    /// Numbers compare numerically, strings by code point; other pairs do not compare.
    static func compare(_ a: Value, _ b: Value) -> Int? {
        if let x = a.doubleValue, let y = b.doubleValue { return x < y ? -1 : (x == y ? 0 : 1) }
        if case .string(let x) = a, case .string(let y) = b {
            let xs = Array(x.unicodeScalars.map(\.value)), ys = Array(y.unicodeScalars.map(\.value))
            return xs == ys ? 0 : (xs.lexicographicallyPrecedes(ys) ? -1 : 1)
        }
        return nil
    }

    static func identical(_ a: Value, _ b: Value) -> Bool {
        if a.isNumber && b.isNumber { return compare(a, b) == 0 }
        if case .array(let x) = a, case .array(let y) = b {
            return x.count == y.count && zip(x, y).allSatisfy { identical($0, $1) }
        }
        return a == b
    }

    static func text(_ v: Value) -> String? {
        switch v {
        case .string(let s): s
        case .int(let i): String(i)
        case .double(let d): d == d.rounded() ? String(Int64(d)) : String(d)
        case .bool(let b): b ? "true" : "false"
        default: nil
        }
    }

    static func matchesScalar(_ c: Condition, _ x: Value) -> Bool {
        switch c.comparator {
        case .equals: return identical(x, c.value)
        case .notEqual: return !identical(x, c.value)
        case .startsWith:
            guard case .string(let s) = x, let p = text(c.value) else { return false }
            return s.utf8.starts(with: p.utf8)
        case .contains:
            guard let t = text(x), let n = text(c.value) else { return false }
            return n.isEmpty || t.utf8.count >= n.utf8.count && (0...(t.utf8.count - n.utf8.count)).contains { i in
                Array(t.utf8).dropFirst(i).starts(with: n.utf8)
            }
        case .endsWith:
            guard let t = text(x), let n = text(c.value) else { return false }
            return Array(t.utf8).reversed().starts(with: Array(n.utf8).reversed())
        case .greaterThan: return compare(x, c.value).map { $0 > 0 } ?? false
        case .greaterThanEqual: return compare(x, c.value).map { $0 >= 0 } ?? false
        case .lessThan: return compare(x, c.value).map { $0 < 0 } ?? false
        case .lessThanEqual: return compare(x, c.value).map { $0 <= 0 } ?? false
        case .between:
            guard case .array(let ends) = c.value,
                  let lo = compare(x, ends[0]), let hi = compare(x, ends[1]) else { return false }
            return lo >= 0 && hi <= 0
        }
    }

    static func matches(_ c: Condition, _ record: JSONObject) -> Bool {
        guard let x = record[c.attribute] else { return c.comparator == .notEqual }
        switch c.comparator {
        case .notEqual: return !identical(x, c.value)
        case .equals:
            if identical(x, c.value) { return true }
            if case .array(let es) = x { return es.contains { identical($0, c.value) } }
            return false
        default:
            if case .array(let es) = x { return es.contains { matchesScalar(c, $0) } }
            return matchesScalar(c, x)
        }
    }

    static func matches(_ f: Filter, _ record: JSONObject) -> Bool {
        switch f {
        case .condition(let c): matches(c, record)
        case .and(let fs): fs.allSatisfy { matches($0, record) }
        case .or(let fs): fs.contains { matches($0, record) }
        }
    }

    /// The implicit order of a single range-capable condition: the smallest matching
    /// element in index order, then the primary key.
    static func expectedOrder(_ c: Condition, _ records: [JSONObject]) -> [Value] {
        let hits = records.filter { matches(c, $0) }
        guard c.comparator.usesIndexRange else { return hits.map { $0["id"]! } }
        func key(_ r: JSONObject) -> [UInt8] {
            let x = r[c.attribute]!
            let es: [Value] = if case .array(let a) = x { a } else { [x] }
            let keys = es.filter { matchesScalar(c, $0) }.compactMap { KeyCodec.encode($0) }
            return keys.min { $0.lexicographicallyPrecedes($1) } ?? []
        }
        return hits.map { (key($0), $0["id"]!.intValue!) }
            .sorted { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0.lexicographicallyPrecedes($1.0) }
            .map { .int($0.1) }
    }

    static func run(_ query: Query, _ db: Database, _ table: TableDefinition) throws -> [Value] {
        try db.read { txn in
            try QueryExecutor.primaryKeys(try QueryPlanner.plan(query, table: table, in: txn), table: table, in: txn)
        }
    }

    // MARK: Properties

    @Test(arguments: Comparator.allCases)
    func comparatorMatchesBruteForceInOrder(_ comparator: Comparator) throws {
        let (storage, db, table, records) = try Self.table(seed: 42)
        var g = SplitMix64(seed: UInt64(comparator.rawValue.utf8.count) &* 7919)
        for _ in 0..<40 {
            let c = Self.randomCondition(&g, comparator: comparator)
            let expected = Self.expectedOrder(c, records)
            let got = try Self.run(Query(filter: .condition(c)), db, table)
            #expect(got == expected, "\(c)")
            // A page of the same order.
            let offset = Int.random(in: 0...5, using: &g)
            let limit = Int.random(in: 1...7, using: &g)
            let page = try Self.run(Query(filter: .condition(c), offset: offset, limit: limit), db, table)
            #expect(page == Array(expected.dropFirst(offset).prefix(limit)), "\(c) offset \(offset) limit \(limit)")
        }
        _ = storage
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func combinationsMatchBruteForce(_ seed: UInt64) throws {
        let (storage, db, table, records) = try Self.table(seed: seed)
        var g = SplitMix64(seed: seed &* 1_000_003)
        func randomFilter(_ depth: Int) -> Filter {
            if depth == 0 || Int.random(in: 0..<3, using: &g) == 0 { return .condition(Self.randomCondition(&g)) }
            let children = (0..<Int.random(in: 2...3, using: &g)).map { _ in randomFilter(depth - 1) }
            return Bool.random(using: &g) ? .and(children) : .or(children)
        }
        for _ in 0..<60 {
            let filter = randomFilter(2)
            let expected = records.filter { Self.matches(filter, $0) }.map { $0["id"]! }
            let got = try Self.run(Query(filter: filter, sort: [SortKey("id")]), db, table)
            #expect(got == expected, "\(filter)")
        }
        _ = storage
    }

    /// Sorted output follows the values' whole order (long values cut in the index included),
    /// ties in primary-key order, records without an indexable value last.
    @Test(arguments: [false, true])
    func sortedOutputFollowsTheValuesOrder(descending: Bool) throws {
        let (storage, db, table, records) = try Self.table(seed: 9, count: 300)
        let byID = Dictionary(uniqueKeysWithValues: records.map { ($0["id"]!.intValue!, $0) })
        func key(_ record: JSONObject) -> [UInt8]? {
            guard let value = record["a"] else { return nil }
            let elements: [Value] = if case .array(let a) = value { a.filter { if case .array = $0 { false } else { true } } } else { [value] }
            let keys = elements.compactMap { e -> [UInt8]? in
                var out: [UInt8] = []
                return KeyCodec.encodeDelimited(e, into: &out) ? out : nil
            }
            return descending ? keys.max { $0.lexicographicallyPrecedes($1) } : keys.min { $0.lexicographicallyPrecedes($1) }
        }
        let got = try Self.run(Query(filter: nil, sort: [SortKey("a", descending: descending)]), db, table)
        #expect(got.count == records.count)
        let keyed = got.map { (key(byID[$0.intValue!]!), $0.intValue!) }
        for (x, y) in zip(keyed, keyed.dropFirst()) {
            switch (x.0, y.0) {
            case (nil, .some): Issue.record("a record without a value before one with a value")
            case (.some(let a), .some(let b)) where a == b: #expect(x.1 < y.1, "tie out of primary-key order")
            case (.some(let a), .some(let b)):
                #expect(descending ? b.lexicographicallyPrecedes(a) : a.lexicographicallyPrecedes(b), "\(x.1) before \(y.1)")
            default: break
            }
        }
        _ = storage
    }

    @Test(arguments: ["a", "b"])
    func sortedPagesAgreeWithAFullSort(_ attribute: String) throws {
        let (storage, db, table, _) = try Self.table(seed: 7, count: 300)
        let all = try Self.run(Query(filter: nil, sort: [SortKey(attribute, descending: true)]), db, table)
        #expect(all.count == 300)
        for (offset, limit) in [(0, 10), (5, 10), (290, 20)] {
            let page = try Self.run(Query(filter: nil, sort: [SortKey(attribute, descending: true)], offset: offset, limit: limit), db, table)
            #expect(page == Array(all.dropFirst(offset).prefix(limit)))
        }
        _ = storage
    }
}
