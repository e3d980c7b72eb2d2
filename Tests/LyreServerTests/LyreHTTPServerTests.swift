import Logging
import LyreOperations
import LyreServer
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import ServiceLifecycle
import Testing

@Suite struct LyreHTTPServerTests {
    @Test func servesARealRequestOnAnEphemeralPortAndShutsDownGracefully() async throws {
        let handler = FakeHandler { request in
            .deferred { OutgoingResponse(body: .rawJSON(request.body)) }
        }
        let logger = Logger.quiet
        let server = LyreHTTPServer(host: "127.0.0.1", port: 0, handler: handler, logger: logger, numberOfThreads: 1)
        let group = ServiceGroup(configuration: .init(services: [.init(service: server)], logger: logger))

        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let port = try await server.boundPort
            #expect(port > 0)

            let body = #"{"operation":"describe_all"}"#
            let response = try await HTTPTestClient.post(port: port, body: Array(body.utf8))
            #expect(response.status == .ok)
            #expect(response.headers.first(name: "content-type") == "application/json; charset=utf-8")
            #expect(String(decoding: response.body, as: UTF8.self) == body)
            #expect(handler.requests.first?.remoteAddress == "127.0.0.1")

            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test func gracefulShutdownLetsAnInFlightRequestFinish() async throws {
        let started = AsyncStream.makeStream(of: Void.self)
        let handler = FakeHandler { _ in
            .deferred {
                started.continuation.yield()
                try? await Task.sleep(for: .milliseconds(300))
                return OutgoingResponse(body: .rawJSON(Array(#"{"done":true}"#.utf8)))
            }
        }
        let logger = Logger.quiet
        let server = LyreHTTPServer(host: "127.0.0.1", port: 0, handler: handler, logger: logger, numberOfThreads: 1)
        let group = ServiceGroup(configuration: .init(services: [.init(service: server)], logger: logger))

        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let port = try await server.boundPort
            let request = Task { try await HTTPTestClient.post(port: port, body: Array("{}".utf8)) }
            var iterator = started.stream.makeAsyncIterator()
            await iterator.next()
            await group.triggerGracefulShutdown()

            let response = try await request.value
            #expect(response.status == .ok)
            #expect(String(decoding: response.body, as: UTF8.self) == #"{"done":true}"#)
            try await tasks.waitForAll()
        }
    }

    @Test func bindFailureIsReportedToBoundPortWaiters() async throws {
        let logger = Logger.quiet
        let first = LyreHTTPServer(host: "127.0.0.1", port: 0, handler: FakeHandler.ok(), logger: logger,
                                   numberOfThreads: 1)
        let group = ServiceGroup(configuration: .init(services: [.init(service: first)], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let port = try await first.boundPort

            let second = LyreHTTPServer(host: "127.0.0.1", port: port, handler: FakeHandler.ok(), logger: logger,
                                        numberOfThreads: 1)
            let running = Task { try await second.run() }
            await #expect(throws: (any Error).self) { try await second.boundPort }
            await #expect(throws: (any Error).self) { try await running.value }

            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}

/// A one-shot HTTP/1.1 client on NIO, for talking to the real listener.
enum HTTPTestClient {
    struct Response: Sendable {
        var status: HTTPResponseStatus
        var headers: HTTPHeaders
        var body: [UInt8]
    }

    /// One `POST /` with `Connection: close`; over HTTPS when `tls` is given, checking the
    /// server's certificate against `serverHostname` (`nil`: against the IP address).
    static func post(port: Int, body: [UInt8], tls: NIOSSLContext? = nil,
                     serverHostname: String? = nil) async throws -> Response {
        let group = MultiThreadedEventLoopGroup.singleton
        let promise = group.next().makePromise(of: Response.self)
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: tls, serverHostname: serverHostname))
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector(promise: promise))
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "127.0.0.1:\(port)")
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: "\(body.count)")
        headers.add(name: "Connection", value: "close")
        let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/", headers: headers)
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil)
        try await channel.writeAndFlush(HTTPClientRequestPart.end(nil)).get()
        let response = try await promise.futureResult.get()
        try await channel.closeFuture.get()
        return response
    }

    private final class ResponseCollector: ChannelInboundHandler {
        typealias InboundIn = HTTPClientResponsePart
        private let promise: EventLoopPromise<Response>
        private var response: Response?
        private var completed = false

        init(promise: EventLoopPromise<Response>) { self.promise = promise }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                response = Response(status: head.status, headers: head.headers, body: [])
            case .body(let buffer):
                response?.body += Array(buffer.readableBytesView)
            case .end:
                if let response, !completed {
                    completed = true
                    promise.succeed(response)
                }
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            if !completed {
                completed = true
                promise.fail(error)
            }
            context.close(promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            if !completed {
                completed = true
                promise.fail(ChannelError.eof)
            }
        }
    }
}
