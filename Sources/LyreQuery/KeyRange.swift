import LyreCore
import LyreStorage

/// A span as raw key bytes: keys `k` with `lower ≤ k` (`<` when exclusive) and `k < upper`
/// (`≤` when inclusive); `upper == nil` means no end.
struct KeyRange {
    var lower: [UInt8]
    var lowerInclusive: Bool
    var upper: [UInt8]?
    var upperInclusive: Bool

    /// The byte range of `span` under `prefix` (the 2-byte attribute id, or empty for the
    /// records DBI). With `truncate` (index keys), bounds longer than LMDB's key limit are
    /// cut as stored keys are, and become inclusive so cut keys are kept for the re-check.
    /// Returns nil for a span no key can fall in.
    init?(_ span: KeySpan, prefix: [UInt8], truncate: Bool) {
        func bound(_ value: Value) -> (bytes: [UInt8], cut: Bool)? {
            var bytes = prefix
            guard KeyCodec.encode(value, into: &bytes) else { return nil }
            if truncate && bytes.count > KeyCodec.maximumKeySize {
                bytes.removeLast(bytes.count - KeyCodec.maximumKeySize)
                return (bytes, true)
            }
            return (bytes, false)
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
            var bytes = prefix + KeyCodec.encodeStringPrefix(text)
            if truncate && bytes.count > KeyCodec.maximumKeySize {
                bytes.removeLast(bytes.count - KeyCodec.maximumKeySize)
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
    /// Visits the distinct keys of `range` in key order (or reverse), each with its
    /// duplicates in ascending order (or reverse with `descendingDuplicates`), until
    /// `body` returns false. For a plain DBI each key has one "duplicate", its value.
    /// - Parameter duplicates: whether the DBI is DUPSORT (else the value is the one duplicate).
    /// - Parameter chunk: with ascending duplicates, a key's duplicates may be handed to
    ///   `body` in several calls of at most this many, so a caller that stops early (a
    ///   limit) never gathers a large group of equal keys.
    func visit(_ range: KeyRange, descending: Bool, duplicates: Bool, descendingDuplicates: Bool,
               chunk: Int = .max,
               _ body: (_ key: UnsafeRawBufferPointer, _ values: [[UInt8]]) throws -> Bool) throws {
        /// Hands the entry's values (its key's duplicates) to `body`; false when it said stop.
        func deliver(_ entry: Cursor.Entry, key: [UInt8]) throws -> Bool {
            var out: [[UInt8]] = [Array(entry.value)]
            guard duplicates else { return try key.withUnsafeBytes { try body($0, out) } }
            if descendingDuplicates || chunk == .max {
                while let d = try nextDuplicate() { out.append(Array(d.value)) }
                if descendingDuplicates { out.reverse() }
                return try key.withUnsafeBytes { try body($0, out) }
            }
            while true {
                let next = try nextDuplicate()
                if let next { out.append(Array(next.value)) }
                if !out.isEmpty && (out.count >= chunk || next == nil) {
                    guard try key.withUnsafeBytes({ try body($0, out) }) else { return false }
                    out.removeAll(keepingCapacity: true)
                }
                if next == nil { return true }
            }
        }
        if !descending {
            var entry = try start(range)
            while let e = entry, range.belowUpper(e.key) {
                if range.aboveLower(e.key) {
                    guard try deliver(e, key: Array(e.key)) else { return }
                }
                entry = try nextKey()
            }
            return
        }
        var entry: Cursor.Entry?
        if let upper = range.upper {
            entry = try seek(atOrAfter: upper)
            if let e = entry {
                if !(range.upperInclusive && e.key.elementsEqual(upper)) { entry = try previousKey() }
            } else {
                entry = try last()
            }
        } else {
            entry = try last()
        }
        while let e = entry, range.aboveLower(e.key) {
            let key = Array(e.key)
            // Land on the first duplicate, collect forwards, then step to the previous key.
            guard let first = try seek(exactly: key) else { return }
            if range.belowUpper(first.key) {
                guard try deliver(first, key: key) else { return }
            }
            _ = try seek(exactly: key)
            entry = try previousKey()
        }
    }

    /// The first entry at or after the range's lower bound (LMDB refuses an empty key).
    private func start(_ range: KeyRange) throws -> Cursor.Entry? {
        range.lower.isEmpty ? try first() : try seek(atOrAfter: range.lower)
    }

    /// Number of entries in `range`, counting duplicates, walking at most `keyCap` keys;
    /// beyond that the count is extrapolated (an estimate for planning).
    func estimate(_ range: KeyRange, duplicates: Bool, keyCap: Int = 256) throws -> Int {
        var total = 0
        var keys = 0
        var entry = try start(range)
        while let e = entry, range.belowUpper(e.key) {
            if range.aboveLower(e.key) {
                total += duplicates ? try duplicateCount() : 1
                keys += 1
                if keys >= keyCap { return total * 8 }
            }
            entry = try nextKey()
        }
        return total
    }
}
