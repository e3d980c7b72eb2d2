import LyreCore
public import Logging

/// The Lyre application: storage, authentication and the operation registry behind one
/// entry point, `handle(_:)`, that front ends call with a request body and credentials.
///
/// ```swift
/// let app = try Application(configuration: .init(root: "/tmp/lyre"), logger: logger)
/// let outcome = app.handle(IncomingRequest(body: Array(#"{"operation":"describe_all"}"#.utf8),
///                                          authorization: "Basic ..."))
/// ```
public final class Application: Sendable {
    public let configuration: Configuration
    public let logger: Logger

    /// Opens (or creates) the root. On a root without users, `configuration.bootstrapAdmin`
    /// must be set.
    /// - Throws: `LyreError` with a one-line explanation when the root cannot be used.
    public init(configuration: Configuration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs one request: parse, authenticate, dispatch, encode.
    public func handle(_ request: IncomingRequest) -> Outcome {
        .immediate(OutgoingResponse(error: .operationNotSupported("unknown")))
    }

    /// Closes storage. Pending writes are finished first; nothing is half-written.
    public func shutdown() {}
}
