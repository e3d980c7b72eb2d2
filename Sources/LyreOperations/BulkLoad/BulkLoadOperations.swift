import LyreCore
import LyreStorage

/// `csv_data_load`, `csv_file_load` and `csv_url_load` (bulk-and-jobs.md §5–7): synchronous
/// validation, then a `CSVLoad` job. `import_from_s3` (§8) is not registered yet, so it
/// answers `Operation 'import_from_s3' is not supported`.
enum BulkLoadOperations {
    static func register(into registry: inout OperationRegistry) {
        registry.register(.csvDataLoad, .async(csvDataLoad))
        registry.register(.csvFileLoad, .async(csvFileLoad))
        registry.register(.csvUrlLoad, .async(csvUrlLoad))
    }

    /// Table rights a load needs: the one its action names, insert and update when none is
    /// given, and both for `upsert` (§5).
    static func permissions(for mode: WriteMode, explicit: Bool) -> [TablePermission] {
        switch mode {
        case .insert: explicit ? [.insert] : [.insert, .update]
        case .update: [.update]
        case .upsert: [.insert, .update]
        }
    }

    @Sendable static func csvDataLoad(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        try requireTable(request)
        guard let data = request["data"], !data.isNull else { throw LyreError.validation("Data  is required") }
        guard case .string(let text) = data else { throw LyreError.validation("'data' must be a string") }
        let (mode, explicit) = try action(request)
        let (database, table) = try checkTarget(request, context, mode: mode, explicit: explicit)
        let load = CSVLoad(database: database, table: table, mode: mode, source: .bytes(Array(text.utf8)), user: context.user,
                           permissions: permissions(for: mode, explicit: explicit))
        return try await start(load, request, context)
    }

    @Sendable static func csvFileLoad(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        try requireTable(request)
        guard let pathValue = request["file_path"], !pathValue.isNull else {
            throw LyreError.validation("File path can't be blank")
        }
        guard case .string(let path) = pathValue, !path.isEmpty else { throw LyreError.validation("File path can't be blank") }
        let (mode, explicit) = try action(request)
        let (database, table) = try checkTarget(request, context, mode: mode, explicit: explicit)
        try CSVSource.checkReadable(path)
        let load = CSVLoad(database: database, table: table, mode: mode, source: .file(path), user: context.user,
                           permissions: permissions(for: mode, explicit: explicit))
        return try await start(load, request, context)
    }

    /// §7: `csv_url` must be an http(s) URL; everything about the download itself (status,
    /// content type, empty body, network) is a job-time error.
    @Sendable static func csvUrlLoad(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        guard let urlValue = request["csv_url"], !urlValue.isNull, urlValue != .string("") else {
            throw LyreError.validation("'csv_url' is required")
        }
        guard case .string(let url) = urlValue, CSVDownload.isValidURL(url) else {
            throw LyreError.validation("'csv_url' must be a valid url")
        }
        let mode: WriteMode, explicit: Bool
        do { (mode, explicit) = try action(request) } catch {
            throw LyreError.validation("'action' must be one of [insert, update, upsert]")
        }
        var headers: [(String, String)] = []
        switch request["passthrough_headers"] {
        case nil, .null?: break
        case .object(let object)?:
            for entry in object {
                switch entry.value {
                case .string(let text): headers.append((entry.key, text))
                case .null: break
                default: headers.append((entry.key, JSON.string(entry.value)))
                }
            }
        default: throw LyreError.validation("'passthrough_headers' must be an object")
        }
        try requireTable(request)
        let (database, table) = try checkTarget(request, context, mode: mode, explicit: explicit)
        let app = context.app
        let download = CSVDownload(url: url, headers: headers, client: try app.downloads.client(), logger: app.logger)
        let load = CSVLoad(database: database, table: table, mode: mode,
                           source: .url(download, spool: CSVDownload.spoolPath(root: app.configuration.root)),
                           user: context.user, permissions: permissions(for: mode, explicit: explicit))
        return try await start(load, request, context)
    }

    private static func start(_ load: CSVLoad, _ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        let storage = context.app.storage
        var load = load
        load.auditLog = context.app.configuration.auditLog
        return try await startLoad(request, context, database: load.database) { [load] control in
            try await load.run(storage: storage, control: control)
        }
    }

    /// Starts a load job (CSV or JSON, from any source): `run`, then `LoadCompaction`.
    static func startLoad(_ request: Request, _ context: OperationContext, database: String,
                          run: @escaping JobWork) async throws -> OutgoingResponse.Body {
        let app = context.app
        return try await JobOperations.start(request, context) { control in
            let outcome = try await run(control)
            LoadCompaction.afterLoad(app, database: database, rows: outcome.rowsWritten)
            return outcome
        }
    }

    static func requireTable(_ request: Request) throws {
        guard let table = request["table"], !table.isNull, table != .string("") else {
            throw LyreError.validation("Table can't be blank")
        }
    }

    /// `action`: insert (default), update or upsert; and whether it was given.
    static func action(_ request: Request) throws -> (WriteMode, Bool) {
        switch request["action"] {
        case nil, .null?: return (.insert, false)
        case .string("insert")?: return (.insert, true)
        case .string("update")?: return (.update, true)
        case .string("upsert")?: return (.upsert, true)
        default: throw LyreError.validation("Action is required and must be either insert, update, or upsert")
        }
    }

    /// Table rights first (so a role learns nothing about what it can't see), then existence.
    static func checkTarget(_ request: Request, _ context: OperationContext, mode: WriteMode, explicit: Bool) throws -> (String, String) {
        let database = try request.database()
        let table = try request.table()
        try Authorization.checkTable(database: database, table: table, user: context.user,
                                     required: permissions(for: mode, explicit: explicit))
        let (_, definition) = try TableAccess.table(request, in: context, status: 400)
        try SystemTables.checkWrite(definition, mode: mode, user: context.user)
        return (database, table)
    }
}
