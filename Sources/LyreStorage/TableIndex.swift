package import LyreCore

/// The layout of a table's index DBI: key = 2-byte big-endian attribute id followed by the
/// attribute value's `KeyCodec` encoding (cut at LMDB's key limit), duplicates = the
/// `KeyCodec` encodings of the primary keys of the records holding that value.
///
/// Array values are indexed once per distinct element; objects are not indexed. A value
/// whose encoding is longer than the limit is stored under its cut prefix, so a lookup of
/// such a value must re-check candidates against the records (`isTruncated`).
package enum TableIndex {
    /// Largest encoded value kept whole in an index key (LMDB's 511 minus the id prefix).
    package static let maximumValueLength = KeyCodec.maximumKeySize - 2

    /// The two-byte prefix of every index entry of `attribute`.
    @inline(__always)
    package static func prefix(_ attribute: UInt16) -> [UInt8] {
        [UInt8(attribute >> 8), UInt8(attribute & 0xFF)]
    }

    /// The index key for one scalar value, or `nil` when the value is not indexable.
    package static func key(_ attribute: UInt16, _ value: Value) -> [UInt8]? {
        var out = prefix(attribute)
        guard KeyCodec.encode(value, into: &out) else { return nil }
        if out.count > KeyCodec.maximumKeySize { out.removeLast(out.count - KeyCodec.maximumKeySize) }
        return out
    }

    /// Whether an index key was cut (its value is longer than the limit).
    package static func isTruncated(_ key: UnsafeRawBufferPointer) -> Bool {
        key.count >= KeyCodec.maximumKeySize
    }

    /// Every index key one attribute value contributes (per element for arrays, deduplicated).
    package static func keys(_ attribute: UInt16, _ value: Value) -> [[UInt8]] {
        switch value {
        case .object:
            return []
        case .array(let elements):
            var seen = Set<[UInt8]>()
            var keys: [[UInt8]] = []
            for element in elements {
                if case .array = element { continue }
                if let k = key(attribute, element), seen.insert(k).inserted { keys.append(k) }
            }
            return keys
        default:
            return key(attribute, value).map { [$0] } ?? []
        }
    }
}
