import LyreCore

/// Runs a search request embedded in another operation (`export_local`'s
/// `search_operation`) through the application's registry, as the pipeline would run it
/// for `user`, and returns its whole JSON result. Searches plug in by registering their
/// handler: nothing here names them. Exports read the searches that allow it in batches
/// instead (`ExportRecords`) and come here for the others.
enum EmbeddedSearch {
    /// `search_operation.operation` values `export_local` accepts (§9; `search_by_id` too,
    /// which the spec calls harmless).
    static let allowed: Set<String> = ["search_by_value", "search_by_hash", "search_by_id", "search_by_conditions", "sql"]

    /// - Throws: `Operation '<name>' is not supported` when no handler is registered yet,
    ///   the permission errors of the pipeline, and whatever the search throws.
    static func run(_ body: JSONObject, app: Application, user: User) async throws -> Value {
        guard let operation = body["operation"]?.stringValue, let name = OperationName.named(operation) else {
            throw LyreError.badRequest("search_operation.operation missing")
        }
        guard let handler = app.registry[name] else { throw LyreError.operationNotSupported(operation) }
        try Authorization.checkOperation(name, body: body, user: user)
        let request = Request(operation: name, body: body)
        let context = OperationContext(app: app, user: user)
        switch try await handler.run(request, context) {
        case .json(let value): return value
        case .rawJSON(let bytes): return try JSON.parse(bytes)
        case .binary: throw LyreError.badRequest("search_operation.operation must return records")
        case .stream(let stream):
            stream.close()
            throw LyreError.badRequest("search_operation.operation must return records")
        }
    }
}
