import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The CLI's HTTP/1.1 client: one blocking request per connection (`Connection: close`),
/// enough for one operation per process. Plain HTTP, over TCP or the server's Unix domain socket.
enum CLIHTTPClient {
    struct Response {
        var status: Int
        var headers: [(name: String, value: String)]
        var body: [UInt8]

        func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// Where requests go: parsed from `--url` / `CLI_TARGET`.
    struct Target: CustomStringConvertible {
        var host: String
        var port: Int
        var path: String
        /// The server's `operationsApi.network.domainSocket`, used instead of `host:port`.
        var socketPath: String?

        /// The Operations API on a Unix domain socket.
        init(socketPath: String) {
            host = "localhost"
            port = 0
            path = "/"
            self.socketPath = socketPath
        }

        init(url text: String) throws {
            // Harper's CLI_TARGET may be given without a scheme (`localhost:9925`).
            let withScheme = text.contains("://") ? text : "http://" + text
            guard let components = URLComponents(string: withScheme), let scheme = components.scheme?.lowercased(),
                  let host = components.host, !host.isEmpty
            else { throw Failure("invalid server URL '\(text)' (expected e.g. http://127.0.0.1:9925)") }
            guard scheme == "http" else {
                throw Failure("'\(scheme)' URLs are not supported by the lyre command line yet; use http://")
            }
            self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
            port = components.port ?? 9925
            path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        }

        var description: String {
            if let socketPath { return "the domain socket \(socketPath)" }
            return "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
        }
    }

    /// Sends one request and reads the whole answer. `timeout` (seconds, 0 = none) bounds
    /// each send and receive.
    static func request(_ target: Target, method: String, path: String? = nil, headers: [String] = [],
                        body: [UInt8] = [], timeout: Double = 0) throws -> Response {
        let fd = try target.socketPath.map { try openUnixSocket($0, timeout: timeout) }
            ?? openSocket(host: target.host, port: target.port, timeout: timeout)
        defer { close(fd) }
        let hostHeader = target.host.contains(":") ? "[\(target.host)]" : target.host
        let hostValue = target.socketPath == nil ? "\(hostHeader):\(target.port)" : hostHeader
        var head = "\(method) \(path ?? target.path) HTTP/1.1\r\nHost: \(hostValue)\r\n"
            + "Connection: close\r\nContent-Length: \(body.count)\r\n"
        for header in headers { head += header + "\r\n" }
        head += "\r\n"
        let request = Array(head.utf8) + body
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, sendFlags) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Failure("sending to \(target) failed: \(String(cString: strerror(errno)))") }
            sent += n
        }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw Failure("reading from \(target) failed: \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            response.append(contentsOf: chunk[0..<n])
        }
        return try parse(response)
    }

    #if os(Linux)
    private static let sendFlags = Int32(MSG_NOSIGNAL)
    #else
    private static let sendFlags: Int32 = 0
    #endif

    /// A socket connected to the Unix domain socket at `path`.
    private static func openUnixSocket(_ path: String, timeout: Double) throws -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { throw Failure("the socket path \(path) is too long") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        #if os(Linux)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_UNIX, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw Failure("cannot open a socket: \(String(cString: strerror(errno)))") }
        if timeout > 0 {
            var time = timeval(tv_sec: Int(timeout), tv_usec: .init(timeout.truncatingRemainder(dividingBy: 1) * 1_000_000))
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            let error = errno
            close(fd)
            throw Failure("cannot connect to \(path): \(String(cString: strerror(error)))")
        }
        return fd
    }

    /// A connected socket to the first address of `host` that accepts.
    private static func openSocket(host: String, port: Int, timeout: Double) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if os(Linux)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw Failure("cannot resolve '\(host)': \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var lastError: Int32 = 0
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            cursor = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            guard fd >= 0 else { lastError = errno; continue }
            #if os(macOS)
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
            #endif
            if timeout > 0 {
                var time = timeval(tv_sec: Int(timeout), tv_usec: .init(timeout.truncatingRemainder(dividingBy: 1) * 1_000_000))
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
                setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
            }
            if connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return fd }
            lastError = errno
            close(fd)
        }
        throw Failure("cannot connect to \(host):\(port): \(String(cString: strerror(lastError)))")
    }

    /// Splits status line, headers and body; undoes chunked transfer coding.
    static func parse(_ bytes: [UInt8]) throws -> Response {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = bytes.indices.first(where: { bytes[$0...].starts(with: separator) }) else {
            throw Failure(bytes.isEmpty ? "the server closed the connection without answering"
                                        : "the server's answer has no complete header")
        }
        let lines = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/"), let status = Int(statusParts[1]) else {
            throw Failure("the server's answer is not HTTP: \(lines[0].prefix(80))")
        }
        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        var response = Response(status: status, headers: headers, body: Array(bytes[(end + 4)...]))
        if response.header("Transfer-Encoding")?.lowercased().contains("chunked") == true {
            response.body = try dechunk(response.body)
        } else if let length = response.header("Content-Length").flatMap(Int.init), length < response.body.count {
            response.body.removeLast(response.body.count - length)
        }
        return response
    }

    private static func dechunk(_ bytes: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while true {
            guard let lineEnd = (i..<max(i, bytes.count - 1)).first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 }) else {
                throw Failure("truncated chunked answer")
            }
            let sizeText = String(decoding: bytes[i..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw Failure("bad chunk size in the answer")
            }
            if size == 0 { return out }
            let start = lineEnd + 2
            guard start + size <= bytes.count else { throw Failure("truncated chunked answer") }
            out.append(contentsOf: bytes[start..<(start + size)])
            i = start + size + 2
        }
    }
}
