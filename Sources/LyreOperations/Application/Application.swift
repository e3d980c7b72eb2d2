import LyreCore
public import Logging
import LyreAuth
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

    /// Opens (or creates) the root. On a root without users, `configuration.bootstrapAdmin`
    /// must be set: it creates the super user, the `system` tables and the `data` database.
    /// - Throws: `LyreError` with a one-line explanation when the root cannot be used.
    public init(configuration: Configuration, logger: Logger) throws {
        current = Mutex(configuration)
        (events, eventSink) = AsyncStream.makeStream(of: ApplicationEvent.self, bufferingPolicy: .unbounded)
        self.logger = logger
        let storage: StorageEngine
        do {
            storage = try StorageEngine(root: configuration.root, durable: configuration.durableWrites, logger: logger)
        } catch let error as LyreError {
            throw error
        } catch {
            throw LyreError(.internalError, status: 500, "cannot open the root '\(configuration.root)': \(error)")
        }
        self.storage = storage
        registry = OperationRegistry.standard()
        authenticator = Authenticator(storage: storage, hasher: PasswordHasher(rounds: configuration.passwordHashRounds))
        jobs = JobRunner(storage: storage, logger: logger)
        do {
            try SystemDatabase.bootstrap(storage: storage, configuration: configuration, hasher: authenticator.hasher, logger: logger)
        } catch {
            storage.close()
            throw error
        }
        JobStore.recoverInterrupted(storage, logger: logger)
    }

    /// Runs one request: parse, authenticate, look up, authorize, execute, encode.
    /// Errors become their status and `{"error": ...}` body; anything unexpected is a logged 500.
    public func handle(_ request: IncomingRequest) -> Outcome {
        let body: JSONObject
        let name: OperationName
        let handler: Handler
        let user: User
        do {
            let parsed: Value
            do { parsed = try JSON.parse(request.body) } catch let error as LyreError {
                throw request.body.isEmpty ? LyreError.invalidJSON : error
            }
            guard case .object(var object) = parsed, !object.isEmpty else { throw LyreError.invalidJSON }
            guard case .string(let operation)? = object["operation"], !operation.isEmpty else {
                throw LyreError.missingOperation
            }
            for reserved in ["hdb_user", "hdbAuthHeader", "bypass_auth"] { object.removeValue(forKey: reserved) }
            body = object
            user = try authenticator.authenticate(request, body: object, authorizeLocal: configuration.authorizeLocal)
            guard let operationName = OperationName(rawValue: operation) else { throw LyreError.operationNotFound(operation) }
            guard let found = registry[operationName] else { throw LyreError.operationNotSupported(operation) }
            try Authorization.checkOperation(operationName, user: user)
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
        jobs.shutdown()
        eventSink.finish()
        storage.close()
    }

    /// Re-reads `harperdb-config.yaml` (and `configuration.environment` overrides) into
    /// `configuration` and applies the log settings. Storage and jobs are untouched.
    /// - Throws: `LyreError` when the file is unreadable or invalid; the old configuration stays.
    @discardableResult
    public func reloadConfiguration() throws -> Configuration {
        var configuration = self.configuration
        try ConfigurationFile.apply(to: &configuration)
        current.withLock { $0 = configuration }
        LyreLogging.apply(configuration)
        return configuration
    }
}
