package import LyreStorage

/// Runs a plan that reads the records DBI in primary-key order a piece at a time, each
/// piece in its own (short) read transaction, resuming after the last key visited: for
/// callers that must not hold one transaction for a whole table (exports, which wait on
/// the network between pieces). Offset and limit are the caller's to apply.
///
/// ```swift
/// var position = ResumableScan.Position.start
/// while position != .end {
///     position = try db.read { txn in
///         try ResumableScan.run(plan, table: table, in: txn, from: position, visits: 10_000) { key, record in
///             write(record); return out.count < budget
///         }
///     }
/// }
/// ```
package enum ResumableScan {
    /// Where the next piece starts.
    package enum Position: Equatable, Sendable {
        case start
        /// After this primary key (before it, for a descending plan).
        case after([UInt8])
        case end
    }

    /// Whether `plan` can run in pieces: its results stream from the records DBI in
    /// primary-key order (no attribute order), so a key is a complete resume point.
    package static func supports(_ plan: QueryPlan) -> Bool {
        guard plan.streamed, plan.order.isEmpty, case .records = plan.access else { return false }
        return true
    }

    /// Visits at most `visits` records of `plan` from `position`, handing those matching the
    /// plan's filter to `body` (which returns false to end the piece early), and returns the
    /// position after the last record visited (`.end` once the span is exhausted).
    /// - Precondition: `supports(plan)`.
    /// - Throws: storage failures and malformed records, or what `body` throws.
    package static func run(_ plan: QueryPlan, table: TableDefinition, in txn: ReadTransaction, from position: Position,
                            visits: Int, _ body: (_ key: UnsafeRawBufferPointer, _ record: UnsafeRawBufferPointer) throws -> Bool) throws -> Position {
        guard case .records(let span) = plan.access, supports(plan), position != .end,
              var range = KeyRange(span, .records) else { return .end }
        let descending = plan.primaryKeyDescending
        if case .after(let last) = position {
            if descending {
                range.upper = last
                range.upperInclusive = false
            } else {
                range.lower = last
                range.lowerInclusive = false
            }
        }
        let filter = plan.filter.map(FilterMatcher.init)
        var visited = 0
        var last: [UInt8]?
        var exhausted = true
        try txn.withCursor(table.records) { cursor in
            try cursor.visit(range, descending: descending) { key, record in
                visited += 1
                last = Array(key)
                if try filter?.matches(record: record) ?? true {
                    guard try body(key, record) else {
                        exhausted = false
                        return false
                    }
                }
                if visited >= visits {
                    exhausted = false
                    return false
                }
                return true
            }
        }
        guard !exhausted, let last else { return .end }
        return .after(last)
    }
}
