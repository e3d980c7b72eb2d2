package import LyreCore
package import LyreQuery

extension AccessPath {
    /// The path as `EXPLAIN` shows it: `full_scan`, `primary_key_lookup` (`keys`),
    /// `primary_key_range`, `index_equals` (`attribute`, `values`), `index_range` (`from`/`after`,
    /// `to`/`before`), `index_prefix` (`prefixes`), `key_scan`, `union` (`paths`), `nothing`.
    /// A union of points (or prefixes) of one attribute reads as one entry with several values.
    package var explainJSON: Value {
        var o = JSONObject()
        switch self {
        case .nothing:
            o.appendUnchecked("type", "nothing")
        case .records(.all):
            o.appendUnchecked("type", "full_scan")
        case .records(.point(let v)):
            o.appendUnchecked("type", "primary_key_lookup")
            o.appendUnchecked("keys", .array([v]))
        case .records(let span):
            o.appendUnchecked("type", "primary_key_range")
            Self.describe(span, into: &o)
        case .index(let attribute, .point(let v)):
            o.appendUnchecked("type", "index_equals")
            o.appendUnchecked("attribute", .string(attribute))
            o.appendUnchecked("values", .array([v]))
        case .index(let attribute, .prefix(let p)):
            o.appendUnchecked("type", "index_prefix")
            o.appendUnchecked("attribute", .string(attribute))
            o.appendUnchecked("prefixes", .array([.string(p)]))
        case .index(let attribute, let span):
            o.appendUnchecked("type", "index_range")
            o.appendUnchecked("attribute", .string(attribute))
            Self.describe(span, into: &o)
        case .keyScan(let attribute, let condition):
            o.appendUnchecked("type", "key_scan")
            o.appendUnchecked("attribute", .string(attribute))
            o.appendUnchecked("condition", .string(condition.description))
        case .union(let paths):
            let parts = paths.map(\.explainJSON)
            let objects = parts.compactMap(\.objectValue)
            let first = objects.first
            let type = first?["type"]
            let sameKind = objects.count == parts.count
                && objects.allSatisfy { $0["type"] == type && $0["attribute"] == first?["attribute"] }
            let listKey: String? = switch type {
            case "primary_key_lookup"?: "keys"
            case "index_equals"?: "values"
            case "index_prefix"?: "prefixes"
            default: nil
            }
            if sameKind, let listKey, let first {
                o = first
                o[listKey] = .array(objects.flatMap { $0[listKey]?.arrayValue ?? [] })
            } else {
                o.appendUnchecked("type", "union")
                o.appendUnchecked("paths", .array(parts))
            }
        }
        return .object(o)
    }

    private static func describe(_ span: KeySpan, into o: inout JSONObject) {
        switch span {
        case .range(let lo, let loIn, let hi, let hiIn, _):
            if let lo { o.appendUnchecked(loIn ? "from" : "after", lo) }
            if let hi { o.appendUnchecked(hiIn ? "to" : "before", hi) }
        case .prefix(let p):
            o.appendUnchecked("prefix", .string(p))
        case .point(let v):
            o.appendUnchecked("values", .array([v]))
        case .all:
            break
        }
    }
}
