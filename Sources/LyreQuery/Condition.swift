package import LyreCore

/// How a condition compares a record's attribute value with the condition's value
/// (nosql.md §7.4). Raw values are Harper's names.
package enum Comparator: String, Sendable, CaseIterable {
    case equals
    case contains
    case startsWith = "starts_with"
    case endsWith = "ends_with"
    case greaterThan = "greater_than"
    case greaterThanEqual = "greater_than_equal"
    case lessThan = "less_than"
    case lessThanEqual = "less_than_equal"
    case between
    case notEqual = "not_equal"

    /// Comparators whose matches form one contiguous run of index keys (a point or a range).
    /// Results without an explicit sort are ordered by the first condition using one of these.
    package var usesIndexRange: Bool {
        switch self {
        case .equals, .startsWith, .greaterThan, .greaterThanEqual, .lessThan, .lessThanEqual, .between: true
        case .contains, .endsWith, .notEqual: false
        }
    }
}

/// One typed condition on one attribute: `age between [5, 8]`.
///
/// Values are already validated by the caller: range comparators hold a string or a
/// number, `between` an array of two of them, text comparators a string or a number.
package struct Condition: Sendable, Hashable, CustomStringConvertible {
    package var attribute: String
    package var comparator: Comparator
    package var value: Value

    package init(_ attribute: String, _ comparator: Comparator, _ value: Value) {
        self.attribute = attribute
        self.comparator = comparator
        self.value = value
    }

    package var description: String { "\(attribute) \(comparator.rawValue) \(JSON.string(value))" }
}

/// A boolean combination of conditions. Groups nest to any depth.
package indirect enum Filter: Sendable, Hashable, CustomStringConvertible {
    case condition(Condition)
    case and([Filter])
    case or([Filter])

    package var description: String {
        switch self {
        case .condition(let c): c.description
        case .and(let fs): "(" + fs.map(\.description).joined(separator: " and ") + ")"
        case .or(let fs): "(" + fs.map(\.description).joined(separator: " or ") + ")"
        }
    }

    /// Every attribute the filter reads.
    package var attributes: [String] {
        switch self {
        case .condition(let c): [c.attribute]
        case .and(let fs), .or(let fs): fs.flatMap(\.attributes)
        }
    }
}

/// One level of ordering: by `attribute`, ascending or descending.
///
/// `restrict` narrows which elements of an array value give the record its place: a
/// record found by `tags starts_with "b"` sorts by its first tag starting with `b`,
/// as an index scan meets it. Without it the smallest (ascending) or largest
/// (descending) element counts. Records lacking the attribute (or holding only
/// unindexable values) come after all others in either direction.
package struct SortKey: Sendable, Hashable, CustomStringConvertible {
    package var attribute: String
    package var descending: Bool
    package var restrict: Condition?

    package init(_ attribute: String, descending: Bool = false, restrict: Condition? = nil) {
        self.attribute = attribute
        self.descending = descending
        self.restrict = restrict
    }

    package var description: String {
        attribute + (descending ? " desc" : " asc") + (restrict.map { " within \($0)" } ?? "")
    }
}

/// A search over one table: which records (`filter`), in which order, which page.
///
/// ```swift
/// var query = Query(filter: .condition(Condition("age", .between, [5, 8])))
/// query.limit = 10
/// let plan = try QueryPlanner.plan(query, table: table, in: txn)
/// ```
package struct Query: Sendable, Hashable {
    /// `nil` selects every record.
    package var filter: Filter?
    /// Explicit order. Empty: the planner uses the first range-capable condition (§7.4).
    package var sort: [SortKey]
    /// Whether the implicit order is used (search_by_conditions without `sort`).
    package var implicitOrder: Bool
    /// Final tie-break by primary key descending (`reverse` of search_by_value).
    package var primaryKeyDescending: Bool
    package var offset: Int
    package var limit: Int?

    package init(filter: Filter?, sort: [SortKey] = [], implicitOrder: Bool = true,
                 primaryKeyDescending: Bool = false, offset: Int = 0, limit: Int? = nil) {
        self.filter = filter
        self.sort = sort
        self.implicitOrder = implicitOrder
        self.primaryKeyDescending = primaryKeyDescending
        self.offset = offset
        self.limit = limit
    }
}
