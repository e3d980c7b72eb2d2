import LyreCore
import LyreSQL
import LyreStorage

/// The `sql` operation (sql.md §1): decode, parse (syntax errors are 400 before any permission
/// check), authorize every table and attribute the statement touches, execute, encode.
enum SQLOperation {
    static func register(into registry: inout OperationRegistry) {
        registry.register(.sql, .async(run))
    }

    @Sendable static func run(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        let text: String
        switch request["sql"] {
        case nil, .null?: throw LyreError.sqlMissing
        case .string(let s)?: text = s
        default: throw LyreError.sqlUnparseable
        }
        if let explained = try explain(text, context) { return explained }
        let sql = try SQLRequest(sql: text)
        guard sql.isSupportedKind else {
            if context.user.isSuperUser { throw LyreError.sqlUnsupportedType(sql.kind) }
            throw LyreError.operationNotFound(sql.kind)
        }
        let storage = context.app.storage
        let statement = SQLPermissions.expandWildcards(sql.statement, user: context.user, catalog: storage)
        try SQLPermissions.check(statement, user: context.user)
        if SQLPermissions.selectsNothing(sql.statement, statement) { return .json(.array([])) }
        switch statement {
        case .select(let statement):
            let bound = try SelectBinder(catalog: storage).bind(statement)
            let rows = try SelectExecutor(bound).run()
            return .json(.array(rows.map { .object($0) }))
        case .insert(let statement):
            return try await insert(statement, context)
        case .update(let statement):
            return try await update(statement, context)
        case .delete(let statement):
            return try await delete(statement, context)
        case .unsupported(let keyword):
            throw LyreError.sqlUnsupportedType(keyword.lowercased())
        }
    }

    /// The synchronous checks of an `sql` request embedded in another operation
    /// (`export_local`'s `search_operation`, README §3): a missing `sql` or a syntax error is
    /// a 400 before any permission check, then the statement's rights are those of the `sql`
    /// operation (§10), refused with the same 403 permission object.
    /// - Throws: the `sql` operation's 400s and 403s.
    static func authorizeEmbedded(_ body: JSONObject, user: User, catalog: StorageEngine) throws {
        let text: String
        switch body["sql"] {
        case nil, .null?: throw LyreError.sqlMissing
        case .string(let s)?: text = s
        default: throw LyreError.sqlUnparseable
        }
        let sql = try SQLRequest(sql: text)
        guard sql.isSupportedKind else {
            if user.isSuperUser { throw LyreError.sqlUnsupportedType(sql.kind) }
            throw LyreError.operationNotFound(sql.kind)
        }
        guard !user.isSuperUser else { return }
        try SQLPermissions.check(SQLPermissions.expandWildcards(sql.statement, user: user, catalog: catalog), user: user)
    }

    /// An embedded `sql` search (an export's) whose rows `SelectExecutor` can hand out one
    /// record at a time (`isRowByRow`), checked as `run` checks it; nil for every other
    /// statement, which the caller runs whole through `run` (so it answers what `run` answers).
    /// - Throws: `run`'s 400s and 403s for the statement.
    static func rowByRowSelect(_ body: JSONObject, user: User, storage: StorageEngine) throws -> SelectExecutor? {
        guard case .string(let text)? = body["sql"] else { return nil }
        let trimmed = JS.trimWhitespace(text)
        if trimmed.count > 8, trimmed.prefix(8).uppercased() == "EXPLAIN " { return nil }
        let sql = try SQLRequest(sql: text)
        guard sql.isSupportedKind else { return nil }
        let statement = SQLPermissions.expandWildcards(sql.statement, user: user, catalog: storage)
        try SQLPermissions.check(statement, user: user)
        guard !SQLPermissions.selectsNothing(sql.statement, statement), case .select(let select) = statement else { return nil }
        let executor = SelectExecutor(try SelectBinder(catalog: storage).bind(select))
        return executor.isRowByRow ? executor : nil
    }

    /// `EXPLAIN <select>` (a Lyre extension): the chosen plan as JSON.
    private static func explain(_ text: String, _ context: OperationContext) throws -> OutgoingResponse.Body? {
        let trimmed = JS.trimWhitespace(text)
        guard trimmed.count > 8, trimmed.prefix(8).uppercased() == "EXPLAIN " else { return nil }
        let sql = try SQLRequest(sql: String(trimmed.dropFirst(8)))
        let rewritten = SQLPermissions.expandWildcards(sql.statement, user: context.user, catalog: context.app.storage)
        guard case .select(let statement) = rewritten else { throw LyreError.sqlUnsupportedType("explain") }
        try SQLPermissions.check(rewritten, user: context.user)
        let bound = try SelectBinder(catalog: context.app.storage).bind(statement)
        let executor = SelectExecutor(bound)
        let plan: SelectPlan
        do { plan = try executor.plan() } catch { throw LyreError.sqlSearchFailed(error) }
        return .json(plan.explain(bound))
    }

    // MARK: Writes
    // Permissions (and the system-database protection) were checked by `run`.

    private static func insert(_ statement: InsertStatement, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        let (db, table) = try WriteStatements.insertTarget(statement.table, catalog: context.app.storage)
        try SystemTables.checkWrite(table, mode: .insert, user: context.user)
        let records = try WriteStatements.insertRecords(statement)
        try RecordValidation.check(records, table: table, mode: .insert)
        let tableName = table.name
        let audit = AuditTrail.descriptor(for: "insert", table: table, context: context)
        let result = try await db.write { ctx in try ctx.write(records, mode: .insert, to: tableName, audit: audit) }
        if table.database == StorageEngine.systemDatabase { context.app.authenticator.invalidate() }
        return message("inserted \(result.written.count) of \(result.written.count + result.skipped.count) records",
                       ("inserted_hashes", result.written), ("skipped_hashes", result.skipped))
    }

    private static func update(_ statement: UpdateStatement, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        let (db, table) = try WriteStatements.modifyTarget(statement.table, catalog: context.app.storage)
        if table.database == StorageEngine.systemDatabase { throw LyreError.systemProtected }  // defensive: `run` refused it
        let targets = try WriteStatements.targets(in: table, database: db, where: statement.whereClause)
        let records = try WriteStatements.updateRecords(statement, targets: targets, primaryKey: table.primaryKey)
        try RecordValidation.check(records, table: table, mode: .update)
        let tableName = table.name
        let audit = AuditTrail.descriptor(for: "update", table: table, context: context)
        let result: (written: [Value], skipped: [Value]) = records.isEmpty
            ? ([], [])
            : try await db.write { ctx in
                let r = try ctx.write(records, mode: .update, to: tableName, audit: audit)
                return (r.written, r.skipped)
            }
        return message("updated \(result.written.count) of \(result.written.count + result.skipped.count) records",
                       ("update_hashes", result.written), ("skipped_hashes", result.skipped))
    }

    private static func delete(_ statement: DeleteStatement, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        let (db, table) = try WriteStatements.modifyTarget(statement.table, catalog: context.app.storage)
        if table.database == StorageEngine.systemDatabase { throw LyreError.systemProtected }  // defensive: `run` refused it
        let targets = try WriteStatements.targets(in: table, database: db, where: statement.whereClause)
        let ids = targets.map { $0[table.primaryKey] ?? .null }
        let tableName = table.name
        let audit = AuditTrail.descriptor(for: "delete", table: table, context: context)
        let result = ids.isEmpty
            ? (deleted: [Value](), skipped: [Value](), records: [JSONObject]())
            : try await db.write { ctx in try ctx.delete(ids: ids, from: tableName, audit: audit) }
        let noun = ids.count == 1 ? "record" : "records"
        return message("\(result.deleted.count) of \(ids.count) \(noun) successfully deleted",
                       ("deleted_hashes", result.deleted), ("skipped_hashes", result.skipped))
    }

    private static func message(_ text: String, _ first: (String, [Value]), _ second: (String, [Value])) -> OutgoingResponse.Body {
        var body = JSONObject()
        body.appendUnchecked("message", .string(text))
        body.appendUnchecked(first.0, .array(first.1))
        body.appendUnchecked(second.0, .array(second.1))
        return .json(.object(body))
    }
}
