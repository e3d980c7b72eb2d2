import Logging
import LyreCore
import LyreOperations
import LyreServer
import NIOCore
import NIOEmbedded
import Synchronization

/// HTTP/1.1 request framing (LyreServer/HTTP1): `RequestHead.parse` on the input's head, and
/// the whole connection handler on an in-memory channel (heads, `Content-Length` and
/// chunked bodies, pipelining, `Expect: 100-continue`, the 400/413/431 refusals).
///
/// The input is the byte stream a client sends. The request handler answers at once with
/// the body it was given. The stream is sent whole, then again in small segments (sizes
/// cycling 1 to 7 bytes), as TCP may deliver it.
///
/// Invariants: no trap; segmentation changes nothing: the same requests reach the handler
/// (bodies and `Authorization`), the same bytes go out, and the connection ends in the same
/// state; what goes out starts with a status line; a head `RequestHead.parse` accepts has a
/// non-negative length and a path without `?` or control bytes.
enum HTTPFuzzer {
    /// Small, so that the fuzzer reaches the body-size refusals (413).
    static let maximumBodySize = 300

    struct Exchange: Equatable {
        var requests: [[UInt8]] = []
        var authorizations: [String?] = []
        var output: [UInt8] = []
        var open = true
    }

    static func run(_ bytes: UnsafeRawBufferPointer) throws(InvariantViolation) {
        try checkHead(bytes)
        let whole = exchange(bytes, segmentSizes: nil)
        let segmented = exchange(bytes, segmentSizes: Array(1...7))
        try check(whole == segmented,
                  "\(show(bytes)): sent whole → \(describe(whole)); in segments → \(describe(segmented))")
        try check(whole.output.isEmpty || whole.output.starts(with: "HTTP/1.1 ".utf8) || whole.output.starts(with: "HTTP/1.0 ".utf8),
                  "\(show(bytes)): the output does not start with a status line: \(show(whole.output))")
    }

    /// `RequestHead.parse` on the bytes before the first blank line (as the handler calls it).
    static func checkHead(_ bytes: UnsafeRawBufferPointer) throws(InvariantViolation) {
        var end = bytes.count
        if bytes.count >= 4 {
            for i in 0...(bytes.count - 4) where bytes[i] == 0x0D && bytes[i + 1] == 0x0A && bytes[i + 2] == 0x0D && bytes[i + 3] == 0x0A {
                end = i
                break
            }
        }
        guard let head = try? RequestHead.parse(UnsafeRawBufferPointer(rebasing: bytes[..<end])) else { return }
        if case .length(let length) = head.framing {
            try check(length >= 0, "\(show(bytes)): head parsed with a negative length \(length)")
        }
        try check(!head.path.utf8.contains(where: { $0 == UInt8(ascii: "?") || $0 < 0x20 || $0 == 0x7F }),
                  "\(show(bytes)): head parsed with path \(show(head.path.utf8))")
        try check(head.minorVersion == 0 || head.minorVersion == 1, "\(show(bytes)): HTTP/1.\(head.minorVersion)")
        if head.framing == .chunked {
            try check(head.minorVersion == 1, "\(show(bytes)): chunked framing on HTTP/1.0")
        }
    }

    /// Runs a connection over `bytes`, sent whole or in segments of the given sizes in turn.
    static func exchange(_ bytes: UnsafeRawBufferPointer, segmentSizes: [Int]?) -> Exchange {
        let handler = EchoHandler()
        let channel = EmbeddedChannel()
        defer { _ = try? channel.finish(acceptAlreadyClosed: true) }
        do {
            try channel.pipeline.syncOperations.configureLyreHTTPServerPipeline(
                handler: handler, logger: quietLogger, maximumBodySize: maximumBodySize)
            channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 40000), promise: nil)
            channel.embeddedEventLoop.run()
        } catch {
            fatalError("lyre-fuzz http: cannot set up the channel: \(error)")
        }
        var exchange = Exchange()
        var start = 0
        var turn = 0
        while start < bytes.count, channel.isActive {
            let size = segmentSizes.map { $0[turn % $0.count] } ?? bytes.count
            turn += 1
            let end = Swift.min(bytes.count, start + size)
            var buffer = channel.allocator.buffer(capacity: end - start)
            let _: Int = buffer.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
            _ = try? channel.writeInbound(buffer)
            channel.embeddedEventLoop.run()
            start = end
        }
        while let buffer = try? channel.readOutbound(as: ByteBuffer.self) {
            exchange.output += buffer.readableBytesView
        }
        exchange.open = channel.isActive
        let received = handler.received
        exchange.requests = received.map(\.body)
        exchange.authorizations = received.map(\.authorization)
        return exchange
    }

    static let quietLogger = Logger(label: "lyre-fuzz", factory: { _ in SwiftLogNoOpLogHandler() })

    static func describe(_ exchange: Exchange) -> String {
        "\(exchange.requests.count) requests \(exchange.requests.prefix(4).map { show($0, limit: 40) }), "
            + "output \(show(exchange.output, limit: 400)), \(exchange.open ? "open" : "closed")"
    }
}

/// Answers every request at once with its own body, and keeps what it was given.
final class EchoHandler: RequestHandling {
    private let requests = Mutex<[IncomingRequest]>([])

    func handle(_ request: IncomingRequest) -> Outcome {
        requests.withLock { $0.append(request) }
        return .immediate(OutgoingResponse(body: .rawJSON(request.body)))
    }

    var received: [IncomingRequest] { requests.withLock { $0 } }
}
