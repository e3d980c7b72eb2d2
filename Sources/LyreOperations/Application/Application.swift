public import LyreCore
public import Logging
import LyreMetrics
public import LyreAuth
import LyreStorage
import Synchronization

/// The Lyre application: storage, authentication and the operation registry behind one
/// entry point, `handle(_:)`, that front ends call with a request body and credentials.
///
/// ```swift
/// let app = try Application(configuration: .init(root: "/tmp/lyre", bootstrapAdmin: ("admin", "pw")), logger: logger)
/// let outcome = app.handle(IncomingRequest(body: Array(#"{"operation":"describe_all"}"#.utf8),
///                                          authorization: "Basic YWRtaW46cHc="))
/// ```
public final class Application: Sendable {
    /// The configuration in force; `reloadConfiguration()` (run by `restart`) replaces it.
    public var configuration: Configuration { current.withLock { $0 } }
    private let current: Mutex<Configuration>
    /// Restart requests for the executable (see `ApplicationEvent` for how to react).
    public let events: AsyncStream<ApplicationEvent>
    let eventSink: AsyncStream<ApplicationEvent>.Continuation
    public let logger: Logger
    let storage: StorageEngine
    let registry: OperationRegistry
    let authenticator: Authenticator
    /// Background jobs (loads, exports, bulk deletes), at most two at a time.
    let jobs: JobRunner
    /// The HTTP client of `csv_url_load`, made on first use, shut down with the application.
    let downloads = DownloadClient()
    /// The clustering node (NATS engine and replication) while `clustering.enabled` is on.
    let cluster = ClusterController()
    /// `logging.auditAuthEvents` (read on every request, so kept apart from `configuration`).
    let authenticationAudit: AuthenticationAudit
    /// The instruments behind `GET /metrics` and the per-operation analytics, made whether
    /// or not `metrics.enabled` is on, so a restart can switch them on (connections are
    /// counted either way: the open-connections gauge stays right across such a restart).
    let instruments: ServerMetrics
    /// `metrics.enabled` in force (start and `restart` set it; see `applyObservability`).
    let metricsOn = Atomic<Bool>(false)
    /// Whether `lyre run` asked for the swift-metrics backend, and whether it is bootstrapped.
    let swiftMetrics = Mutex<(wanted: Bool, bootstrapped: Bool)>((false, false))
    /// The instruments while `metrics.enabled` is on; nil when off (then requests are not
    /// measured at all).
    var metrics: ServerMetrics? { metricsOn.load(ordering: .relaxed) ? instruments : nil }
    /// Writes `system.hdb_analytics` every `analytics.aggregatePeriod` and enforces `analytics.retention`.
    let analytics: AnalyticsAggregator
    /// `operationsApi.network.requestMemory` in force: the HTTP front end reserves bodies
    /// from it, `handle` the parsed trees. Replaced by a `restart` that changes the setting
    /// (reservations keep the budget they were taken from).
    public var requestMemory: MemoryBudget { requestBudget.withLock { $0 } }
    private let requestBudget: Mutex<MemoryBudget>

    /// Opens (or creates) the root. On a root without users, `configuration.bootstrapAdmin`
    /// must be set: it creates the super user, the `system` tables and the `data` database.
    /// - Parameter clock: "Now" for token lifetimes (tests move it).
    /// - Throws: `LyreError` with a one-line explanation when the root cannot be used.
    public init(configuration: Configuration, logger: Logger, clock: any AuthClock = SystemClock()) throws {
        current = Mutex(configuration)
        requestBudget = Mutex(MemoryBudget(limit: configuration.requestMemory ?? MemoryBudget.defaultLimit()))
        authenticationAudit = AuthenticationAudit(logger: logger)
        authenticationAudit.configure(configuration)
        (events, eventSink) = AsyncStream.makeStream(of: ApplicationEvent.self, bufferingPolicy: .unbounded)
        self.logger = logger
        let storage: StorageEngine
        do {
            storage = try StorageEngine(root: configuration.root, durable: configuration.durableWrites,
                                        writeAsync: configuration.writeAsync,
                                        compactOnStart: configuration.compactOnStart
                                            ? StartCompaction(keepBackup: configuration.compactOnStartKeepBackup) : nil,
                                        logger: logger)
        } catch let error as LyreError {
            throw error
        } catch {
            throw LyreError(.internalError, status: 500, "cannot open the root '\(configuration.root)': \(error)")
        }
        self.storage = storage
        let instruments = ServerMetrics()
        self.instruments = instruments
        analytics = AnalyticsAggregator(storage: storage, metrics: instruments, logger: logger)
        storage.setMaximumTransactionQueueTime(configuration.maximumTransactionQueueTime)
        storage.setAuditRetention(milliseconds: configuration.auditRetentionMilliseconds)
        BackupOperations.removeLeftovers(root: configuration.root)
        registry = OperationRegistry.standard()
        jobs = JobRunner(storage: storage, logger: logger)
        do {
            let tokens = try TokenAuthority(keyDirectory: configuration.root + "/keys", clock: clock)
            authenticator = Authenticator(storage: storage, hasher: PasswordHasher(rounds: configuration.passwordHashRounds),
                                          tokens: tokens)
            try SystemDatabase.bootstrap(storage: storage, configuration: configuration, hasher: authenticator.hasher, logger: logger)
        } catch {
            storage.close()
            throw error
        }
        JobStore.recoverInterrupted(storage, logger: logger)
        applyObservability(configuration)
        CSVDownload.removeStaleSpools(root: configuration.root)
        do {
            try cluster.apply(configuration, storage: storage, logger: logger) { [authenticator] in authenticator.invalidate() }
        } catch {
            jobs.shutdown()
            storage.close()
            throw error
        }
    }

    /// Runs one request: parse, authenticate, look up, authorize, execute, encode.
    /// Errors become their status and `{"error": ...}` body; anything unexpected is a logged 500.
    /// Bearer tokens are verified asynchronously, so such requests always complete deferred.
    /// With metrics on, each answer is counted by operation and status, and timed.
    public func handle(_ request: IncomingRequest) -> Outcome {
        var label = Self.unparsedOperation
        guard let metrics else { return answer(request, operation: &label) }
        let started = ContinuousClock.now
        let outcome = answer(request, operation: &label)
        return measured(outcome, operation: label, started: started, metrics: metrics)
    }

    /// Parses the body (its tree charged to `requestMemory`, given back once the answer is
    /// made: a tree that does not fit is a 413) and answers it.
    private func answer(_ request: IncomingRequest, operation label: inout String) -> Outcome {
        let parsed: Value
        let reservation: MemoryBudget.Reservation
        do {
            // The front end's reservation for the body is used first: the body's room and
            // the tree's come from one reservation, taken before the body was read.
            let prepaid = request.memory
            (parsed, reservation) = try JSON.parse(request.body, charging: prepaid?.budget ?? requestMemory,
                                                   prepaid: prepaid?.take() ?? 0)
        } catch let error as LyreError {
            return .immediate(response(for: request.body.isEmpty ? LyreError.invalidJSON : error))
        } catch {
            return .immediate(response(for: error))
        }
        return Self.holding(reservation, answer(request, parsed: parsed, operation: &label))
    }

    /// `outcome`, keeping `reservation` until its answer is made.
    private static func holding(_ reservation: MemoryBudget.Reservation, _ outcome: Outcome) -> Outcome {
        switch outcome {
        case .immediate:
            return outcome
        case .deferred(let run):
            return .deferred {
                let response = await run()
                withExtendedLifetime(reservation) {}
                return response
            }
        case .callback(let start):
            return .callback { respond in
                start { makeResponse in
                    withExtendedLifetime(reservation) {}
                    respond(makeResponse)
                }
            }
        }
    }

    private func answer(_ request: IncomingRequest, parsed: Value, operation label: inout String) -> Outcome {
        let body: JSONObject
        let operation: String
        do {
            guard case .object(var object) = parsed, !object.isEmpty else { throw LyreError.invalidJSON }
            guard case .string(let name)? = object["operation"], !name.isEmpty else {
                throw LyreError.missingOperation
            }
            for reserved in ["hdb_user", "hdbAuthHeader", "bypass_auth"] { object.removeValue(forKey: reserved) }
            body = object
            operation = name
            label = OperationName.named(name)?.canonical.rawValue ?? Self.unknownOperation
        } catch {
            return .immediate(response(for: error))
        }
        if let header = request.authorization, Authenticator.isBearer(header) {
            if let user = authenticator.cachedBearer(header) {
                authenticationAudit.succeeded(user, request)
                return dispatch(operation, body: body, user: user)
            }
            return .deferred { [self] in
                let user: User
                do {
                    user = try await authenticator.bearer(header, operation: OperationName.named(operation))
                } catch {
                    authenticationAudit.failed(request, body: body)
                    return response(for: error)
                }
                authenticationAudit.succeeded(user, request)
                return await dispatch(operation, body: body, user: user).response()
            }
        }
        let user: User
        do {
            if operation == OperationName.createAuthenticationTokens.rawValue, Self.hasBodyCredentials(body) {
                user = .anonymous  // the handler checks the body's credentials itself
            } else {
                user = try authenticator.authenticate(request, body: body, authorizeLocal: configuration.authorizeLocal)
                authenticationAudit.succeeded(user, request)
            }
        } catch {
            if (error as? LyreError)?.message != LyreError.mustLogin.message { authenticationAudit.failed(request, body: body) }
            return .immediate(response(for: error))
        }
        return dispatch(operation, body: body, user: user)
    }

    /// `create_authentication_tokens` skips authentication when the body names credentials.
    private static func hasBodyCredentials(_ body: JSONObject) -> Bool {
        func given(_ key: String) -> Bool {
            switch body[key] {
            case nil, .null?, .string("")?, .bool(false)?: false
            default: true
            }
        }
        return given("username") || given("password")
    }

    /// Looks up, authorizes and runs an authenticated request.
    private func dispatch(_ operation: String, body: JSONObject, user: User) -> Outcome {
        let name: OperationName
        let handler: Handler
        do {
            guard let operationName = OperationName.named(operation) else { throw LyreError.operationNotFound(operation) }
            guard let found = registry[operationName] else { throw LyreError.operationNotSupported(operation) }
            if user.method == .refreshToken, operationName != .refreshOperationToken { throw LyreError.invalidToken }
            try Authorization.checkOperation(operationName, body: body, user: user)
            try FilePathParameters.check(operationName.canonical, body: body)
            name = operationName
            handler = found
        } catch {
            return .immediate(response(for: error))
        }
        let req = Request(operation: name, body: body)
        let context = OperationContext(app: self, user: user)
        switch handler.body {
        case .sync(let run):
            do {
                return .immediate(OutgoingResponse(body: try run(req, context)))
            } catch {
                return .immediate(response(for: error))
            }
        case .async(let run):
            return .deferred { [self] in
                do {
                    return OutgoingResponse(body: try await run(req, context))
                } catch {
                    return response(for: error)
                }
            }
        case .response(let run):
            return .deferred { [self] in
                do { return try await run(req, context) } catch { return response(for: error) }
            }
        case .callback(let run):
            let pending: Handler.Pending
            do {
                pending = try run(req, context)
            } catch {
                return .immediate(response(for: error))
            }
            return .callback { [self] respond in
                pending { makeBody in
                    respond {
                        do { return OutgoingResponse(body: try makeBody()) } catch { return self.response(for: error) }
                    }
                }
            }
        }
    }

    /// The response for any error: a `LyreError` as itself, anything else a logged 500.
    func response(for error: any Error) -> OutgoingResponse {
        if let lyre = error as? LyreError {
            if lyre.status >= 500 { logger.error("request failed: \(lyre)") }
            return OutgoingResponse(error: lyre)
        }
        logger.error("unexpected failure: \(error)")
        return OutgoingResponse(error: .internalError())
    }

    /// Finishes pending writes and closes storage. Nothing is half-written.
    public func shutdown() {
        analytics.stop()
        cluster.stop()
        jobs.shutdown()
        downloads.shutdown()
        eventSink.finish()
        storage.close()
    }

    /// Re-reads `harperdb-config.yaml` (and `configuration.environment` overrides) into
    /// `configuration` and applies the log settings, `storage.writeAsync`, `metrics.*` and
    /// `analytics.*`. Storage stays open and jobs are untouched.
    /// - Throws: `LyreError` when the file is unreadable or invalid; the old configuration stays.
    @discardableResult
    public func reloadConfiguration() throws -> Configuration {
        var configuration = self.configuration
        try ConfigurationFile.apply(to: &configuration)
        current.withLock { $0 = configuration }
        let memory = configuration.requestMemory ?? MemoryBudget.defaultLimit()
        requestBudget.withLock { if $0.limit != memory { $0 = MemoryBudget(limit: memory) } }
        LyreLogging.apply(configuration)
        authenticationAudit.configure(configuration)
        storage.setWriteAsync(configuration.writeAsync)
        storage.setMaximumTransactionQueueTime(configuration.maximumTransactionQueueTime)
        storage.setAuditRetention(milliseconds: configuration.auditRetentionMilliseconds)
        applyObservability(configuration)
        return configuration
    }
}
