import Foundation
public import LyreCore
import LyreOperations
import LyreServer
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The real HTTP server on an ephemeral port in front of a `TestApplication`:
/// conformance tests drive it through `POST /` over a socket.
public final class TestServer: Sendable {
    public let lyre: TestApplication
    public let port: Int
    private let task: Task<Void, any Error>

    public init(authorizeLocal: Bool = false) async throws {
        lyre = try TestApplication(authorizeLocal: authorizeLocal)
        var logger = Logger(label: "lyre-test-server")
        logger.logLevel = .critical
        let server = LyreHTTPServer(host: "127.0.0.1", port: 0, handler: lyre.app, logger: logger, numberOfThreads: 1)
        task = Task { try await server.run() }
        port = try await server.boundPort
    }

    deinit { task.cancel() }

    /// Sends `POST /` with a JSON body, as the super user by default.
    public func post(_ json: String, authorization: String? = TestApplication.adminAuthorization) async -> TestResponse {
        var headers = ["Content-Type: application/json"]
        if let authorization { headers.append("Authorization: \(authorization)") }
        return (try? await HTTPClient.request(port: port, method: "POST", path: "/", headers: headers, body: Array(json.utf8)))
            ?? TestResponse(status: 0, headers: [], body: [])
    }

    public func post(_ value: Value, authorization: String? = TestApplication.adminAuthorization) async -> TestResponse {
        await post(JSON.string(value), authorization: authorization)
    }
}

/// A minimal blocking HTTP/1.1 client over a socket (one request per connection), enough
/// for tests that must go through the real listener and, for the reliability test, the
/// real binary. Runs its blocking calls off the cooperative pool.
public enum HTTPClient {
    public struct Failure: Error, Sendable { public let reason: String }

    public static func request(host: String = "127.0.0.1", port: Int, method: String, path: String,
                               headers: [String], body: [UInt8]) async throws -> TestResponse {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try requestBlocking(host: host, port: port, method: method, path: path, headers: headers, body: body) })
            }
        }
    }

    public static func requestBlocking(host: String, port: Int, method: String, path: String,
                                       headers: [String], body: [UInt8]) throws -> TestResponse {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(reason: "socket") }
        defer { close(fd) }
        guard IPv4Socket.connect(fd, host: host, port: port) == 0 else { throw Failure(reason: "connect to \(port): errno \(errno)") }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\nContent-Length: \(body.count)\r\n"
        for header in headers { head += header + "\r\n" }
        head += "\r\n"
        let request = Array(head.utf8) + body
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(reason: "send") }
            sent += n
        }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            response.append(contentsOf: chunk[0..<n])
        }
        return try parse(response)
    }

    static func parse(_ bytes: [UInt8]) throws -> TestResponse {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = bytes.indices.first(where: { bytes[$0...].starts(with: separator) }) else {
            throw Failure(reason: "no header end in \(bytes.count) bytes")
        }
        let lines = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw Failure(reason: "status line") }
        var headers: [(String, String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        return TestResponse(status: status, headers: headers, body: Array(bytes[(end + 4)...]))
    }
}

extension TestResponse {
    /// The first header with this name (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}
