package import LyreCore

/// The layout of a table's index DBI: one plain (not DUPSORT) entry per indexed value of
/// each record.
///
/// ```
/// entry key  := value key · primary key        (the primary key's KeyCodec encoding)
/// value key  := attribute id (2 bytes, big-endian) · value (KeyCodec.encodeDelimited, cut)
/// entry data := empty                              when the value is whole (not cut)
///             | primary-key length (2 bytes, big-endian)   when it was cut
/// ```
///
/// An uncut value's delimited encoding tells where it ends (`KeyCodec.delimitedLength`), so its
/// entries store no data: 2 bytes less per entry (issue 18, bytes per record). A cut value has
/// no end marker, so its entries keep the primary key's length. Entries written before
/// (every one with the length) read the same way.
///
/// The value's encoding is self-delimiting (a string's end is `00`, a `00` inside it is
/// `00 FF`) and a primary key's first byte (its type tag) is below `FF`, so entries sort by
/// (attribute, value, primary key) and the entries of one value are contiguous and in
/// primary-key order; the data tells where the primary key starts. Why not a DUPSORT DBI keyed by value with the primary keys
/// as duplicates: LMDB keeps each value's duplicates in a sub-tree whose root lives in the
/// main tree's leaf, so adding one record to a frequent value dirtied two pages (the
/// sub-tree's leaf and the main leaf) where this layout dirties one — a group commit of
/// single-record inserts wrote almost twice the pages (docs/architecture.md, "Indexes").
///
/// Array values are indexed once per distinct element; objects are not indexed. A value
/// whose encoding is longer than `maximumValueLength` is stored under its cut prefix, so a
/// lookup of such a value must re-check candidates against the records (`isTruncated`).
/// The cut is the same for every entry, so a scan bound cut the same way finds them all.
package enum TableIndex {
    /// Longest value encoding kept whole in a value key.
    package static let maximumValueLength = 160
    /// Length of a value key whose value was cut.
    package static let maximumValueKeyLength = 2 + maximumValueLength
    /// Longest primary-key encoding: an entry key (value key · primary key) must fit LMDB's
    /// key limit.
    package static let maximumPrimaryKeyLength = KeyCodec.maximumKeySize - maximumValueKeyLength

    /// The two-byte prefix of every index entry of `attribute`.
    @inline(__always)
    package static func prefix(_ attribute: UInt16) -> [UInt8] {
        [UInt8(attribute >> 8), UInt8(attribute & 0xFF)]
    }

    /// Appends the value key of one scalar value; returns false (appending nothing) when
    /// the value is not indexable.
    /// With `cut` false the value is kept whole (for ordering records by their full values).
    @discardableResult
    static func appendValueKey(_ attribute: UInt16, _ value: Value, cut: Bool = true, into out: inout [UInt8]) -> Bool {
        let start = out.count
        out.append(UInt8(attribute >> 8))
        out.append(UInt8(attribute & 0xFF))
        guard KeyCodec.encodeDelimited(value, into: &out) else {
            out.removeSubrange(start...)
            return false
        }
        if cut && out.count - start > maximumValueKeyLength { out.removeSubrange((start + maximumValueKeyLength)...) }
        return true
    }

    /// The value key for one scalar value (whole with `cut` false), or `nil` when the value
    /// is not indexable.
    package static func key(_ attribute: UInt16, _ value: Value, cut: Bool = true) -> [UInt8]? {
        var out: [UInt8] = []
        return appendValueKey(attribute, value, cut: cut, into: &out) ? out : nil
    }

    /// Whether a value key may have been cut (its value is at least the limit long).
    package static func isTruncated(_ valueKey: UnsafeRawBufferPointer) -> Bool {
        valueKey.count >= maximumValueKeyLength
    }

    /// The value of an uncut value key.
    package static func value(of valueKey: UnsafeRawBufferPointer) throws -> Value {
        try KeyCodec.decodeDelimited(UnsafeRawBufferPointer(rebasing: valueKey[2...]))
    }

    /// Every value key one attribute value contributes (per element for arrays, deduplicated).
    package static func keys(_ attribute: UInt16, _ value: Value) -> [[UInt8]] {
        switch value {
        case .object:
            return []
        case .array(let elements):
            var keys: [[UInt8]] = []
            var seen = Set<[UInt8]>()
            for element in elements {
                if case .array = element { continue }
                guard let k = key(attribute, element) else { continue }
                // Short arrays: a linear check costs less than hashing every key.
                if elements.count <= 16 ? !keys.contains(k) : seen.insert(k).inserted { keys.append(k) }
            }
            return keys
        default:
            return key(attribute, value).map { [$0] } ?? []
        }
    }

    /// The entry data recording the primary key's length.
    @inline(__always)
    static func entryData(primaryKeyLength: Int) -> (UInt8, UInt8) {
        (UInt8(primaryKeyLength >> 8), UInt8(primaryKeyLength & 0xFF))
    }

    /// Whether an entry of `entryLength` bytes whose primary key is `primaryKeyLength` bytes
    /// stores the length as its data: only when its value key was cut.
    @inline(__always)
    static func storesPrimaryKeyLength(entryLength: Int, primaryKeyLength: Int) -> Bool {
        entryLength - primaryKeyLength >= maximumValueKeyLength
    }

    /// Splits an entry into its value key and primary key.
    @inline(__always)
    package static func split(key: UnsafeRawBufferPointer, data: UnsafeRawBufferPointer)
        -> (valueKey: UnsafeRawBufferPointer, primaryKey: UnsafeRawBufferPointer) {
        let cut: Int
        if data.count >= 2 {
            cut = max(0, key.count - (Int(data[0]) << 8 | Int(data[1])))
        } else if key.count > 2, let length = KeyCodec.delimitedLength(UnsafeRawBufferPointer(rebasing: key[2...])) {
            cut = 2 + length
        } else {
            cut = key.count
        }
        return (UnsafeRawBufferPointer(rebasing: key[..<cut]), UnsafeRawBufferPointer(rebasing: key[cut...]))
    }
}
