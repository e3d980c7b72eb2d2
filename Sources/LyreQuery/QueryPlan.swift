package import LyreCore

/// A set of keys of one attribute's index (or of the records DBI for the primary key),
/// described by values so plans read well in tests and logs.
package enum KeySpan: Sendable, Hashable, CustomStringConvertible {
    /// Every key.
    case all
    /// The key of one value.
    case point(Value)
    /// Strings starting with the text.
    case prefix(String)
    /// Values of one type (`tag`: `KeyCodec.numberTag` or `.stringTag`) between the bounds;
    /// a missing bound is that type's end.
    case range(lower: Value?, lowerInclusive: Bool, upper: Value?, upperInclusive: Bool, tag: UInt8)

    package var description: String {
        switch self {
        case .all: return "all"
        case .point(let v): return "= " + JSON.string(v)
        case .prefix(let p): return "prefix " + JSON.string(.string(p))
        case .range(let lo, let loIn, let hi, let hiIn, let tag):
            let type = tag == KeyCodec.numberTag ? "numbers" : "strings"
            let l = lo.map { (loIn ? "[" : "(") + JSON.string($0) } ?? "(" + type
            let h = hi.map { JSON.string($0) + (hiIn ? "]" : ")") } ?? type + ")"
            return l + ", " + h
        }
    }
}

/// Where a plan's candidate records come from.
package indirect enum AccessPath: Sendable, Hashable, CustomStringConvertible {
    /// No record can match (e.g. `between` across types).
    case nothing
    /// The records DBI, keyed by primary key: `.all` is a full scan in key order.
    case records(KeySpan)
    /// One attribute's entries in the table's index DBI.
    case index(attribute: String, KeySpan)
    /// Every key of one attribute's index (or of the records DBI for the primary key),
    /// decoded and matched against the condition: for `contains` / `ends_with`.
    case keyScan(attribute: String, Condition)
    /// Several paths, deduplicated by primary key (`or`).
    case union([AccessPath])

    package var description: String {
        switch self {
        case .nothing: "nothing"
        case .records(let span): "records(\(span))"
        case .index(let attribute, let span): "index(\(attribute) \(span))"
        case .keyScan(_, let condition): "keyScan(\(condition))"
        case .union(let paths): "union(" + paths.map(\.description).joined(separator: " | ") + ")"
        }
    }
}

/// How a query runs: an inspectable value made by `QueryPlanner`, run by `QueryExecutor`.
///
/// Candidates come from `access`; every candidate is checked against `filter` on its
/// record (so indexes only ever narrow). When `streamed`, candidates arrive in result
/// order and the run stops after `offset + limit` results; otherwise the primary keys
/// and sort keys of the matches are collected and sorted (never the records).
package struct QueryPlan: Sendable, CustomStringConvertible {
    package var access: AccessPath
    package var filter: Filter?
    /// Resolved order before the final primary-key tie-break.
    package var order: [SortKey]
    package var primaryKeyDescending: Bool
    /// Candidates arrive in result order (from the records DBI, or from the index of `order[0]`).
    package var streamed: Bool
    /// With a streamed attribute order: after the index, records lacking the attribute follow.
    package var tail: Bool
    /// Estimated candidate count (index cardinalities).
    package var estimate: Int
    package var offset: Int
    package var limit: Int?

    package init(access: AccessPath, filter: Filter?, order: [SortKey], primaryKeyDescending: Bool, streamed: Bool,
                 tail: Bool, estimate: Int, offset: Int, limit: Int?) {
        self.access = access
        self.filter = filter
        self.order = order
        self.primaryKeyDescending = primaryKeyDescending
        self.streamed = streamed
        self.tail = tail
        self.estimate = estimate
        self.offset = offset
        self.limit = limit
    }

    /// Every record in primary-key order, unfiltered.
    package static let everything = QueryPlan(access: .records(.all), filter: nil, order: [], primaryKeyDescending: false,
                                              streamed: true, tail: false, estimate: 0, offset: 0, limit: nil)

    package var description: String {
        var parts = [access.description, "~\(estimate)"]
        if let filter { parts.append("filter \(filter)") }
        let orderText = order.map(\.description) + ["primary key" + (primaryKeyDescending ? " desc" : " asc")]
        parts.append("order " + orderText.joined(separator: ", "))
        parts.append(streamed ? (tail ? "streamed+tail" : "streamed") : "collected")
        if offset > 0 { parts.append("offset \(offset)") }
        if let limit { parts.append("limit \(limit)") }
        return parts.joined(separator: "; ")
    }
}
