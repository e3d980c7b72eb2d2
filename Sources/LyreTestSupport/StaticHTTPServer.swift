import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A tiny HTTP/1.1 server on 127.0.0.1 (a free port) answering `GET` with fixed routes, for
/// `csv_url_load` tests. Each test starts its own; `close()` stops it.
///
/// It serves from a channel handler on NIO's event loops, never from Swift's cooperative
/// pool: a parallel test run can keep that pool's few threads busy with synchronous work
/// for a long time, and a server waiting for one of them answered so late that the
/// download's read timeout (60 s) fired (`ETIMEDOUT` in `emptyBodyEndsTheJob`, once).
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
        private let state = Mutex<(isOpen: Bool, waiting: [@Sendable () -> Void])>((false, []))

        public init() {}

        /// Lets held responses (present and future) send their bodies.
        public func open() {
            let waiting = state.withLock { s in
                s.isOpen = true
                defer { s.waiting = [] }
                return s.waiting
            }
            for action in waiting { action() }
        }

        /// Runs `action` once the gate is open (at once if it is).
        func whenOpen(_ action: @escaping @Sendable () -> Void) {
            let isOpen = state.withLock { s in
                if !s.isOpen { s.waiting.append(action) }
                return s.isOpen
            }
            if isOpen { action() }
        }
    }

    private let channel: any Channel
    /// Open connections, cut by `close()`.
    private let connections: Connections
    /// Headers of the last request per path.
    private final class Seen: Sendable {
        let headers = Mutex<[String: [(String, String)]]>([:])
    }
    private let seen = Seen()

    private final class Connections: Sendable {
        let open = Mutex<[ObjectIdentifier: any Channel]>([:])
    }

    /// The port the server listens on.
    public let port: Int

    /// Starts listening; unknown paths answer 404 with an empty body.
    public init(routes: [String: Route]) async throws {
        let seen = seen
        let connections = Connections()
        self.connections = connections
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                let id = ObjectIdentifier(child)
                connections.open.withLock { $0[id] = child }
                child.closeFuture.whenComplete { _ in _ = connections.open.withLock { $0.removeValue(forKey: id) } }
                return child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.configureHTTPServerPipeline()
                    try child.pipeline.syncOperations.addHandler(RouteHandler(routes: routes, seen: seen))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress?.port ?? 0
    }

    /// `http://127.0.0.1:<port><path>`.
    public func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// The headers of the last request for `path`, if one came.
    public func requestHeaders(_ path: String) -> [(String, String)]? { seen.headers.withLock { $0[path] } }

    /// Stops listening (connections in progress are cut).
    public func close() {
        channel.close(promise: nil)
        for connection in connections.open.withLock({ Array($0.values) }) { connection.close(promise: nil) }
    }

    deinit { close() }

    /// Answers each request of one connection from `routes`, on the connection's event loop.
    private final class RouteHandler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let routes: [String: Route]
        let seen: Seen
        private var head: HTTPRequestHead?
        /// The chunks of a chunked response still to send: sent while the channel is
        /// writable, resumed when it becomes writable again (the client reads).
        private var chunks: (next: Int, count: Int, make: @Sendable (Int) -> [UInt8])?

        init(routes: [String: Route], seen: Seen) {
            self.routes = routes
            self.seen = seen
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let h): head = h
            case .body: break
            case .end:
                guard let h = head else { return }
                head = nil
                respond(to: h, context: context)
            }
        }

        func channelWritabilityChanged(context: ChannelHandlerContext) {
            if context.channel.isWritable { sendChunks(context) }
            context.fireChannelWritabilityChanged()
        }

        private func respond(to h: HTTPRequestHead, context: ChannelHandlerContext) {
            let path = String(h.uri.split(separator: "?", maxSplits: 1).first ?? "")
            seen.headers.withLock { $0[path] = h.headers.map { ($0.name, $0.value) } }
            let route = routes[path] ?? Route(status: 404, contentType: "text/plain", body: .bytes([]))
            var headers = HTTPHeaders()
            if let type = route.contentType { headers.add(name: "Content-Type", value: type) }
            switch route.body {
            case .bytes(let bytes), .held(let bytes, _): headers.add(name: "Content-Length", value: String(bytes.count))
            case .chunked: headers.add(name: "Transfer-Encoding", value: "chunked")
            }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: h.version, status: .init(statusCode: route.status),
                                                                 headers: headers))), promise: nil)
            switch route.body {
            case .bytes(let bytes):
                if !bytes.isEmpty { context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: bytes)))), promise: nil) }
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            case .chunked(let count, let make):
                context.flush()
                chunks = (0, count, make)
                sendChunks(context)
            case .held(let bytes, let release):
                context.flush()
                let loop = context.eventLoop
                let bound = NIOLoopBound((handler: self, context: context), eventLoop: loop)
                release.whenOpen {
                    loop.execute {
                        let (handler, context) = bound.value
                        guard context.channel.isActive else { return }
                        context.write(handler.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: bytes)))), promise: nil)
                        context.writeAndFlush(handler.wrapOutboundOut(.end(nil)), promise: nil)
                    }
                }
            }
        }

        private func sendChunks(_ context: ChannelHandlerContext) {
            while let pending = chunks, context.channel.isWritable {
                guard pending.next < pending.count else {
                    chunks = nil
                    context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                    return
                }
                chunks = (pending.next + 1, pending.count, pending.make)
                let bytes = pending.make(pending.next)
                if !bytes.isEmpty {
                    context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: bytes)))), promise: nil)
                }
            }
        }
    }
}
