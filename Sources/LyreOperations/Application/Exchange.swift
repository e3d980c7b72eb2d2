public import LyreCore

/// One request as any front end (HTTP server, CLI, tests) hands it to the operation layer.
/// No HTTP types: the front end extracts what the layer needs.
public struct IncomingRequest: Sendable {
    /// The raw request body (a JSON object).
    public var body: [UInt8]
    /// The `Authorization` header value, if any (`Basic ...` / `Bearer ...`).
    public var authorization: String?
    /// The peer's IP address as text (`127.0.0.1`, `::1`), for `authorizeLocal`.
    public var remoteAddress: String?
    /// Whether it came over `operationsApi.network.domainSocket` (a file only the server's
    /// user can connect to): without credentials, it runs as the first super user.
    public var viaDomainSocket: Bool
    /// What the front end reserved for this body from `operationsApi.network.requestMemory`
    /// (the parse takes it over; nil: nothing reserved).
    public var memory: MemoryBudget.Reservation?

    public init(body: [UInt8], authorization: String? = nil, remoteAddress: String? = nil, viaDomainSocket: Bool = false,
                memory: MemoryBudget.Reservation? = nil) {
        self.memory = memory
        self.body = body
        self.authorization = authorization
        self.remoteAddress = remoteAddress
        self.viaDomainSocket = viaDomainSocket
    }
}

/// What the front end writes back.
public struct OutgoingResponse: Sendable {
    public enum Body: Sendable {
        /// A value to encode as JSON.
        case json(Value)
        /// JSON text already encoded (search results transcoded straight from storage).
        case rawJSON([UInt8])
        /// Binary bytes, sent with `application/octet-stream`.
        case binary([UInt8])
        /// Binary bytes read in chunks (`get_backup`), sent with `application/octet-stream`
        /// and `Content-Length: stream.length`. The front end must call `stream.close()`
        /// if it stops before the end (the client went away).
        case stream(ByteStream)
    }

    public var status: Int
    public var body: Body
    /// Extra headers (`Connection: close` for restarts, `Content-Disposition` for backups, `WWW-Authenticate` for 401s).
    public var headers: [(String, String)]

    public init(status: Int = 200, body: Body, headers: [(String, String)] = []) {
        self.status = status
        self.body = body
        self.headers = headers
    }

    /// The response for an error: its status and `{"error": ...}` (or structured) body.
    public init(error: LyreError) {
        self.status = error.status
        self.body = .json(error.responseBody)
        self.headers = error.status == 401 ? [("WWW-Authenticate", "Basic")] : []
    }
}

/// How a request completes: reads finish inline on the caller's thread (no task hop);
/// writes and long work continue asynchronously.
public enum Outcome: Sendable {
    case immediate(OutgoingResponse)
    case deferred(@Sendable () async -> OutgoingResponse)
    /// Completes from another thread without a task: call `start` once with a `respond`
    /// function; the operation calls it (from any thread, e.g. the storage writer right
    /// after a commit) with a function that makes the response, which the front end then
    /// runs on its own thread. Writes use it: one thread hop instead of three.
    case callback(@Sendable (_ respond: @escaping Respond) -> Void)

    /// What `callback` operations call when done, with the function that makes the response.
    public typealias Respond = @Sendable (_ makeResponse: @escaping @Sendable () -> OutgoingResponse) -> Void

    /// The response, however the outcome completes (for front ends that just await).
    public func response() async -> OutgoingResponse {
        switch self {
        case .immediate(let response):
            return response
        case .deferred(let run):
            return await run()
        case .callback(let start):
            return await withCheckedContinuation { continuation in
                start { makeResponse in continuation.resume(returning: makeResponse()) }
            }
        }
    }
}
