import Logging
import LyreCore
import LyreOperations
import NIOCore

/// Writing answers: one buffer per response (head in the body's headroom), fixed error
/// answers, and streamed bodies sent one chunk per completed write.
extension HTTPConnectionHandler {
    // MARK: - Writing

    func write(_ response: OutgoingResponse, info: RequestInfo, context: ChannelHandlerContext) {
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

    func writeFixed(status: Int, body: [UInt8], info: RequestInfo, forceClose: Bool = false,
                            context: ChannelHandlerContext) {
        writeResponse(status: status, contentType: "application/json; charset=utf-8",
                      body: ResponseBody(allocator: context.channel.allocator, bytes: body),
                      info: info, forceClose: forceClose, context: context)
    }

    func rejectTooLarge(context: ChannelHandlerContext) {
        guard let info = request else { return refuse(status: 413, context: context) }
        phase = .closing
        body = nil
        releaseBodyMemory()
        writeFixed(status: 413, body: ServerResponses.payloadTooLarge, info: info, forceClose: true, context: context)
    }

    /// Answers a request that cannot be framed (no usable head) and closes.
    func refuse(status: Int, context: ChannelHandlerContext) {
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
    func makeHead(
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

    func writeResponse(
        status: Int, contentType: String?, body: ResponseBody, extraHeaders: [(String, String)] = [],
        info: RequestInfo, forceClose: Bool = false, context: ChannelHandlerContext
    ) {
        let (head, keepAlive) = makeHead(status: status, contentType: contentType, contentLength: body.count,
                                         extraHeaders: extraHeaders, info: info, forceClose: forceClose)
        var body = body
        let last: ByteBuffer
        if info.isHead {
            // HEAD: the same head, no body.
            last = context.channel.allocator.buffer(bytes: head.bytes)
        } else if body.prepend(head.bytes) {
            last = body.buffer
        } else {
            context.write(wrapOutboundOut(context.channel.allocator.buffer(bytes: head.bytes)), promise: nil)
            last = body.buffer
        }
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
    func writeStream(_ stream: ByteStream, status: Int, extraHeaders: [(String, String)], info: RequestInfo,
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

    func pump(_ stream: ByteStream, written: Int, keepAlive: Bool, context: ChannelHandlerContext) {
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
    func abandon(_ stream: ByteStream, reason: String?, context: ChannelHandlerContext) {
        stream.close()
        if let reason { logger.error("Streamed response cut short", metadata: ["reason": "\(reason)"]) }
        phase = .closing
        inbound = nil
        context.close(promise: nil)
    }

    func flushIfNeeded(context: ChannelHandlerContext) {
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
