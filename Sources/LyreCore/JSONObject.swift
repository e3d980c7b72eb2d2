/// A JSON object that keeps its keys in insertion order.
///
/// Records are small (tens of keys), so entries live in one array and lookups
/// scan it: cheaper than hashing for the sizes Lyre sees, and order comes free.
/// Setting an existing key replaces its value in place; setting a new key appends.
public struct JSONObject: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public var key: String
        public var value: Value
        public init(key: String, value: Value) {
            self.key = key
            self.value = value
        }
    }

    public private(set) var entries: [Entry]

    public init() { entries = [] }

    public init(_ pairs: some Sequence<(String, Value)>) {
        entries = []
        for (key, value) in pairs { self[key] = value }
    }

    public init(entries: [Entry]) { self.entries = entries }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }
    public var keys: [String] { entries.map(\.key) }

    public func index(forKey key: String) -> Int? {
        entries.firstIndex { $0.key == key }
    }

    /// The value for `key`; assigning `nil` removes the key.
    public subscript(key: String) -> Value? {
        get {
            for entry in entries where entry.key == key { return entry.value }
            return nil
        }
        set {
            if let i = index(forKey: key) {
                if let newValue { entries[i].value = newValue } else { entries.remove(at: i) }
            } else if let newValue {
                entries.append(Entry(key: key, value: newValue))
            }
        }
    }

    /// Appends without checking for an existing key: for builders that know keys are unique.
    public mutating func appendUnchecked(_ key: String, _ value: Value) {
        entries.append(Entry(key: key, value: value))
    }

    public mutating func removeValue(forKey key: String) {
        self[key] = nil
    }

    public mutating func reserveCapacity(_ n: Int) { entries.reserveCapacity(n) }
}

extension JSONObject: Sequence {
    public func makeIterator() -> IndexingIterator<[Entry]> { entries.makeIterator() }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, Value)...) {
        self.init(elements)
    }
}
