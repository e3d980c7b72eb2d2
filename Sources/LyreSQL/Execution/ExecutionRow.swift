package import LyreCore

/// What rows share during one statement: column slots, output items (for aliases in
/// `HAVING`, sql.md §5.7) and the evaluator. A class: every `ExecutionRow` holds it, and
/// copying one reference per row is far cheaper than retaining each of its members (a
/// profile of a 100,000-row join spent a quarter of its time in those retains and releases).
package final class RowContext {
    package let slots: [ColumnRef: ColumnSlot]
    package let items: [OutputItem]
    package let evaluator: ExpressionEvaluator
    package let tableCount: Int

    package init(slots: [ColumnRef: ColumnSlot], items: [OutputItem], evaluator: ExpressionEvaluator, tableCount: Int) {
        self.slots = slots
        self.items = items
        self.evaluator = evaluator
        self.tableCount = tableCount
    }
}

/// A joined row (one record or `nil` per table), or a group: its first row plus the
/// aggregate values (sql.md §5.7).
package struct ExecutionRow: RowAccess {
    package let records: [JSONObject?]
    package var aggregates: [FunctionCall: Value?]?
    package let context: RowContext
    /// Per record wider than `wide` entries, each name's entry index: a statement reading
    /// every column of a record of thousands of attributes looked each one up by a linear
    /// search (minutes for `SELECT *` of 300 such records, session 11). Nil when none is wide.
    private let positions: [[String: Int]?]?
    private static let wide = 32

    package init(records: [JSONObject?], aggregates: [FunctionCall: Value?]? = nil, context: RowContext) {
        self.records = records
        self.aggregates = aggregates
        self.context = context
        if records.contains(where: { ($0?.count ?? 0) > Self.wide }) {
            positions = records.map { record in
                guard let record, record.count > Self.wide else { return nil }
                var positions: [String: Int] = [:]
                positions.reserveCapacity(record.count)
                // The first of a repeated key wins, as the record's own lookup.
                for (i, entry) in record.entries.enumerated() where positions[entry.key] == nil { positions[entry.key] = i }
                return positions
            }
        } else {
            positions = nil
        }
    }

    package func value(of column: ColumnRef) throws -> Value? {
        if let slot = context.slots[column] {
            guard let record = records[slot.table] else { return nil }
            if let positions = positions?[slot.table] { return positions[slot.name].map { record.entries[$0].value } }
            return record[slot.name]
        }
        // HAVING may name a select alias (the correct answer of the §5.7 bug).
        if aggregates != nil, column.qualifier == nil,
           let item = context.items.first(where: { $0.alias == column.name && $0.expression != .column(column) }) {
            return try context.evaluator.evaluate(item.expression, row: self)
        }
        throw SQLEvaluationError("unknown column \(column)")
    }

    package func aggregateValue(of call: FunctionCall) throws -> Value? {
        guard let aggregates, let value = aggregates[call] else {
            throw SQLEvaluationError("aggregate \(call.name) used outside of a grouped select")
        }
        return value
    }
}
