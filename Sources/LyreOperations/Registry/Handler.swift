import LyreCore

/// What an operation handler sees besides its request.
struct OperationContext: Sendable {
    let app: Application
    let user: User
}

/// One operation's implementation. Reads run synchronously on the caller's thread
/// (an event loop: they must not block beyond LMDB reads); writes and long work are async.
struct Handler: Sendable {
    enum Body: Sendable {
        case sync(@Sendable (Request, OperationContext) throws -> OutgoingResponse.Body)
        case async(@Sendable (Request, OperationContext) async throws -> OutgoingResponse.Body)
        /// A whole response, for operations that set headers (`restart`, `get_backup`).
        case response(@Sendable (Request, OperationContext) async throws -> OutgoingResponse)
        /// Checks the request synchronously (a bad one answers at once), then returns the
        /// work, which calls back when done — writes, with no task between the request and
        /// the storage writer (see ``Outcome/callback(_:)``).
        case callback(@Sendable (Request, OperationContext) throws -> Pending)
    }

    /// Work that finishes later: call it with a `Finish`; it calls that once, from any
    /// thread, with the function that makes the response body (or throws its error).
    typealias Pending = @Sendable (_ finish: @escaping Finish) -> Void
    typealias Finish = @Sendable (_ makeBody: @escaping @Sendable () throws -> OutgoingResponse.Body) -> Void

    let body: Body

    /// Runs the handler to its body, whatever its kind (for operations run inside others).
    func run(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        switch body {
        case .sync(let run): return try run(request, context)
        case .async(let run): return try await run(request, context)
        case .response(let run): return try await run(request, context).body
        case .callback(let run):
            let pending = try run(request, context)
            return try await withCheckedThrowingContinuation { continuation in
                pending { makeBody in continuation.resume(with: Result { try makeBody() }) }
            }
        }
    }

    static func sync(_ run: @escaping @Sendable (Request, OperationContext) throws -> OutgoingResponse.Body) -> Handler {
        Handler(body: .sync(run))
    }

    static func async(_ run: @escaping @Sendable (Request, OperationContext) async throws -> OutgoingResponse.Body) -> Handler {
        Handler(body: .async(run))
    }

    static func callback(_ run: @escaping @Sendable (Request, OperationContext) throws -> Pending) -> Handler {
        Handler(body: .callback(run))
    }

    static func response(_ run: @escaping @Sendable (Request, OperationContext) async throws -> OutgoingResponse) -> Handler {
        Handler(body: .response(run))
    }
}

extension OutgoingResponse.Body {
    /// A plain-string result, wrapped as Harper wraps it: `{"message": "..."}`.
    static func message(_ text: String) -> Self {
        .json(.object(JSONObject([("message", .string(text))])))
    }
}

/// The table of operations. The only place that lists every implemented operation.
struct OperationRegistry: Sendable {
    private var handlers: [OperationName: Handler] = [:]

    subscript(name: OperationName) -> Handler? { handlers[name.canonical] }

    mutating func register(_ name: OperationName, _ handler: Handler) {
        handlers[name] = handler
    }

    static func standard() -> OperationRegistry {
        var registry = OperationRegistry()
        SchemaOperations.register(into: &registry)
        RecordOperations.register(into: &registry)
        JobOperations.register(into: &registry)
        BulkLoadOperations.register(into: &registry)
        ExportOperations.register(into: &registry)
        S3Operations.register(into: &registry)
        LogOperations.register(into: &registry)
        AuditOperations.register(into: &registry)
        SettingsOperations.register(into: &registry)
        SystemInformation.register(into: &registry)
        StatusOperations.register(into: &registry)
        BackupOperations.register(into: &registry)
        CompactionOperations.register(into: &registry)
        LicenseOperations.register(into: &registry)
        SearchOperations.register(into: &registry)
        RoleOperations.register(into: &registry)
        UserOperations.register(into: &registry)
        TokenOperations.register(into: &registry)
        SQLOperation.register(into: &registry)
        ClusteringOperations.register(into: &registry)
        AnalyticsOperations.register(into: &registry)
        return registry
    }
}
