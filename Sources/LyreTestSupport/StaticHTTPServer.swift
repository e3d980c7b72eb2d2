import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A tiny HTTP/1.1 server on 127.0.0.1 (a free port) answering `GET` with fixed routes, for
/// `csv_url_load` tests. Each test starts its own; `close()` stops it.
///
/// ```swift
/// let server = try await StaticHTTPServer(routes: ["/dogs.csv": .init(body: .bytes(Array("id\n1\n".utf8)))])
/// defer { server.close() }
/// let url = server.url("/dogs.csv")
/// ```
public final class StaticHTTPServer: Sendable {
    /// What a path answers.
    public struct Route: Sendable {
        public var status: Int
        public var contentType: String?
        public var body: Body

        public init(status: Int = 200, contentType: String? = "text/csv", body: Body) {
            self.status = status
            self.contentType = contentType
            self.body = body
        }
    }

    public enum Body: Sendable {
        /// Sent with `Content-Length`.
        case bytes([UInt8])
        /// Sent with `Transfer-Encoding: chunked`, `count` chunks made on demand by `chunk(i)`
        /// and written one after another as the client reads (the body is never held whole).
        case chunked(count: Int, chunk: @Sendable (Int) -> [UInt8])
        /// Sent with `Content-Length`: the head at once, the bytes when `release` opens, so
        /// a download stays in progress for as long as a test needs.
        case held([UInt8], release: Release)
    }

    /// A gate a test opens once to let every `.held` response finish.
    public final class Release: Sendable {
        private let state = Mutex<(isOpen: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))

        public init() {}

        /// Lets held responses (present and future) send their bodies.
        public func open() {
            let waiting = state.withLock { s in
                s.isOpen = true
                defer { s.waiting = [] }
                return s.waiting
            }
            for continuation in waiting { continuation.resume() }
        }

        func wait() async {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let isOpen = state.withLock { s in
                    if !s.isOpen { s.waiting.append(continuation) }
                    return s.isOpen
                }
                if isOpen { continuation.resume() }
            }
        }
    }

    private let channel: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
    private let serving: Task<Void, Never>
    /// Headers of the last request per path.
    private final class Seen: Sendable {
        let headers = Mutex<[String: [(String, String)]]>([:])
    }
    private let seen = Seen()

    /// The port the server listens on.
    public let port: Int

    /// Starts listening; unknown paths answer 404 with an empty body.
    public init(routes: [String: Route]) async throws {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: child)
                }
            }
        self.channel = channel
        port = channel.channel.localAddress?.port ?? 0
        let seen = seen
        serving = Task {
            try? await channel.executeThenClose { connections in
                await withDiscardingTaskGroup { group in
                    do {
                        for try await connection in connections {
                            group.addTask { await Self.serve(connection, routes: routes, seen: seen) }
                        }
                    } catch {}
                }
            }
        }
    }

    /// `http://127.0.0.1:<port><path>`.
    public func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// The headers of the last request for `path`, if one came.
    public func requestHeaders(_ path: String) -> [(String, String)]? { seen.headers.withLock { $0[path] } }

    /// Stops listening (connections in progress are cut).
    public func close() {
        channel.channel.close(promise: nil)
        serving.cancel()
    }

    deinit { close() }

    private static func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>,
                              routes: [String: Route], seen: Seen) async {
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            for try await part in inbound {
                switch part {
                case .head(let h): head = h
                case .body: break
                case .end:
                    guard let h = head else { return }
                    let path = String(h.uri.split(separator: "?", maxSplits: 1).first ?? "")
                    seen.headers.withLock { $0[path] = h.headers.map { ($0.name, $0.value) } }
                    let route = routes[path] ?? Route(status: 404, contentType: "text/plain", body: .bytes([]))
                    var headers = HTTPHeaders()
                    if let type = route.contentType { headers.add(name: "Content-Type", value: type) }
                    switch route.body {
                    case .bytes(let bytes), .held(let bytes, _): headers.add(name: "Content-Length", value: String(bytes.count))
                    case .chunked: headers.add(name: "Transfer-Encoding", value: "chunked")
                    }
                    try await outbound.write(.head(HTTPResponseHead(version: h.version, status: .init(statusCode: route.status),
                                                                   headers: headers)))
                    switch route.body {
                    case .bytes(let bytes):
                        if !bytes.isEmpty { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: bytes)))) }
                    case .chunked(let count, let chunk):
                        for i in 0..<count { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: chunk(i))))) }
                    case .held(let bytes, let release):
                        await release.wait()
                        try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: bytes))))
                    }
                    try await outbound.write(.end(nil))
                    head = nil
                }
            }
        }
    }
}
