import LyreCore
import LyreStorage

/// Which keys a span is turned into: primary keys of the records DBI, or the value keys
/// of one attribute in the index DBI (`TableIndex`).
enum KeyLayout {
    case records
    case index(attribute: UInt16)
}

/// A span as raw key bytes: keys `k` with `lower ≤ k` (`<` when exclusive) and `k < upper`
/// (`≤` when inclusive); `upper == nil` means no end. For the index the keys compared are
/// value keys (an entry's key without its primary key).
struct KeyRange {
    var lower: [UInt8]
    var lowerInclusive: Bool
    var upper: [UInt8]?
    var upperInclusive: Bool

    /// The byte range of `span` in `layout`. In the index, bounds longer than a value key
    /// are cut as stored value keys are, and become inclusive so cut keys are kept for the
    /// re-check. Returns nil for a span no key can fall in.
    init?(_ span: KeySpan, _ layout: KeyLayout) {
        let prefix: [UInt8]
        switch layout {
        case .records: prefix = []
        case .index(let attribute): prefix = TableIndex.prefix(attribute)
        }
        func bound(_ value: Value) -> (bytes: [UInt8], cut: Bool)? {
            var bytes = prefix
            switch layout {
            case .records:
                guard KeyCodec.encode(value, into: &bytes) else { return nil }
                return (bytes, false)
            case .index:
                guard KeyCodec.encodeDelimited(value, into: &bytes) else { return nil }
                return Self.cut(bytes)
            }
        }
        switch span {
        case .all:
            lower = prefix
            lowerInclusive = true
            upper = prefix.isEmpty ? nil : Self.successor(prefix)
            upperInclusive = false
        case .point(let value):
            guard let b = bound(value) else { return nil }
            lower = b.bytes
            lowerInclusive = true
            upper = b.bytes
            upperInclusive = true
        case .prefix(let text):
            let bytes: [UInt8]
            switch layout {
            case .records: bytes = KeyCodec.encodeStringPrefix(text)
            case .index: bytes = Self.cut(prefix + KeyCodec.encodeDelimitedStringPrefix(text)).bytes
            }
            lower = bytes
            lowerInclusive = true
            upper = Self.successor(bytes)
            upperInclusive = false
        case .range(let lo, let loIn, let hi, let hiIn, let tag):
            if let lo {
                guard let b = bound(lo) else { return nil }
                lower = b.bytes
                lowerInclusive = loIn || b.cut
            } else {
                lower = prefix + [tag]
                lowerInclusive = true
            }
            if let hi {
                guard let b = bound(hi) else { return nil }
                upper = b.bytes
                upperInclusive = hiIn || b.cut
            } else {
                upper = prefix + [tag &+ 1]
                upperInclusive = false
            }
        }
        if let upper {
            if upper.lexicographicallyPrecedes(lower) { return nil }
            if upper == lower && !(lowerInclusive && upperInclusive) { return nil }
        }
    }

    /// A value key cut as `TableIndex` stores it, and whether it was cut.
    private static func cut(_ bytes: [UInt8]) -> (bytes: [UInt8], cut: Bool) {
        guard bytes.count > TableIndex.maximumValueKeyLength else { return (bytes, false) }
        return (Array(bytes.prefix(TableIndex.maximumValueKeyLength)), true)
    }

    /// The first index entry key after every entry of `valueKey`. Not `successor`: a value
    /// key may begin a greater one (`"a"` encodes as `05 61 00`, `"a\0"` as `05 61 00 FF 00`),
    /// but a primary key never starts with `FF`, so the entries of `valueKey` end below
    /// `valueKey · FF` and those of every greater value key begin at or above it.
    static func pastEntries(of valueKey: [UInt8]) -> [UInt8] {
        valueKey + [0xFF]
    }

    /// The smallest byte string greater than every string starting with `bytes`.
    static func successor(_ bytes: [UInt8]) -> [UInt8]? {
        var b = bytes
        while let last = b.last, last == 0xFF { b.removeLast() }
        guard !b.isEmpty else { return nil }
        b[b.count - 1] += 1
        return b
    }

    func aboveLower(_ key: UnsafeRawBufferPointer) -> Bool {
        let below = key.lexicographicallyPrecedes(lower)
        if below { return false }
        return lowerInclusive || !key.elementsEqual(lower)
    }

    func belowUpper(_ key: UnsafeRawBufferPointer) -> Bool {
        guard let upper else { return true }
        if key.lexicographicallyPrecedes(upper) { return true }
        return upperInclusive && key.elementsEqual(upper)
    }
}

extension Cursor {
    /// Visits the entries of a plain DBI (the records) whose keys are in `range`, in key
    /// order (or reverse), until `body` returns false.
    func visit(_ range: KeyRange, descending: Bool,
               _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool) throws {
        if !descending {
            var entry = range.lower.isEmpty ? try first() : try seek(atOrAfter: range.lower)
            while let e = entry, range.belowUpper(e.key) {
                if range.aboveLower(e.key) {
                    guard try body(e.key, e.value) else { return }
                }
                entry = try next()
            }
            return
        }
        var entry: Cursor.Entry?
        if let upper = range.upper {
            entry = try seek(atOrAfter: upper)
            if let e = entry {
                if !(range.upperInclusive && e.key.elementsEqual(upper)) { entry = try previous() }
            } else {
                entry = try last()
            }
        } else {
            entry = try last()
        }
        while let e = entry, range.aboveLower(e.key) {
            if range.belowUpper(e.key) {
                guard try body(e.key, e.value) else { return }
            }
            entry = try previous()
        }
    }

    /// Visits the value keys of `range` in an index DBI (`TableIndex`) in order (or reverse),
    /// each with the primary keys of its entries in ascending order (or descending with
    /// `descendingDuplicates`), until `body` returns false.
    /// - Parameter chunk: a value's primary keys may be handed to `body` in several calls of
    ///   at most this many, so a caller that stops early (a limit) never gathers a large
    ///   group of equal values. The group of a cut value key is always handed over whole.
    func visitIndex(_ range: KeyRange, descending: Bool, descendingDuplicates: Bool, chunk: Int = .max,
                    _ body: (_ valueKey: UnsafeRawBufferPointer, _ primaryKeys: [[UInt8]]) throws -> Bool) throws {
        /// Hands the primary keys of the value key at `entry` to `body`, walking forwards (or
        /// backwards) while the value key stays the same; with `reversed`, the whole group at
        /// once in the opposite order of the walk. Returns the entry after the group (or nil
        /// at the end), and whether `body` asked to go on.
        func deliverGroup(from entry: Cursor.Entry, backwards: Bool, reversed: Bool = false) throws
            -> (next: Cursor.Entry?, go: Bool) {
            let valueKey = Array(TableIndex.split(key: entry.key, data: entry.value).valueKey)
            // A cut value key is handed over whole too: its records are ordered by value.
            let chunk = reversed || valueKey.withUnsafeBytes(TableIndex.isTruncated) ? Int.max : chunk
            var primaryKeys: [[UInt8]] = []
            var current: Cursor.Entry? = entry
            while let c = current {
                let parts = TableIndex.split(key: c.key, data: c.value)
                guard parts.valueKey.elementsEqual(valueKey) else { break }
                primaryKeys.append(Array(parts.primaryKey))
                if primaryKeys.count >= chunk {
                    guard try valueKey.withUnsafeBytes({ try body($0, primaryKeys) }) else { return (nil, false) }
                    primaryKeys.removeAll(keepingCapacity: true)
                }
                current = backwards ? try previous() : try next()
            }
            if reversed { primaryKeys.reverse() }
            if !primaryKeys.isEmpty {
                guard try valueKey.withUnsafeBytes({ try body($0, primaryKeys) }) else { return (nil, false) }
            }
            return (current, true)
        }

        if !descending {
            // An exclusive lower bound is a whole value key: skip all of its entries at once.
            var entry = try seek(atOrAfter: range.lowerInclusive ? range.lower : KeyRange.pastEntries(of: range.lower))
            while let e = entry {
                let valueKey = TableIndex.split(key: e.key, data: e.value).valueKey
                guard range.belowUpper(valueKey) else { return }
                guard range.aboveLower(valueKey) else {
                    entry = try next()
                    continue
                }
                // Descending primary keys inside ascending values: each group reversed.
                let (next, go) = try deliverGroup(from: e, backwards: false, reversed: descendingDuplicates)
                guard go else { return }
                entry = next
            }
            return
        }
        // Descending: start at the last entry at or below the upper bound.
        var entry: Cursor.Entry?
        if let upper = range.upper {
            let end = range.upperInclusive ? KeyRange.pastEntries(of: upper) : upper
            if try seek(atOrAfter: end) != nil {
                entry = try previous()
            } else {
                entry = try last()
            }
        } else {
            entry = try last()
        }
        while let e = entry {
            let valueKey = Array(TableIndex.split(key: e.key, data: e.value).valueKey)
            guard valueKey.withUnsafeBytes({ range.aboveLower($0) }) else { return }
            guard valueKey.withUnsafeBytes({ range.belowUpper($0) }) else {
                entry = try previous()
                continue
            }
            if descendingDuplicates {
                let (next, go) = try deliverGroup(from: e, backwards: true)
                guard go else { return }
                entry = next
                continue
            }
            // Ascending primary keys: go to the value's first entry, deliver forwards, then
            // step to the entry before that value.
            guard let first = try seek(atOrAfter: valueKey) else { return }
            guard try deliverGroup(from: first, backwards: false).go else { return }
            _ = try seek(atOrAfter: valueKey)
            entry = try previous()
        }
    }

    /// Number of entries in `range` of an index DBI (or of the records with `index` false),
    /// walking at most `cap` entries; beyond that the count is extrapolated (an estimate
    /// for planning).
    func estimate(_ range: KeyRange, index: Bool, cap: Int = 1024) throws -> Int {
        var total = 0
        var entry = range.lower.isEmpty ? try first() : try seek(atOrAfter: range.lower)
        while let e = entry {
            let key = index ? TableIndex.split(key: e.key, data: e.value).valueKey : e.key
            guard range.belowUpper(key) else { break }
            if range.aboveLower(key) {
                total += 1
                if total >= cap { return total * 8 }
            }
            entry = try next()
        }
        return total
    }
}
