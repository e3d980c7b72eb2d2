#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import LyreCore
import LyreOperations
import NIOCore

/// The whole HTTP/1.1 server side of one connection: frames requests out of the byte
/// stream, routes them, calls the `RequestHandling` and writes its answers.
///
/// One handler instead of NIO's decoder, pipelining handler, error handler, encoder and a
/// request handler: a request costs one `channelRead` and one `write` of one buffer.
///
/// Requests are handled one at a time in arrival order. While a deferred answer is
/// running, further bytes are only buffered, and reads stop once the buffered bytes pass
/// the body limit (backpressure), so pipelined requests are answered in order.
///
/// ```
/// head ──▶ body (length | chunks ▶ trailers) ──▶ complete ──▶ head …
///                                                  └─ deferred ─▶ responding ─▶ head …
/// any malformed input ──▶ 400 / 413 / 431 ──▶ closing
/// ```
final class HTTPConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Longest request head accepted (NIO's default limit too).
    static let maximumHeadSize = 80 * 1024
    /// Longest chunk-size or trailer line.
    static let maximumLineSize = 4 * 1024

    private enum Route {
        case operation, health, preflight, notFound
    }

    /// What is kept of a request head until its response is written.
    private struct RequestInfo {
        var minorVersion: Int
        var isHead: Bool
        var keepAlive: Bool
        var route: Route
        var acceptable: Bool
        var authorization: String?
        var origin: String?
    }

    private enum Phase {
        case head
        case fixedBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        /// The request is complete and its deferred answer is running.
        case responding
        /// Answered an error (or `Connection: close`); nothing more is read.
        case closing
    }

    private let handler: any RequestHandling
    private let maximumBodySize: Int
    private let logger: Logger

    private var phase = Phase.head
    /// Bytes received and not yet consumed.
    private var inbound: ByteBuffer?
    /// Where the search for the head's end resumes (bytes before it were already scanned).
    private var headScanOffset = 0
    private var request: RequestInfo?
    private var body: ByteBuffer?
    private var bodySize = 0
    private var remoteAddress: String?
    private var isClosed = false
    private var quiescing = false
    private var readHeld = false
    private var needsFlush = false

    init(handler: any RequestHandling, maximumBodySize: Int, logger: Logger) {
        self.handler = handler
        self.maximumBodySize = maximumBodySize
        self.logger = logger
    }

    // MARK: - Channel events

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
        inbound = nil
        body = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if case .closing = phase { return }
        if inbound == nil || inbound!.readableBytes == 0 {
            inbound = bytes
        } else {
            inbound!.writeBuffer(&bytes)
        }
        process(context: context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushIfNeeded(context: context)
        context.fireChannelReadComplete()
    }

    /// Holds reads while an answer is pending and enough is buffered: the client waits.
    func read(context: ChannelHandlerContext) {
        if case .responding = phase, (inbound?.readableBytes ?? 0) > maximumBodySize + Self.maximumHeadSize {
            readHeld = true
            return
        }
        context.read()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            quiescing = true
            if case .head = phase, (inbound?.readableBytes ?? 0) == 0 {
                phase = .closing
                context.close(promise: nil)
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch phase {
        case .fixedBody, .chunkSize, .chunkData, .chunkDataEnd, .trailers:
            logger.error("Request failed", metadata: ["error": "\(error)"])
            if let request {
                phase = .closing
                writeFixed(status: 500, body: ServerResponses.internalError, info: request, forceClose: true,
                           context: context)
            } else {
                context.close(promise: nil)
            }
        case .head, .responding, .closing:
            logger.debug("Connection error", metadata: ["error": "\(error)"])
            phase = .closing
            context.close(promise: nil)
        }
    }

    // MARK: - Framing

    /// Consumes as many complete requests (or parts of one) as the buffered bytes hold.
    private func process(context: ChannelHandlerContext) {
        while !isClosed, var buffer = inbound {
            inbound = nil  // keep `buffer` uniquely referenced while it is consumed
            let progressed = step(&buffer, context: context)
            if case .closing = phase { return }
            inbound = buffer
            if !progressed { break }
        }
        if let buffer = inbound, buffer.readableBytes == 0 {
            inbound = nil
            headScanOffset = 0
        }
    }

    /// One step of the framing state machine. - Returns: whether it consumed or completed anything.
    private func step(_ buffer: inout ByteBuffer, context: ChannelHandlerContext) -> Bool {
        switch phase {
        case .head:
            // RFC 9112 §2.2: empty lines before a request line are ignored.
            while headScanOffset == 0, buffer.readableBytes >= 2,
                  buffer.getInteger(at: buffer.readerIndex, as: UInt16.self) == 0x0D0A {
                buffer.moveReaderIndex(forwardBy: 2)
            }
            guard let end = findHeadEnd(buffer) else {
                if buffer.readableBytes > Self.maximumHeadSize {
                    refuse(status: 431, context: context)
                }
                return false
            }
            headScanOffset = 0
            let parsed = buffer.withUnsafeReadableBytes { bytes in
                Result { () throws(RequestHead.Malformed) in try RequestHead.parse(UnsafeRawBufferPointer(rebasing: bytes[..<end])) }
            }
            buffer.moveReaderIndex(forwardBy: end + 4)
            switch parsed {
            case .success(let head): begin(head, context: context)
            case .failure(let error):
                logger.debug("Malformed HTTP request", metadata: ["error": "\(error)"])
                refuse(status: 400, context: context)
            }
            return true

        case .fixedBody(let remaining):
            if remaining > 0 {
                guard buffer.readableBytes > 0 else { return false }
                let taken = min(remaining, buffer.readableBytes)
                appendBody(&buffer, count: taken)
                phase = .fixedBody(remaining: remaining - taken)
                if remaining > taken { return true }
            }
            complete(context: context)
            return true

        case .chunkSize:
            guard let line = readLine(&buffer, context: context) else { return false }
            let digits = RequestHead.trimmed(line.prefix { $0 != UInt8(ascii: ";") })
            guard let size = Self.parseHex(digits) else {
                refuse(status: 400, context: context)
                return true
            }
            if size == 0 {
                phase = .trailers
            } else if request?.route == .operation, bodySize + size > maximumBodySize {
                rejectTooLarge(context: context)
            } else {
                phase = .chunkData(remaining: size)
            }
            return true

        case .chunkData(let remaining):
            guard buffer.readableBytes > 0 else { return false }
            let taken = min(remaining, buffer.readableBytes)
            appendBody(&buffer, count: taken)
            phase = remaining > taken ? .chunkData(remaining: remaining - taken) : .chunkDataEnd
            return true

        case .chunkDataEnd:
            guard buffer.readableBytes >= 2 else { return false }
            guard buffer.readInteger(as: UInt16.self) == 0x0D0A else {
                refuse(status: 400, context: context)
                return true
            }
            phase = .chunkSize
            return true

        case .trailers:
            guard let line = readLine(&buffer, context: context) else { return false }
            if line.isEmpty { complete(context: context) }
            return true

        case .responding, .closing:
            return false
        }
    }

    /// The offset of the `CRLF CRLF` that ends the head, scanning only bytes not seen before.
    private func findHeadEnd(_ buffer: ByteBuffer) -> Int? {
        let found: Int? = buffer.withUnsafeReadableBytes { bytes -> Int? in
            guard let base = bytes.baseAddress else { return nil }
            // Jump from LF to LF (memchr) and look back for CR LF CR.
            var from = max(3, headScanOffset)
            while from < bytes.count,
                  let hit = memchr(base + from, Int32(UInt8(ascii: "\n")), bytes.count - from) {
                let lf = base.distance(to: UnsafeRawPointer(hit))
                if bytes[lf - 1] == UInt8(ascii: "\r"), bytes[lf - 2] == UInt8(ascii: "\n"),
                   bytes[lf - 3] == UInt8(ascii: "\r") {
                    return lf - 3
                }
                from = lf + 1
            }
            return nil
        }
        if found == nil { headScanOffset = buffer.readableBytes }
        return found
    }

    /// A CRLF-terminated line (chunk size, trailer), without its CRLF.
    private func readLine(_ buffer: inout ByteBuffer, context: ChannelHandlerContext) -> [UInt8]? {
        let view = buffer.readableBytesView
        guard let lf = view.firstIndex(of: UInt8(ascii: "\n")) else {
            if view.count > Self.maximumLineSize { refuse(status: 400, context: context) }
            return nil
        }
        let lineLength = lf - view.startIndex
        guard lineLength >= 1, view[lf - 1] == UInt8(ascii: "\r"), lineLength <= Self.maximumLineSize else {
            refuse(status: 400, context: context)
            return nil
        }
        let line = buffer.readBytes(length: lineLength - 1) ?? []
        buffer.moveReaderIndex(forwardBy: 2)
        return line
    }

    private static func parseHex(_ digits: ArraySlice<UInt8>) -> Int? {
        guard !digits.isEmpty, digits.count <= 15 else { return nil }
        var value = 0
        for digit in digits {
            let nibble: UInt8
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = digit - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = digit - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | Int(nibble)
        }
        return value
    }

    private func appendBody(_ buffer: inout ByteBuffer, count: Int) {
        guard request?.route == .operation else {
            buffer.moveReaderIndex(forwardBy: count)  // other routes ignore their bodies
            return
        }
        bodySize += count
        if body == nil {
            body = buffer.readSlice(length: count)
        } else {
            var slice = buffer.readSlice(length: count)!
            body!.writeBuffer(&slice)
        }
    }

    // MARK: - Requests

    private func begin(_ head: RequestHead, context: ChannelHandlerContext) {
        let route: Route = switch (head.method, head.path) {
        case (.post, "/"): .operation
        case (.get, "/health"): .health
        case (.options, _): .preflight
        default: .notFound
        }
        let info = RequestInfo(
            minorVersion: head.minorVersion,
            isHead: head.method == .head,
            keepAlive: head.keepAlive,
            route: route,
            acceptable: AcceptNegotiation.accepts(head.accept),
            authorization: head.authorization,
            origin: head.origin)
        request = info
        body = nil
        bodySize = 0

        if route == .operation {
            if case .length(let length) = head.framing, length > maximumBodySize {
                rejectTooLarge(context: context)
                return
            }
            if head.expectsContinue {
                var interim = ResponseHead(status: 100, minorVersion: head.minorVersion)
                interim.finish()
                context.write(wrapOutboundOut(context.channel.allocator.buffer(bytes: interim.bytes)), promise: nil)
                needsFlush = true
            }
        }
        switch head.framing {
        case .length(let length): phase = .fixedBody(remaining: length)
        case .chunked: phase = .chunkSize
        }
    }

    private func complete(context: ChannelHandlerContext) {
        guard let info = request else { return }
        phase = .head
        switch info.route {
        case .health:
            writeResponse(status: 200, contentType: "text/plain; charset=utf-8",
                          body: ResponseBody(allocator: context.channel.allocator, bytes: ServerResponses.healthText),
                          info: info, context: context)
        case .preflight:
            writeResponse(status: 200, contentType: nil,
                          body: ResponseBody(allocator: context.channel.allocator, capacity: 0),
                          extraHeaders: [
                              ("Access-Control-Allow-Origin", info.origin ?? "*"),
                              ("Access-Control-Allow-Methods", ServerResponses.corsAllowMethods),
                              ("Access-Control-Allow-Headers", ServerResponses.corsAllowHeaders),
                          ],
                          info: RequestInfo(minorVersion: info.minorVersion, isHead: info.isHead,
                                            keepAlive: info.keepAlive, route: info.route, acceptable: true,
                                            authorization: nil, origin: nil),
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

    private func dispatch(_ info: RequestInfo, context: ChannelHandlerContext) {
        let bytes = body.map { Array($0.readableBytesView) } ?? []
        body = nil
        let incoming = IncomingRequest(body: bytes, authorization: info.authorization, remoteAddress: remoteAddress)
        switch handler.handle(incoming) {
        case .immediate(let response):
            // The fast path: answered inline on the event loop, no task, no hop.
            write(response, info: info, context: context)
        case .deferred(let work):
            phase = .responding
            context.eventLoop.makeFutureWithTask(work).assumeIsolated().whenComplete { result in
                switch result {
                case .success(let response):
                    self.finishDeferred(response, info: info, context: context)
                case .failure(let error):
                    self.logger.error("Deferred request failed", metadata: ["error": "\(error)"])
                    self.finishDeferred(nil, info: info, context: context)
                }
            }
        case .callback(let start):
            phase = .responding
            let loop = context.eventLoop
            let bound = NIOLoopBound((handler: self, context: context), eventLoop: loop)
            start { makeResponse in
                // Called on whatever thread finished the work (the storage writer): hop once.
                loop.execute {
                    bound.value.handler.finishDeferred(makeResponse(), info: info, context: bound.value.context)
                }
            }
        }
    }

    /// Writes a deferred answer (`nil`: it failed unexpectedly, answer 500) and goes on.
    private func finishDeferred(_ response: OutgoingResponse?, info: RequestInfo, context: ChannelHandlerContext) {
        guard !isClosed else { return }
        phase = .head
        if let response {
            write(response, info: info, context: context)
        } else {
            writeFixed(status: 500, body: ServerResponses.internalError, info: info, context: context)
        }
        flushIfNeeded(context: context)
        resume(context: context)
    }

    /// After a deferred answer: serve what was pipelined meanwhile, and read again.
    private func resume(context: ChannelHandlerContext) {
        guard case .head = phase, !isClosed else { return }
        process(context: context)
        flushIfNeeded(context: context)
        if readHeld, !isClosed {
            readHeld = false
            context.read()
        }
    }

    // MARK: - Writing

    private func write(_ response: OutgoingResponse, info: RequestInfo, context: ChannelHandlerContext) {
        if case .stream(let stream) = response.body {
            writeStream(stream, status: response.status, extraHeaders: response.headers, info: info, context: context)
            return
        }
        let allocator = context.channel.allocator
        let body: ResponseBody
        let contentType: String
        switch response.body {
        case .json(let value):
            var output = ResponseBody(allocator: allocator, capacity: 256)
            JSON.write(value, into: &output.buffer)
            body = output
            contentType = "application/json; charset=utf-8"
        case .rawJSON(let bytes):
            body = ResponseBody(allocator: allocator, bytes: bytes)
            contentType = "application/json; charset=utf-8"
        case .binary(let bytes):
            body = ResponseBody(allocator: allocator, bytes: bytes)
            contentType = "application/octet-stream"
        case .stream:
            preconditionFailure("streams are written by writeStream")
        }
        writeResponse(status: response.status, contentType: contentType, body: body,
                      extraHeaders: response.headers, info: info, context: context)
    }

    private func writeFixed(status: Int, body: [UInt8], info: RequestInfo, forceClose: Bool = false,
                            context: ChannelHandlerContext) {
        writeResponse(status: status, contentType: "application/json; charset=utf-8",
                      body: ResponseBody(allocator: context.channel.allocator, bytes: body),
                      info: info, forceClose: forceClose, context: context)
    }

    private func rejectTooLarge(context: ChannelHandlerContext) {
        guard let info = request else { return refuse(status: 413, context: context) }
        phase = .closing
        body = nil
        writeFixed(status: 413, body: ServerResponses.payloadTooLarge, info: info, forceClose: true, context: context)
    }

    /// Answers a request that cannot be framed (no usable head) and closes.
    private func refuse(status: Int, context: ChannelHandlerContext) {
        phase = .closing
        inbound = nil
        body = nil
        var head = ResponseHead(status: status, minorVersion: 1)
        head.addContentLength(0)
        head.add("Connection", "close")
        head.finish()
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: head.bytes))).assumeIsolated()
            .whenComplete { _ in context.close(promise: nil) }
    }

    /// The head of a response (extra headers, content type and length, CORS, connection)
    /// and whether the connection stays open after it.
    private func makeHead(
        status: Int, contentType: String?, contentLength: Int, extraHeaders: [(String, String)],
        info: RequestInfo, forceClose: Bool
    ) -> (head: ResponseHead, keepAlive: Bool) {
        var head = ResponseHead(status: status, minorVersion: info.minorVersion)
        var closeRequested = forceClose || quiescing
        var hasContentType = false
        for (name, value) in extraHeaders {
            if name.caseInsensitiveEquals("content-length") { continue }
            if name.caseInsensitiveEquals("connection") {
                if value.lowercased().contains("close") { closeRequested = true }
                continue
            }
            if name.caseInsensitiveEquals("content-type") { hasContentType = true }
            head.add(name, value)
        }
        if !hasContentType, let contentType {
            head.add("Content-Type", contentType)
        }
        head.addContentLength(contentLength)
        if let origin = info.origin {
            head.add("Access-Control-Allow-Origin", origin)
        }
        let keepAlive = info.keepAlive && !closeRequested
        if !keepAlive {
            head.add("Connection", "close")
        } else if info.minorVersion == 0 {
            head.add("Connection", "keep-alive")
        }
        head.finish()
        return (head, keepAlive)
    }

    private func writeResponse(
        status: Int, contentType: String?, body: ResponseBody, extraHeaders: [(String, String)] = [],
        info: RequestInfo, forceClose: Bool = false, context: ChannelHandlerContext
    ) {
        let (head, keepAlive) = makeHead(status: status, contentType: contentType, contentLength: body.count,
                                         extraHeaders: extraHeaders, info: info, forceClose: forceClose)
        var body = body
        var buffers: [ByteBuffer] = []
        if info.isHead {
            // HEAD: the same head, no body.
            buffers = [context.channel.allocator.buffer(bytes: head.bytes)]
        } else if body.prepend(head.bytes) {
            buffers = [body.buffer]
        } else {
            buffers = [context.channel.allocator.buffer(bytes: head.bytes), body.buffer]
        }
        let last = buffers.removeLast()
        for buffer in buffers { context.write(wrapOutboundOut(buffer), promise: nil) }
        if keepAlive {
            // Flushed once per read batch (`channelReadComplete`) or after a deferred answer.
            context.write(wrapOutboundOut(last), promise: nil)
            needsFlush = true
        } else {
            phase = .closing
            inbound = nil
            needsFlush = false
            context.writeAndFlush(wrapOutboundOut(last)).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }

    // MARK: - Streamed bodies

    /// Writes the head with the stream's length, then one chunk at a time: the next chunk is
    /// read only when the previous write has completed (reached the socket), so a slow client
    /// holds back the reading instead of letting chunks pile up in memory.
    private func writeStream(_ stream: ByteStream, status: Int, extraHeaders: [(String, String)], info: RequestInfo,
                             context: ChannelHandlerContext) {
        let (head, keepAlive) = makeHead(status: status, contentType: "application/octet-stream",
                                         contentLength: stream.length, extraHeaders: extraHeaders, info: info,
                                         forceClose: false)
        phase = .responding
        needsFlush = false
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: head.bytes))).assumeIsolated()
            .whenComplete { result in
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
                context.writeAndFlush(self.wrapOutboundOut(buffer)).assumeIsolated().whenComplete { result in
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
                if keepAlive {
                    self.phase = .head
                    self.resume(context: context)
                } else {
                    self.phase = .closing
                    context.close(promise: nil)
                }
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
        phase = .closing
        inbound = nil
        context.close(promise: nil)
    }

    private func flushIfNeeded(context: ChannelHandlerContext) {
        guard needsFlush else { return }
        needsFlush = false
        context.flush()
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
