package import LyreCore
package import LyreQuery
package import LyreStorage

/// Streams the candidates of a LyreQuery plan (its access path, narrowed by its typed conditions,
/// sql.md §4.7) as decoded records, in primary-key order (§5.10), to a callback that returns
/// `false` to stop. The caller evaluates its full `WHERE` on each.
package enum TableScanner {
    /// Streams the records `plan` selects from `table`.
    /// - Throws: storage and record-decoding errors, or what `body` throws.
    /// - Parameter columns: when given, only these attributes (UTF-8 names) are decoded: the
    ///   columns the statement reads from this table.
    package static func scan(_ plan: QueryPlan, table: TableDefinition, txn: ReadTransaction, columns: [[UInt8]]? = nil,
                             _ body: (JSONObject) throws -> Bool) throws {
        let selection = columns.map(RecordCodec.AttributeSelection.init)
        try QueryExecutor.candidates(plan, table: table, in: txn) { bytes in
            try body(try selection.map { try RecordCodec.decode(bytes, only: $0) } ?? RecordCodec.decode(bytes))
        }
    }
}
