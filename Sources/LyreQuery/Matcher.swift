package import LyreCore

/// A condition prepared for matching many records: the condition value's key encoding
/// and text are computed once.
///
/// Matching follows nosql.md §7.4 exactly; the planner's index scans only narrow the
/// candidates, every candidate is then checked here against its record, so an index
/// key cut at LMDB's limit never yields a wrong answer.
package struct ConditionMatcher: Sendable {
    package let condition: Condition
    /// Key encoding of the value (of `value[0]` for `between`).
    let lower: [UInt8]?
    /// Key encoding of `value[1]` for `between`.
    let upper: [UInt8]?
    /// UTF-8 text of the value for the text comparators.
    let text: [UInt8]

    package init(_ condition: Condition) {
        self.condition = condition
        if condition.comparator == .between, case .array(let ends) = condition.value, ends.count == 2 {
            lower = KeyCodec.encode(ends[0])
            upper = KeyCodec.encode(ends[1])
        } else {
            lower = KeyCodec.encode(condition.value)
            upper = nil
        }
        text = Self.text(of: condition.value) ?? []
    }

    /// Whether a record whose attribute holds `value` (`nil`: the record lacks it) matches.
    package func matches(_ value: Value?) -> Bool {
        switch condition.comparator {
        case .notEqual:
            guard let value else { return true }
            return !Self.identical(value, condition.value, encoded: lower)
        case .equals:
            guard let value else { return false }
            if Self.identical(value, condition.value, encoded: lower) { return true }
            if case .array(let elements) = value {
                return elements.contains { Self.identical($0, condition.value, encoded: lower) }
            }
            return false
        default:
            guard let value else { return false }
            if case .array(let elements) = value {
                return elements.contains { element in
                    if case .array = element { return false }
                    return matchesElement(element)
                }
            }
            return matchesElement(value)
        }
    }

    /// Whether one scalar (an attribute value or one element of an array value) matches.
    /// For `not_equal` and `equals` on a container this is element identity.
    package func matchesElement(_ element: Value) -> Bool {
        switch condition.comparator {
        case .equals, .notEqual:
            let same = Self.identical(element, condition.value, encoded: lower)
            return condition.comparator == .equals ? same : !same
        case .startsWith:
            guard case .string(var s) = element else { return false }
            return s.withUTF8 { $0.starts(with: text) }
        case .contains:
            guard let t = Self.text(of: element) else { return false }
            return Self.bytes(t, contain: text)
        case .endsWith:
            guard let t = Self.text(of: element) else { return false }
            return t.count >= text.count && t.suffix(text.count).elementsEqual(text)
        case .greaterThan, .greaterThanEqual, .lessThan, .lessThanEqual:
            guard let bound = lower, let e = KeyCodec.encode(element), Self.sameType(e, bound) else { return false }
            switch condition.comparator {
            case .greaterThan: return e.lexicographicallyPrecedes(bound) == false && e != bound
            case .greaterThanEqual: return !e.lexicographicallyPrecedes(bound)
            case .lessThan: return e.lexicographicallyPrecedes(bound)
            default: return e == bound || e.lexicographicallyPrecedes(bound)
            }
        case .between:
            guard let lo = lower, let hi = upper, let e = KeyCodec.encode(element),
                  Self.sameType(e, lo), Self.sameType(e, hi) else { return false }
            return !e.lexicographicallyPrecedes(lo) && !hi.lexicographicallyPrecedes(e)
        }
    }

    /// Same type and value: `1` and `1.0` are identical, `1` and `"1"` are not.
    static func identical(_ a: Value, _ b: Value, encoded: [UInt8]?) -> Bool {
        if let encoded, let e = KeyCodec.encode(a) { return e == encoded }
        return a == b
    }

    /// Numbers and strings compare within their own type; the key tag tells the type.
    static func sameType(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard let x = a.first, let y = b.first else { return false }
        return x == y && (x == KeyCodec.numberTag || x == KeyCodec.stringTag)
    }

    /// A scalar converted to text as JavaScript's `String(x)` does; nil for null and containers.
    package static func text(of value: Value) -> [UInt8]? {
        switch value {
        case .string(let s): Array(s.utf8)
        case .int(let i): Array(String(i).utf8)
        case .double(let d): Array(JSON.numberText(d).utf8)
        case .bool(let b): Array((b ? "true" : "false").utf8)
        case .null, .array, .object: nil
        }
    }

    static func bytes(_ haystack: [UInt8], contain needle: [UInt8]) -> Bool {
        if needle.isEmpty { return true }
        guard haystack.count >= needle.count else { return false }
        let first = needle[0]
        var i = 0
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == first {
                var j = 1
                while j < needle.count && haystack[i + j] == needle[j] { j += 1 }
                if j == needle.count { return true }
            }
            i += 1
        }
        return false
    }
}

/// A filter prepared for matching: conditions become `ConditionMatcher`s; in an `or`, the
/// `equals` conditions on one attribute become one `ValueSet` lookup, and so do the
/// `not_equal` conditions on one attribute in an `and` (see `ValueSet`).
package indirect enum FilterMatcher: Sendable {
    case condition(ConditionMatcher)
    case and([FilterMatcher])
    case or([FilterMatcher])
    /// Some of the `equals` conditions of one attribute match (an `or` of them).
    case equalsAny(ValueSet)
    /// None of the `not_equal` values of one attribute is the record's (an `and` of them).
    case equalsNone(ValueSet)

    package init(_ filter: Filter) {
        switch filter {
        case .condition(let c): self = .condition(ConditionMatcher(c))
        case .and(let fs): self = .and(Self.grouping(fs, .notEqual, as: FilterMatcher.equalsNone))
        case .or(let fs): self = .or(Self.grouping(fs, .equals, as: FilterMatcher.equalsAny))
        }
    }

    /// The children's matchers, the conditions of `comparator` on one attribute (at least
    /// `ValueSet.threshold` of them) gathered into one `ValueSet` matcher each. Order within
    /// a group does not change an `and`/`or` of booleans.
    private static func grouping(_ fs: [Filter], _ comparator: Comparator,
                                 as make: (ValueSet) -> FilterMatcher) -> [FilterMatcher] {
        var counts: [String: Int] = [:]
        for case .condition(let c) in fs where c.comparator == comparator { counts[c.attribute, default: 0] += 1 }
        guard counts.values.contains(where: { $0 >= ValueSet.threshold }) else { return fs.map(FilterMatcher.init) }
        var groups: [String: [ConditionMatcher]] = [:]
        var order: [String] = []
        var matchers: [FilterMatcher] = []
        for f in fs {
            if case .condition(let c) = f, c.comparator == comparator, counts[c.attribute]! >= ValueSet.threshold {
                if groups[c.attribute] == nil { order.append(c.attribute) }
                groups[c.attribute, default: []].append(ConditionMatcher(c))
            } else {
                matchers.append(FilterMatcher(f))
            }
        }
        return order.map { make(ValueSet(attribute: $0, groups[$0]!)) } + matchers
    }

    /// Whether the encoded record matches.
    /// - Throws: `LyreError.internalError` for malformed record bytes.
    package func matches(record: UnsafeRawBufferPointer) throws -> Bool {
        switch self {
        case .condition(let m):
            return m.matches(try RecordCodec.value(of: m.condition.attribute, in: record))
        case .and(let ms):
            for m in ms where try !m.matches(record: record) { return false }
            return true
        case .or(let ms):
            for m in ms where try m.matches(record: record) { return true }
            return false
        case .equalsAny(let set):
            guard let value = try RecordCodec.value(of: set.attribute, in: record) else { return false }
            if set.containsIdentical(value) { return true }
            if case .array(let elements) = value { return elements.contains(where: set.containsIdentical) }
            return false
        case .equalsNone(let set):
            guard let value = try RecordCodec.value(of: set.attribute, in: record) else { return true }
            return !set.containsIdentical(value)
        }
    }
}

/// The values of many `equals` (or `not_equal`) conditions on one attribute, hashed by their
/// key encoding: a record is checked with one lookup instead of one comparison per condition
/// (an `or` of 10,000 `equals`, as SQL's `IN` lists become, re-checked 20,000 candidates
/// for over 30 s). Identity is `ConditionMatcher.identical`'s, so `1` and `1.0` are one
/// value and `1` and `"1"` two.
package struct ValueSet: Sendable {
    /// Groups smaller than this keep their conditions (a short walk is as fast).
    static let threshold = 8

    let attribute: String
    /// Key encodings of the values that have one.
    let keys: Set<[UInt8]>
    /// The conditions whose value has no key encoding (compared with `==`).
    let unencodable: [ConditionMatcher]
    /// Every condition, for a record value without a key encoding.
    let all: [ConditionMatcher]

    init(attribute: String, _ matchers: [ConditionMatcher]) {
        self.attribute = attribute
        keys = Set(matchers.compactMap(\.lower))
        unencodable = matchers.filter { $0.lower == nil }
        all = matchers
    }

    /// Whether some condition's value is identical to `value` (as `ConditionMatcher.identical`).
    func containsIdentical(_ value: Value) -> Bool {
        guard let encoded = KeyCodec.encode(value) else {
            return all.contains { ConditionMatcher.identical(value, $0.condition.value, encoded: $0.lower) }
        }
        return keys.contains(encoded) || unencodable.contains { $0.condition.value == value }
    }
}
