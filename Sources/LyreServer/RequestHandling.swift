public import LyreCore
public import LyreOperations

/// What the HTTP server calls for each `POST /`: the operation layer, or a fake in tests.
///
/// `handle(_:)` is called on a NIO event loop. Return `.immediate` for work that finishes
/// in microseconds (reads), `.deferred` for anything that waits (writes, jobs): the server
/// runs it in a `Task` and writes the answer back on the connection's event loop.
public protocol RequestHandling: Sendable {
    func handle(_ request: IncomingRequest) -> Outcome

    /// Whether `GET /` serves the web console (`localStudio.enabled`). Read per request, so
    /// a `restart` that changes the setting applies at once.
    var servesStudio: Bool { get }
    /// `GET /metrics` (the request's body is empty). Default: 404.
    func metricsExposition(_ request: IncomingRequest) -> Outcome
    /// A connection was accepted / closed (for `lyre_open_connections`). Default: nothing.
    func connectionOpened()
    func connectionClosed()
    /// Where request bodies are reserved while received (`operationsApi.network.requestMemory`);
    /// read per request. Default: nil (bodies limited only by their length).
    var bodyMemory: MemoryBudget? { get }
}

extension RequestHandling {
    public func metricsExposition(_ request: IncomingRequest) -> Outcome {
        .immediate(OutgoingResponse(status: 404, body: .json(["error": "Not found"])))
    }

    public func connectionOpened() {}
    public func connectionClosed() {}
    public var bodyMemory: MemoryBudget? { nil }
}

extension RequestHandling {
    public var servesStudio: Bool { false }
}

extension Application: RequestHandling {
    public var servesStudio: Bool { configuration.studioEnabled }
    public var bodyMemory: MemoryBudget? { requestMemory }
}
