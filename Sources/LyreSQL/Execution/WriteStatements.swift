package import LyreCore
package import LyreStorage

/// The storage-independent halves of `INSERT`, `UPDATE` and `DELETE` (sql.md §6–§8): table
/// resolution with each statement's error texts, evaluation of values, and selection of the
/// target rows. The `sql` operation validates, checks permissions and writes.
package enum WriteStatements {
    /// The database and table of `INSERT` (default database `data`, 400 errors, §6.3).
    package static func insertTarget(_ name: TableName, catalog: any SQLCatalog) throws(LyreError) -> (Database, TableDefinition) {
        let databaseName = name.database ?? StorageEngine.defaultDatabase
        guard let db = catalog.database(databaseName) else { throw .databaseNotFound(databaseName, status: 400) }
        guard let table = db.table(name.table) else { throw .tableNotFound(databaseName, name.table, status: 400) }
        return (db, table)
    }

    /// The database and table of `UPDATE`/`DELETE` (500 errors, §7.4).
    package static func modifyTarget(_ name: TableName, catalog: any SQLCatalog) throws(LyreError) -> (Database, TableDefinition) {
        guard let databaseName = name.database else { throw .sqlWriteSchemaNotFound("undefined") }
        guard let db = catalog.database(databaseName) else { throw .sqlWriteSchemaNotFound(databaseName) }
        guard let table = db.table(name.table) else { throw .sqlWriteTableNotFound(databaseName, name.table) }
        return (db, table)
    }

    /// The records an `INSERT` writes, one per `VALUES` row, each value evaluated separately.
    /// A `NULL` or undefined value stores `null`; the primary key may be absent (generated).
    /// - Throws: the insert error (500) for a missing column list, a row of the wrong width,
    ///   `INSERT … SELECT`, a column reference or a failing expression.
    package static func insertRecords(_ statement: InsertStatement, functions: FunctionRegistry = .sql,
                                      context: FunctionContext = .system) throws(LyreError) -> [JSONObject] {
        guard statement.select == nil, let columns = statement.columns else { throw .sqlInsertFailed() }
        let evaluator = ExpressionEvaluator(functions: functions, context: context)
        var records: [JSONObject] = []
        records.reserveCapacity(statement.rows.count)
        for values in statement.rows {
            guard values.count == columns.count else { throw .sqlInsertFailed() }
            var record = JSONObject()
            for (column, expression) in zip(columns, values) {
                guard expression.columnReferences.isEmpty else { throw .sqlInsertFailed() }
                let value: Value?
                do { value = try evaluator.evaluate(expression, row: NoRow()) } catch {
                    throw .sqlInsertFailed(error)
                }
                record[column] = SQLResult.output(value) ?? .null
            }
            records.append(record)
        }
        return records
    }

    /// The records `WHERE` selects in `table`, in primary-key order (§7.2 step 1), using the
    /// same pushdown as `SELECT`.
    /// - Throws: `unknown column <ref>` (500) for the `WHERE` clause; the generic search error
    ///   (500) for evaluation failures.
    package static func targets(in table: TableDefinition, database: Database, where whereClause: Expression?,
                                functions: FunctionRegistry = .sql, context: FunctionContext = .system) throws(LyreError) -> [JSONObject] {
        let bound = BoundTable(position: 0, ref: TableRef(name: TableName(database: table.database, table: table.name)),
                               database: database, definition: table)
        var resolver = ColumnResolver(tables: [bound])
        let condition = whereClause.map(WhereRewrite.prepare)
        if let condition { try resolver.resolveAll(in: condition) }
        let functions = functions.compilingSearchJSON(in: condition.map { [$0] } ?? [])
        let evaluator = ExpressionEvaluator(functions: functions, context: context)
        let rowContext = RowContext(slots: resolver.slots, items: [], evaluator: evaluator, tableCount: 1)
        do {
            return try database.read { txn in
                let plan = try Planner.accessPlan(for: bound, where: condition, resolver: resolver, txn: txn)
                var records: [JSONObject] = []
                try TableScanner.scan(plan, table: table, txn: txn) { record in
                    if let condition, !(try evaluator.isTrue(condition, row: ExecutionRow(records: [record], context: rowContext))) {
                        return true
                    }
                    records.append(record)
                    return true
                }
                return records
            }
        } catch {
            throw .sqlSearchFailed(error)
        }
    }

    /// The partial records an `UPDATE` writes for `targets`: the primary key plus every
    /// assignment evaluated over the original record (§7.2). Assignments to the timestamps are
    /// dropped (super users, §3.3); an undefined result stores `null`. Assigning the primary
    /// key makes that value the key written (§7.2 step 5).
    /// - Throws: the update error (500) when an assignment fails to evaluate.
    package static func updateRecords(_ statement: UpdateStatement, targets: [JSONObject], primaryKey: String,
                                      functions: FunctionRegistry = .sql, context: FunctionContext = .system) throws(LyreError) -> [JSONObject] {
        let functions = functions.compilingSearchJSON(in: statement.assignments.map(\.value))
        let evaluator = ExpressionEvaluator(functions: functions, context: context)
        let assignments = statement.assignments.filter {
            $0.column != TableDefinition.createdTime && $0.column != TableDefinition.updatedTime
        }
        // Each column once, at its first place (the primary key first), holding its last
        // assignment's value: what `record[column] = value` per assignment built, without a
        // walk of the record per assignment (10,000 assignments were 5·10^7 steps a record).
        var columns = [primaryKey]
        var slotOfColumn = [primaryKey: 0]
        let slots = assignments.map { assignment in
            if let slot = slotOfColumn[assignment.column] { return slot }
            slotOfColumn[assignment.column] = columns.count
            columns.append(assignment.column)
            return columns.count - 1
        }
        var records: [JSONObject] = []
        records.reserveCapacity(targets.count)
        for target in targets {
            var values = [Value](repeating: .null, count: columns.count)
            values[0] = target[primaryKey] ?? .null
            for (assignment, slot) in zip(assignments, slots) {
                let value: Value?
                do { value = try evaluator.evaluate(assignment.value, row: RecordRow(target)) } catch {
                    throw .sqlUpdateFailed(error)
                }
                values[slot] = SQLResult.output(value) ?? .null
            }
            var record = JSONObject()
            for (column, value) in zip(columns, values) { record.appendUnchecked(column, value) }
            records.append(record)
        }
        return records
    }
}
