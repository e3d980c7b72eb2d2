#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import LyreCore
import LyreOperations
import LyreStudio
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

    enum Route {
        case operation, health, metrics, preflight, notFound
        /// A static page: the web console's files, or the "running" page (``RequestInfo/page``).
        case page
    }

    /// What is kept of a request head until its response is written.
    struct RequestInfo {
        var minorVersion: Int
        var isHead: Bool
        var keepAlive: Bool
        var route: Route
        var acceptable: Bool
        var authorization: String?
        var origin: String?
        /// What a `.page` route answers.
        var page: Studio.Asset? = nil
    }

    enum Phase {
        case head
        /// A body of this length waits for `operationsApi.network.requestMemory` to have
        /// room (reads are held; `retryMemory` tries again).
        case awaitingMemory(length: Int, expectsContinue: Bool)
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

    let handler: any RequestHandling
    let maximumBodySize: Int
    let logger: Logger
    let limits: ConnectionLimits

    /// When the connection last became idle (opened, or its last answer written).
    var idleSince = NIODeadline.now()
    /// When the first byte of the request head being received arrived.
    var headStarted: NIODeadline?
    /// When the current request's head was complete (body and answer time count from it).
    var requestStarted: NIODeadline?
    /// The one pending timer of this connection and when it fires. It is not moved for
    /// every request: when it fires it looks at the deadline then in force and re-arms for
    /// it, so a busy keep-alive connection costs a clock read per request, not a timer.
    var timer: Scheduled<Void>?
    var timerFiresAt: NIODeadline?

    var phase = Phase.head
    /// Bytes received and not yet consumed.
    var inbound: ByteBuffer?
    /// Where the search for the head's end resumes (bytes before it were already scanned).
    var headScanOffset = 0
    var request: RequestInfo?
    var body: ByteBuffer?
    var bodySize = 0
    /// Bytes of the body reserved from `bodyBudget` (given back once the body is handed over).
    var bodyReservation = 0
    var bodyBudget: MemoryBudget?
    var remoteAddress: String?
    /// Accepted on a Unix domain socket (`operationsApi.network.domainSocket`).
    var viaDomainSocket = false
    var isClosed = false
    /// Whether `connectionOpened()` was reported (so `connectionClosed()` is reported once).
    var counted = false
    var quiescing = false
    var readHeld = false
    var needsFlush = false
    /// Where answers finished on other threads are posted (looked up once per connection).
    private var mailbox: LoopMailbox?
    /// The deferred request's `ReadCancellation` token: cancelled on timeout or disconnection.
    var readCancellation: ReadCancellation.Token?

    init(handler: any RequestHandling, maximumBodySize: Int, logger: Logger, limits: ConnectionLimits = .untimed) {
        self.handler = handler
        self.maximumBodySize = maximumBodySize
        self.logger = logger
        self.limits = limits
    }

    // MARK: - Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        remoteAddress = context.channel.remoteAddress?.ipAddress
        if case .unixDomainSocket? = context.channel.localAddress { viaDomainSocket = true }
        counted = true
        handler.connectionOpened()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if counted {
            counted = false
            handler.connectionClosed()
        }
        isClosed = true
        timer?.cancel()
        timer = nil
        releaseBodyMemory()
    }

    func channelActive(context: ChannelHandlerContext) {
        if remoteAddress == nil { remoteAddress = context.channel.remoteAddress?.ipAddress }
        idleSince = .now()
        armTimer(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        readCancellation?.cancel()
        isClosed = true
        inbound = nil
        body = nil
        releaseBodyMemory()
        timer?.cancel()
        timer = nil
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

    /// Holds reads while an answer is pending (or a body waits for memory) and enough is
    /// buffered: the client waits.
    func read(context: ChannelHandlerContext) {
        if holdsReads {
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
        case .awaitingMemory, .fixedBody, .chunkSize, .chunkData, .chunkDataEnd, .trailers:
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
    func process(context: ChannelHandlerContext) {
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
        if case .head = phase, inbound != nil, headStarted == nil { headStarted = .now() }
        armTimer(context: context)
    }

    /// One step of the framing state machine. - Returns: whether it consumed or completed anything.
    func step(_ buffer: inout ByteBuffer, context: ChannelHandlerContext) -> Bool {
        switch phase {
        case .head:
            // RFC 9112 §2.2: empty lines before a request line are ignored. A buffer starts
            // with CRLF only before its request line, even when bytes were scanned already:
            // a CR that came alone in one read and its LF in the next (found by fuzzing).
            while buffer.readableBytes >= 2,
                  buffer.getInteger(at: buffer.readerIndex, as: UInt16.self) == 0x0D0A {
                buffer.moveReaderIndex(forwardBy: 2)
                headScanOffset = max(0, headScanOffset - 2)
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
            } else if request?.route == .operation, bodySize + size > maximumBodySize || !reserveChunk(size) {
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

        case .awaitingMemory, .responding, .closing:
            return false
        }
    }

    /// The offset of the `CRLF CRLF` that ends the head, scanning only bytes not seen before.
    func findHeadEnd(_ buffer: ByteBuffer) -> Int? {
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
    func readLine(_ buffer: inout ByteBuffer, context: ChannelHandlerContext) -> [UInt8]? {
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

    func appendBody(_ buffer: inout ByteBuffer, count: Int) {
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

    func begin(_ head: RequestHead, context: ChannelHandlerContext) {
        let page: Studio.Asset? = switch head.method {
        case .get, .head: staticPage(path: head.path)
        default: nil
        }
        let route: Route = switch (head.method, head.path) {
        case (.post, "/"): .operation
        case (.get, "/health"): .health
        case (.get, "/metrics"): .metrics
        case (.options, _): .preflight
        case (.get, _) where page != nil, (.head, _) where page != nil: .page
        default: .notFound
        }
        let info = RequestInfo(
            minorVersion: head.minorVersion,
            isHead: head.method == .head,
            keepAlive: head.keepAlive,
            route: route,
            acceptable: AcceptNegotiation.accepts(head.accept),
            authorization: head.authorization,
            origin: head.origin,
            page: page)
        request = info
        body = nil
        bodySize = 0
        releaseBodyMemory()
        requestStarted = headStarted ?? .now()
        headStarted = nil

        if route == .operation {
            if case .length(let length) = head.framing {
                guard length <= maximumBodySize else { return rejectTooLarge(context: context) }
                guard reserveBody(length, expectsContinue: head.expectsContinue, context: context) else { return }
            }
            if head.expectsContinue { sendContinue(context: context) }
        }
        switch head.framing {
        case .length(let length): phase = .fixedBody(remaining: length)
        case .chunked: phase = .chunkSize
        }
    }

    /// A GET's static page: the web console's files when `localStudio.enabled` is on,
    /// otherwise only `/`, a page saying the server runs.
    private func staticPage(path: String) -> Studio.Asset? {
        if handler.servesStudio { return Studio.asset(path: path) }
        return path == "/" ? Studio.runningPage : nil
    }

    func complete(context: ChannelHandlerContext) {
        guard let info = request else { return }
        phase = .head
        idleSince = .now()
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
        case .page:
            let page = info.page!
            writeResponse(status: 200, contentType: page.contentType,
                          body: ResponseBody(allocator: context.channel.allocator, bytes: page.bytes),
                          extraHeaders: Studio.headers, info: info, context: context)
        case .metrics:
            dispatch(info, context: context, metrics: true)
        case .operation:
            guard info.acceptable else {
                writeFixed(status: 406, body: ServerResponses.notAcceptable, info: info, context: context)
                return
            }
            dispatch(info, context: context)
        }
    }

    func dispatch(_ info: RequestInfo, context: ChannelHandlerContext, metrics: Bool = false) {
        let bytes = body.map { Array($0.readableBytesView) } ?? []
        body = nil
        let incoming = IncomingRequest(body: bytes, authorization: info.authorization, remoteAddress: remoteAddress,
                                       viaDomainSocket: viaDomainSocket, memory: handOverBodyMemory())
        switch metrics ? handler.metricsExposition(incoming) : handler.handle(incoming) {
        case .immediate(let response):
            // The fast path: answered inline on the event loop, no task, no hop.
            write(response, info: info, context: context)
        case .deferred(let work):
            phase = .responding
            let token = ReadCancellation.Token()
            readCancellation = token
            context.eventLoop.makeFutureWithTask { await ReadCancellation.$current.withValue(token) { await work() } }.assumeIsolated().whenComplete { result in
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
            let mailbox = self.mailbox ?? LoopMailbox.of(context.eventLoop)
            self.mailbox = mailbox
            let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
            start { makeResponse in
                // Called on whatever thread finished the work (the storage writer): hop once,
                // batched with the other answers of its group.
                mailbox.post {
                    bound.value.handler.finishDeferred(makeResponse(), info: info, context: bound.value.context)
                }
            }
        }
    }

    /// Writes a deferred answer (`nil`: it failed unexpectedly, answer 500) and goes on.
    func finishDeferred(_ response: OutgoingResponse?, info: RequestInfo, context: ChannelHandlerContext) {
        guard !isClosed else { return }
        readCancellation = nil
        if case .closing = phase { return }  // answered 408 already (operationsApi.network.timeout)
        phase = .head
        idleSince = .now()
        if let response {
            write(response, info: info, context: context)
        } else {
            writeFixed(status: 500, body: ServerResponses.internalError, info: info, context: context)
        }
        flushIfNeeded(context: context)
        resume(context: context)
    }

    /// After a deferred answer: serve what was pipelined meanwhile, and read again.
    func resume(context: ChannelHandlerContext) {
        guard case .head = phase, !isClosed else { return }
        process(context: context)
        flushIfNeeded(context: context)
        if readHeld, !isClosed {
            readHeld = false
            context.read()
        }
    }
}
