import LyreCore

/// How one `JOIN` is executed.
package enum JoinStrategy: Sendable {
    /// Build a hash table on the right table's key expressions, probe with the left row's
    /// (equality conjuncts of `ON`); `residual` is the rest of `ON`. With `probe`, the right
    /// rows may be fetched through an index instead of read whole (``IndexProbe``).
    case hash(leftKeys: [Expression], rightKeys: [Expression], residual: [Expression], probe: IndexProbe?)
    /// Evaluate `ON` for every pair (or none for `CROSS JOIN`).
    case nestedLoop(condition: [Expression])
}

/// A hash key of the joined table that is a plain column: the join may fetch only the right
/// records whose column equals one of the left rows' key values (one index seek per distinct
/// value, through `QueryPlanner`) instead of reading the table whole. Used for `INNER` and
/// `LEFT` joins (`RIGHT`/`FULL` need every right row) when no left key is null (a null key
/// matches null and missing values, which no index seek finds, §5.5).
package struct IndexProbe: Sendable {
    /// Position of the key among the hash keys.
    package var keyIndex: Int
    /// The joined table's attribute.
    package var attribute: String
}
