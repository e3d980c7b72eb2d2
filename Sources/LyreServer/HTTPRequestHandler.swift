import Logging
import LyreCore
import LyreOperations
import NIOCore
import NIOHTTP1

/// The one handler behind NIO's HTTP/1.1 codec: routes, aggregates the body, calls the
/// `RequestHandling` and writes its answer.
///
/// Requests arrive one at a time (`HTTPServerPipelineHandler` holds back pipelined ones
/// until the previous response ended), so the handler is a small state machine:
/// `idle -> receiving -> (responding) -> idle`, or `discarding` once it has answered
/// early (413) and is about to close.
final class HTTPRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum Route {
        case operation, health, preflight, notFound
    }

    /// What is kept from the request head until the response is written.
    private struct RequestInfo {
        var version: HTTPVersion
        var keepAlive: Bool
        var route: Route
        var acceptable: Bool
        var authorization: String?
        var origin: String?
    }

    private enum State {
        case idle
        case receiving(RequestInfo)
        /// `.end` seen, a deferred outcome is running.
        case responding(RequestInfo)
        /// Answered before the body was read; the connection closes after the write.
        case discarding
    }

    private let handler: any RequestHandling
    private let maximumBodySize: Int
    private let logger: Logger
    private var state = State.idle
    private var body: ByteBuffer?
    private var bodySize = 0
    private var remoteAddress: String?
    private var isClosed = false

    init(handler: any RequestHandling, maximumBodySize: Int, logger: Logger) {
        self.handler = handler
        self.maximumBodySize = maximumBodySize
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        remoteAddress = context.channel.remoteAddress?.ipAddress
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        isClosed = true
    }

    func channelActive(context: ChannelHandlerContext) {
        if remoteAddress == nil { remoteAddress = context.channel.remoteAddress?.ipAddress }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        isClosed = true
        body = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            receiveHead(head, context: context)
        case .body(let chunk):
            receiveBody(chunk, context: context)
        case .end:
            receiveEnd(context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is HTTPParserError {
            // HTTPServerProtocolErrorHandler already answered 400 and closes.
            logger.debug("Malformed HTTP request", metadata: ["error": "\(error)"])
            return
        }
        switch state {
        case .receiving(let info):
            logger.error("Request failed", metadata: ["error": "\(error)"])
            state = .discarding
            writeFixed(status: 500, body: ServerResponses.internalError, info: info, forceClose: true, context: context)
        case .idle, .responding, .discarding:
            logger.debug("Connection error", metadata: ["error": "\(error)"])
            context.close(promise: nil)
        }
    }

    // MARK: - Request parts

    private func receiveHead(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        guard case .idle = state else { return }
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let route: Route
        switch (head.method, path) {
        case (.POST, "/"): route = .operation
        case (.GET, "/health"): route = .health
        case (.OPTIONS, _): route = .preflight
        default: route = .notFound
        }
        let info = RequestInfo(
            version: head.version,
            keepAlive: head.isKeepAlive,
            route: route,
            acceptable: AcceptNegotiation.accepts(head.headers.first(name: "accept")),
            authorization: head.headers.first(name: "authorization"),
            origin: head.headers.first(name: "origin")
        )
        body = nil
        bodySize = 0

        if route == .operation {
            if let length = head.headers.first(name: "content-length").flatMap({ Int($0) }), length > maximumBodySize {
                rejectTooLarge(info, context: context)
                return
            }
            if head.headers.first(name: "expect")?.lowercased() == "100-continue" {
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))),
                                      promise: nil)
            }
        }
        state = .receiving(info)
    }

    private func receiveBody(_ chunk: ByteBuffer, context: ChannelHandlerContext) {
        guard case .receiving(let info) = state, info.route == .operation else { return }
        bodySize += chunk.readableBytes
        if bodySize > maximumBodySize {
            body = nil
            rejectTooLarge(info, context: context)
            return
        }
        if body == nil {
            body = chunk
        } else {
            var chunk = chunk
            body!.writeBuffer(&chunk)
        }
    }

    private func receiveEnd(context: ChannelHandlerContext) {
        guard case .receiving(let info) = state else { return }
        switch info.route {
        case .health:
            writeResponse(status: 200, contentType: "text/plain; charset=utf-8",
                          body: context.channel.allocator.buffer(bytes: ServerResponses.healthText),
                          info: info, context: context)
        case .preflight:
            writeResponse(status: 200, contentType: nil, body: context.channel.allocator.buffer(capacity: 0),
                          extraHeaders: [
                              ("Access-Control-Allow-Origin", info.origin ?? "*"),
                              ("Access-Control-Allow-Methods", ServerResponses.corsAllowMethods),
                              ("Access-Control-Allow-Headers", ServerResponses.corsAllowHeaders),
                          ],
                          info: RequestInfo(version: info.version, keepAlive: info.keepAlive, route: info.route,
                                            acceptable: true, authorization: nil, origin: nil),
                          context: context)
        case .notFound:
            writeFixed(status: 404, body: ServerResponses.notFound, info: info, context: context)
        case .operation:
            guard info.acceptable else {
                writeFixed(status: 406, body: ServerResponses.notAcceptable, info: info, context: context)
                return
            }
            dispatch(info, context: context)
        }
    }

    // MARK: - Dispatch

    private func dispatch(_ info: RequestInfo, context: ChannelHandlerContext) {
        let bytes = body.map { Array($0.readableBytesView) } ?? []
        body = nil
        let request = IncomingRequest(body: bytes, authorization: info.authorization, remoteAddress: remoteAddress)
        switch handler.handle(request) {
        case .immediate(let response):
            // The fast path: answered inline on the event loop, no task, no hop.
            write(response, info: info, context: context)
        case .deferred(let work):
            state = .responding(info)
            context.eventLoop.makeFutureWithTask(work).assumeIsolated().whenComplete { result in
                guard !self.isClosed else { return }
                switch result {
                case .success(let response):
                    self.write(response, info: info, context: context)
                case .failure(let error):
                    self.logger.error("Deferred request failed", metadata: ["error": "\(error)"])
                    self.writeFixed(status: 500, body: ServerResponses.internalError, info: info, context: context)
                }
            }
        }
    }

    // MARK: - Writing

    private func write(_ response: OutgoingResponse, info: RequestInfo, context: ChannelHandlerContext) {
        if case .stream(let stream) = response.body {
            writeStream(stream, status: response.status, extraHeaders: response.headers, info: info, context: context)
            return
        }
        let buffer: ByteBuffer
        let contentType: String
        switch response.body {
        case .json(let value):
            var output = context.channel.allocator.buffer(capacity: 256)
            JSON.write(value, into: &output)
            buffer = output
            contentType = "application/json; charset=utf-8"
        case .rawJSON(let bytes):
            buffer = context.channel.allocator.buffer(bytes: bytes)
            contentType = "application/json; charset=utf-8"
        case .binary(let bytes):
            buffer = context.channel.allocator.buffer(bytes: bytes)
            contentType = "application/octet-stream"
        case .stream:
            preconditionFailure("handled above")
        }
        writeResponse(status: response.status, contentType: contentType, body: buffer,
                      extraHeaders: response.headers, info: info, context: context)
    }

    private func writeFixed(status: Int, body: [UInt8], info: RequestInfo, forceClose: Bool = false,
                            context: ChannelHandlerContext) {
        writeResponse(status: status, contentType: "application/json; charset=utf-8",
                      body: context.channel.allocator.buffer(bytes: body),
                      info: info, forceClose: forceClose, context: context)
    }

    private func rejectTooLarge(_ info: RequestInfo, context: ChannelHandlerContext) {
        state = .discarding
        writeFixed(status: 413, body: ServerResponses.payloadTooLarge, info: info, forceClose: true, context: context)
    }

    private func writeResponse(
        status: Int, contentType: String?, body: ByteBuffer, extraHeaders: [(String, String)] = [],
        info: RequestInfo, forceClose: Bool = false, context: ChannelHandlerContext
    ) {
        let (head, keepAlive) = responseHead(status: status, contentType: contentType, contentLength: body.readableBytes,
                                             extraHeaders: extraHeaders, info: info, forceClose: forceClose)
        if case .discarding = state {} else { state = .idle }
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        writeEnd(keepAlive: keepAlive, context: context)
    }

    private func writeEnd(keepAlive: Bool, context: ChannelHandlerContext) {
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }

    /// The head of a response (extra headers, content type and length, CORS, connection),
    /// and whether the connection stays open after it.
    private func responseHead(
        status: Int, contentType: String?, contentLength: Int, extraHeaders: [(String, String)],
        info: RequestInfo, forceClose: Bool
    ) -> (HTTPResponseHead, keepAlive: Bool) {
        var headers = HTTPHeaders()
        headers.reserveCapacity(extraHeaders.count + 4)
        var closeRequested = forceClose
        var hasContentType = false
        for (name, value) in extraHeaders {
            if name.caseInsensitiveEquals("content-length") { continue }
            if name.caseInsensitiveEquals("connection") {
                if value.lowercased().contains("close") { closeRequested = true }
                continue
            }
            if name.caseInsensitiveEquals("content-type") { hasContentType = true }
            headers.add(name: name, value: value)
        }
        if !hasContentType, let contentType {
            headers.add(name: "Content-Type", value: contentType)
        }
        headers.add(name: "Content-Length", value: String(contentLength))
        if let origin = info.origin {
            headers.add(name: "Access-Control-Allow-Origin", value: origin)
        }
        let keepAlive = info.keepAlive && !closeRequested
        if !keepAlive {
            headers.add(name: "Connection", value: "close")
        } else if info.version.major == 1 && info.version.minor == 0 {
            headers.add(name: "Connection", value: "keep-alive")
        }
        let head = HTTPResponseHead(version: info.version, status: HTTPResponseStatus(statusCode: status), headers: headers)
        return (head, keepAlive)
    }

    // MARK: - Streamed bodies

    /// Writes the head with the stream's length, then one chunk at a time: the next chunk is
    /// read only when the previous write has completed (reached the socket), so a slow client
    /// holds back the reading instead of letting chunks pile up in memory.
    private func writeStream(_ stream: ByteStream, status: Int, extraHeaders: [(String, String)], info: RequestInfo,
                             context: ChannelHandlerContext) {
        let (head, keepAlive) = responseHead(status: status, contentType: "application/octet-stream",
                                             contentLength: stream.length, extraHeaders: extraHeaders, info: info,
                                             forceClose: false)
        state = .responding(info)
        context.writeAndFlush(wrapOutboundOut(.head(head))).assumeIsolated().whenComplete { result in
            switch result {
            case .success: self.pump(stream, written: 0, keepAlive: keepAlive, context: context)
            case .failure: self.abandon(stream, reason: nil, context: context)
            }
        }
    }

    private func pump(_ stream: ByteStream, written: Int, keepAlive: Bool, context: ChannelHandlerContext) {
        guard !isClosed else {
            stream.close()
            return
        }
        context.eventLoop.makeFutureWithTask { try await stream.next() }.assumeIsolated().whenComplete { result in
            guard !self.isClosed else {
                stream.close()
                return
            }
            switch result {
            case .success(let chunk?):
                let buffer = context.channel.allocator.buffer(bytes: chunk)
                context.writeAndFlush(self.wrapOutboundOut(.body(.byteBuffer(buffer)))).assumeIsolated().whenComplete { result in
                    switch result {
                    case .success: self.pump(stream, written: written + chunk.count, keepAlive: keepAlive, context: context)
                    case .failure: self.abandon(stream, reason: nil, context: context)
                    }
                }
            case .success(nil):
                stream.close()
                guard written == stream.length else {
                    self.abandon(stream, reason: "ended after \(written) of \(stream.length) bytes", context: context)
                    return
                }
                self.state = .idle
                self.writeEnd(keepAlive: keepAlive, context: context)
            case .failure(let error):
                self.abandon(stream, reason: "\(error)", context: context)
            }
        }
    }

    /// The head is out, so no error status can follow: the connection is closed, which the
    /// client sees as a body shorter than its `Content-Length`.
    private func abandon(_ stream: ByteStream, reason: String?, context: ChannelHandlerContext) {
        stream.close()
        if let reason { logger.error("Streamed response cut short", metadata: ["reason": "\(reason)"]) }
        state = .discarding
        context.close(promise: nil)
    }
}

extension String {
    /// ASCII case-insensitive equality, for header names.
    fileprivate func caseInsensitiveEquals(_ other: String) -> Bool {
        let a = utf8, b = other.utf8
        guard a.count == b.count else { return false }
        return zip(a, b).allSatisfy { x, y in
            x == y || (x | 0x20 == y | 0x20 && (x | 0x20) >= UInt8(ascii: "a") && (x | 0x20) <= UInt8(ascii: "z"))
        }
    }
}
