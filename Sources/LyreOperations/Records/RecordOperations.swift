import LyreCore
import LyreStorage

/// insert / update / upsert / delete / search_by_id (nosql.md §1–7.2).
enum RecordOperations {
    static func register(into registry: inout OperationRegistry) {
        registry.register(.insert, .callback { try write($0, $1, mode: .insert) })
        registry.register(.update, .callback { try write($0, $1, mode: .update) })
        registry.register(.upsert, .callback { try write($0, $1, mode: .upsert) })
        registry.register(.delete, .callback(delete))
        registry.register(.searchById, .sync(searchByID))
    }

    // MARK: Writes

    /// Validates and authorizes at once; the returned work queues the write and finishes
    /// from the writer thread after the commit (the response is made on the caller's side).
    static func write(_ request: Request, _ context: OperationContext, mode: WriteMode) throws -> Handler.Pending {
        let records = try RecordValidation.records(request)
        let required: [TablePermission] = switch mode {
        case .insert: [.insert]
        case .update: [.update]
        case .upsert: [.insert, .update]
        }
        // Names in first-seen order, through a set: `written.contains` was quadratic in the
        // number of attributes and ran on the event loop (300 records of 3,000 attributes
        // held it past the request timeout, found by the HTTP fuzzer).
        var written: [String] = []
        var seen = Set<String>()
        for record in records { for entry in record where seen.insert(entry.key).inserted { written.append(entry.key) } }
        try Authorization.checkTable(database: try request.database(), table: try request.table(), user: context.user,
                                     required: required, attributes: written)
        let (db, table) = try TableAccess.table(request, in: context, status: 400)
        try SystemTables.checkWrite(table, mode: mode, user: context.user)
        try RecordValidation.check(records, table: table, mode: mode)
        let tableName = table.name
        let audit = AuditTrail.descriptor(for: mode.rawValue, table: table, context: context)
        let isSystem = table.database == StorageEngine.systemDatabase
        return { finish in
            db.write({ ctx in try ctx.write(records, mode: mode, to: tableName, audit: audit) }, completion: { outcome in
                if isSystem { context.app.authenticator.invalidate() }
                finish { writeResponse(try outcome.get(), mode: mode) }
            })
        }
    }

    private static func writeResponse(_ result: RecordWriteResult, mode: WriteMode) -> OutgoingResponse.Body {
        let total = result.written.count + result.skipped.count
        var body = JSONObject()
        switch mode {
        case .insert:
            body.appendUnchecked("message", .string("inserted \(result.written.count) of \(total) records"))
            body.appendUnchecked("inserted_hashes", .array(result.written))
            body.appendUnchecked("skipped_hashes", .array(result.skipped))
        case .update:
            body.appendUnchecked("message", .string("updated \(result.written.count) of \(total) records"))
            body.appendUnchecked("update_hashes", .array(result.written))
            body.appendUnchecked("skipped_hashes", .array(result.skipped))
        case .upsert:
            body.appendUnchecked("message", .string("upserted \(result.written.count) of \(result.written.count) records"))
            body.appendUnchecked("upserted_hashes", .array(result.written))
        }
        return .json(.object(body))
    }

    @Sendable static func delete(_ request: Request, _ context: OperationContext) throws -> Handler.Pending {
        guard let table = request["table"], !table.isNull else { throw LyreError.validation("'table' is required") }
        _ = table
        guard let idsValue = request.first("ids", "hash_values"), !idsValue.isNull else {
            throw LyreError.validation("'hash_values' is required")
        }
        guard case .array(let ids) = idsValue else { throw LyreError.validation("'hash_values' must be an array") }
        try Authorization.checkTable(database: try request.database(), table: try request.table(), user: context.user, required: [.delete])
        let (db, definition) = try TableAccess.table(request, in: context, status: 404)
        try SystemTables.checkDelete(definition, user: context.user)
        let tableName = definition.name
        let audit = AuditTrail.descriptor(for: "delete", table: definition, context: context)
        let isSystem = definition.database == StorageEngine.systemDatabase
        return { finish in
            db.write({ ctx in try ctx.delete(ids: ids, from: tableName, audit: audit) }, completion: { outcome in
                if isSystem { context.app.authenticator.invalidate() }
                finish { deleteResponse(try outcome.get(), requested: ids.count) }
            })
        }
    }

    private static func deleteResponse(_ result: (deleted: [Value], skipped: [Value], records: [JSONObject]), requested: Int) -> OutgoingResponse.Body {
        let noun = requested == 1 ? "record" : "records"
        var body = JSONObject()
        body.appendUnchecked("message", .string("\(result.deleted.count) of \(requested) \(noun) successfully deleted"))
        body.appendUnchecked("deleted_hashes", .array(result.deleted))
        body.appendUnchecked("skipped_hashes", .array(result.skipped))
        return .json(.object(body))
    }

    // MARK: search_by_id

    @Sendable static func searchByID(_ request: Request, _ context: OperationContext) throws -> OutgoingResponse.Body {
        var problems: [String] = []
        switch request["table"] {
        case nil, .null?: problems.append("'table' is required")
        case .string?, .int?, .double?: break
        default: problems.append("'table' must be a string")
        }
        var ids: [Value] = []
        switch request.first("ids", "hash_values") {
        case nil, .null?: problems.append("'hash_values' is required")
        case .array(let values)?:
            ids = values
            if !values.allSatisfy({ $0.stringValue != nil || $0.isNumber }) {
                problems.append("'hash_values' must be strings or numbers")
            }
        default: problems.append("'hash_values' must be an array")
        }
        let attributes = try Projection.getAttributes(request, required: true, problems: &problems)
        guard problems.isEmpty else { throw LyreError.validation(problems) }
        try Authorization.checkTable(database: try request.database(), table: try request.table(), user: context.user,
                                     required: [.read], attributes: attributes ?? [])
        let (db, table) = try TableAccess.table(request, in: context, status: 404)
        let projection = try Projection(Authorization.readableAttributes(attributes, table: table, user: context.user), table: table)
        var out: [UInt8] = [UInt8(ascii: "[")]
        try db.read(completeIndexes: false) { txn in
            var first = true
            for id in ids {
                guard let key = KeyCodec.encode(id), key.count <= KeyCodec.maximumKeySize,
                      let bytes = try txn.get(table.records, key) else { continue }
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                try RecordCodec.writeJSON(bytes, attributes: projection.attributes, into: &out)
            }
        }
        out.append(UInt8(ascii: "]"))
        return .rawJSON(out)
    }
}
