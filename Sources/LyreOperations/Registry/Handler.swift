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
    }

    let body: Body

    static func sync(_ run: @escaping @Sendable (Request, OperationContext) throws -> OutgoingResponse.Body) -> Handler {
        Handler(body: .sync(run))
    }

    static func async(_ run: @escaping @Sendable (Request, OperationContext) async throws -> OutgoingResponse.Body) -> Handler {
        Handler(body: .async(run))
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
        LogOperations.register(into: &registry)
        AuditOperations.register(into: &registry)
        SettingsOperations.register(into: &registry)
        SystemInformation.register(into: &registry)
        StatusOperations.register(into: &registry)
        BackupOperations.register(into: &registry)
        LicenseOperations.register(into: &registry)
        SearchOperations.register(into: &registry)
        RoleOperations.register(into: &registry)
        UserOperations.register(into: &registry)
        TokenOperations.register(into: &registry)
        SQLOperation.register(into: &registry)
        return registry
    }
}
