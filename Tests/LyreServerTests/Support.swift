import Foundation
import Logging
import LyreOperations
import LyreServer
import NIOCore
import NIOEmbedded
import ServiceLifecycle
import Synchronization

/// A `RequestHandling` whose answers the test chooses; it records what it was given.
final class FakeHandler: RequestHandling {
    private let respond: @Sendable (IncomingRequest) -> Outcome
    private let received = ReceivedRequests()

    init(_ respond: @escaping @Sendable (IncomingRequest) -> Outcome) {
        self.respond = respond
    }

    func handle(_ request: IncomingRequest) -> Outcome {
        received.append(request)
        return respond(request)
    }

    var requests: [IncomingRequest] { received.all }

    /// Answers every request with `{"ok":true}`.
    static func ok() -> FakeHandler {
        FakeHandler { _ in .immediate(OutgoingResponse(body: .rawJSON(Array(#"{"ok":true}"#.utf8)))) }
    }
}


final class ReceivedStreams: Sendable {
    private let storage = Mutex<[ByteStream]>([])
    func append(_ stream: ByteStream) { storage.withLock { $0.append(stream) } }
    var first: ByteStream? { storage.withLock { $0.first } }
}

final class ReceivedRequests: Sendable {
    private let storage = Mutex<[IncomingRequest]>([])
    func append(_ request: IncomingRequest) { storage.withLock { $0.append(request) } }
    var all: [IncomingRequest] { storage.withLock { $0 } }
}

/// A parsed HTTP/1.1 response.
struct ParsedResponse: Sendable {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }

    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// Parses one complete response from the front of `bytes`, returning it and the bytes used.
    static func parse(_ bytes: [UInt8]) -> (ParsedResponse, Int)? {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard bytes.count >= 4,
              let end = (0...(bytes.count - 4)).first(where: { Array(bytes[$0..<$0 + 4]) == separator })
        else { return nil }
        let lines = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { return nil }
        var headers: [(String, String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((String(line[..<colon]),
                            String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)))
        }
        let response = ParsedResponse(status: status, headers: headers, body: [])
        let length = Int(response.header("content-length") ?? "0") ?? 0
        let bodyStart = end + 4
        guard bytes.count >= bodyStart + length else { return nil }
        var complete = response
        complete.body = Array(bytes[bodyStart..<bodyStart + length])
        return (complete, bodyStart + length)
    }
}

/// The server pipeline on an in-memory channel: raw request bytes in, raw response bytes out.
struct TestConnection {
    let channel: NIOAsyncTestingChannel
    private var pending: [UInt8] = []

    init(handler: some RequestHandling, maximumBodySize: Int = LyreHTTPServer.defaultMaximumBodySize) async throws {
        let logger = Logger.quiet
        channel = try await NIOAsyncTestingChannel { channel in
            try channel.pipeline.syncOperations.configureLyreHTTPServerPipeline(
                handler: handler, logger: logger, maximumBodySize: maximumBodySize)
        }
        // An embedded channel is active only once "connected".
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 50000))
    }

    func send(_ text: String) async throws {
        try await channel.writeInbound(ByteBuffer(string: text))
    }

    func send(_ bytes: [UInt8]) async throws {
        try await channel.writeInbound(ByteBuffer(bytes: bytes))
    }

    /// Waits for the next complete response.
    mutating func response() async throws -> ParsedResponse {
        while true {
            if let (response, used) = ParsedResponse.parse(pending) {
                pending.removeFirst(used)
                return response
            }
            let data = try await channel.waitForOutboundWrite(as: IOData.self)
            guard case .byteBuffer(let buffer) = data else { continue }
            pending += Array(buffer.readableBytesView)
        }
    }

    var isOpen: Bool { channel.isActive }
}

func post(_ body: String, headers: [String] = []) -> String {
    var text = "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
    for header in headers { text += header + "\r\n" }
    text += "Content-Length: \(body.utf8.count)\r\n\r\n" + body
    return text
}

extension Logger {
    /// Tests provoke errors on purpose; their logs would only be noise.
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
}

/// Runs `server` for the duration of `body` (given the bound port), then shuts it down
/// gracefully, also when `body` throws.
func withRunning(_ server: LyreHTTPServer, _ body: (_ port: Int) async throws -> Void) async throws {
    let logger = Logger.quiet
    let group = ServiceGroup(configuration: .init(services: [.init(service: server)], logger: logger))
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        do {
            try await body(try await server.boundPort)
        } catch {
            await group.triggerGracefulShutdown()
            throw error
        }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
    }
}
