#if canImport(Glibc)
import Glibc
#endif
import Foundation
import LyreCore

// The HTTP side of OperationFuzzer: sending bytes and reading replies, malformed requests at the
// HTTP layer, and the slow clients.

extension OperationFuzzer {
    // MARK: HTTP

    public enum Reply: Sendable, CustomStringConvertible {
        case response(status: Int, body: [UInt8])
        case closedWithoutReply
        case timedOut
        case connectFailed

        public var description: String {
            switch self {
            case .response(let status, let body): "\(status) \(String(decoding: body.prefix(500), as: UTF8.self))"
            case .closedWithoutReply: "closed without a reply"
            case .timedOut: "timed out"
            case .connectFailed: "connect failed"
            }
        }
    }

    static let authorization = "Authorization: " + TestApplication.adminAuthorization

    /// A `POST /` with a JSON body and the super user's credentials.
    static func post(_ body: [UInt8], headers: [String] = ["Content-Type: application/json", authorization]) -> [UInt8] {
        var head = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: \(body.count)\r\n"
        for header in headers { head += header + "\r\n" }
        return Array((head + "\r\n").utf8) + body
    }

    /// Sends `bytes` on a new connection and reads up to `responses` responses (by their
    /// `Content-Length`), until the server closes or `timeout` passes.
    static func exchange(port: Int, bytes: [UInt8], responses: Int, halfClose: Bool, timeout: Double) -> [Reply] {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return [.connectFailed] }
        defer { close(fd) }
        guard IPv4Socket.connect(fd, port: port) == 0 else { return [.connectFailed] }
        let deadline = Date().addingTimeInterval(timeout)
        var received: [UInt8] = []
        var replies: [Reply] = []
        var consumed = 0
        var sent = 0
        var closed = false
        var buffer = [UInt8](repeating: 0, count: 65536)
        // Send and read together: a server may answer (and close) before the body is sent.
        while replies.count < responses, !closed, Date() < deadline {
            var events = Int16(POLLIN)
            if sent < bytes.count { events |= Int16(POLLOUT) }
            var p = pollfd(fd: fd, events: events, revents: 0)
            guard poll(&p, 1, 100) > 0 else { continue }
            if p.revents & Int16(POLLOUT) != 0, sent < bytes.count {
                let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, min($0.count, 1 << 20), Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
                if n > 0 { sent += n } else if n < 0, errno != EAGAIN, errno != EINTR { sent = bytes.count }
                if sent == bytes.count, halfClose { shutdown(fd, Int32(SHUT_WR)) }
            }
            if p.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
                if n > 0 {
                    received += buffer[..<n]
                    while let (reply, length) = parseResponse(received[consumed...]) {
                        replies.append(reply)
                        consumed += length
                    }
                } else if n == 0 || (errno != EAGAIN && errno != EINTR) {
                    closed = true
                }
            }
        }
        if replies.count < responses {
            if closed {
                // A response without Content-Length ends at the close.
                if let reply = parseResponse(received[consumed...], atClose: true)?.0 { replies.append(reply) } else { replies.append(.closedWithoutReply) }
            } else {
                replies.append(.timedOut)
            }
        }
        return replies
    }

    /// One response at the start of `bytes` and its length, if complete.
    static func parseResponse(_ bytes: ArraySlice<UInt8>, atClose: Bool = false) -> (Reply, Int)? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= 4,
              let end = (bytes.startIndex...(bytes.endIndex - 4)).first(where: { bytes[$0..<($0 + 4)].elementsEqual(separator) })
        else { return nil }
        let head = String(decoding: bytes[bytes.startIndex..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let parts = head[0].split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { return (.response(status: 999, body: Array(bytes.prefix(200))), bytes.count) }
        var length: Int?
        for line in head.dropFirst() where line.lowercased().hasPrefix("content-length:") {
            length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
        }
        let bodyStart = end + 4
        if let length {
            guard bytes.endIndex - bodyStart >= length else { return nil }
            return (.response(status: status, body: Array(bytes[bodyStart..<(bodyStart + length)])), bodyStart + length - bytes.startIndex)
        }
        if status == 100 || status == 204 || status == 304 { return (.response(status: status, body: []), bodyStart - bytes.startIndex) }
        guard atClose else { return nil }
        return (.response(status: status, body: Array(bytes[bodyStart...])), bytes.count)
    }

    // MARK: HTTP layer

    func httpRequest() -> FuzzRequest {
        let body = Array(#"{"operation":"describe_all"}"#.utf8)
        let length = body.count
        let json = "Content-Type: application/json"
        func raw(_ head: String, _ payload: [UInt8] = body, responses: Int = 1, halfClose: Bool = false) -> FuzzRequest {
            FuzzRequest(bytes: Array(head.utf8) + payload, responses: responses, halfClose: halfClose)
        }
        let auth = Self.authorization
        switch below(7) {
        case 0:  // content types and accept headers
            let contentType = pick(["text/plain", "application/cbor", "application/x-msgpack", "multipart/form-data; boundary=x",
                                    "application/json; charset=utf-16", "APPLICATION/JSON", "", "application/json;;;", "*/*",
                                    "application/x-www-form-urlencoded", "application/json; charset=\u{0}"])
            let accept = pick(["", "Accept: text/csv\r\n", "Accept: application/xml\r\n", "Accept: */*;q=0\r\n", "Accept: ,,,\r\n",
                               "Accept: text/csv;q=abc, application/json;q=2\r\n", "Accept: " + String(repeating: "a/b,", count: 5_000) + "\r\n",
                               "Accept: application/cbor\r\n", "Accept: text/yaml\r\n", "Accept: text/event-stream\r\n"])
            let payload = chance(50) ? body : [0xA1, 0x69] + Array("operation".utf8) + [0x6C] + Array("describe_all".utf8)
            return raw("POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: \(contentType)\r\n\(accept)\(auth)\r\nContent-Length: \(payload.count)\r\n\r\n", payload)
        case 1:  // chunked bodies
            let chunkSize = String(length, radix: 16)
            let variants: [(String, Bool)] = [
                ("\(chunkSize)\r\n" + String(decoding: body, as: UTF8.self) + "\r\n0\r\n\r\n", true),
                ("\(chunkSize);ext=1\r\n" + String(decoding: body, as: UTF8.self) + "\r\n0\r\nTrailer: x\r\n\r\n", true),
                ("ffffffffffffffff\r\n" + String(decoding: body, as: UTF8.self) + "\r\n0\r\n\r\n", false),
                ("-1\r\nx\r\n0\r\n\r\n", false), ("zz\r\nx\r\n0\r\n\r\n", false), ("\(chunkSize)\r\n" + String(decoding: body, as: UTF8.self), false),
                ("1\r\n{\r\n", false), ("\r\n\r\n", false), ("0\r\n\r\n", true), ("7fffffff\r\nabc\r\n0\r\n\r\n", false),
                ("5\r\n{\"ope\r\n" + String(repeating: "0", count: 10_000) + "1\r\nr\r\n0\r\n\r\n", false),
            ]
            let (chunks, complete) = pick(variants)
            return raw("POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\(json)\r\n\(auth)\r\nTransfer-Encoding: \(pick(["chunked", "chunked", "Chunked", "gzip, chunked", "chunked, chunked", "identity"]))\r\n\r\n\(chunks)",
                       [], responses: complete ? 1 : 0, halfClose: !complete)
        case 2:  // content lengths
            let variants: [(String, [UInt8], Int, Bool)] = [
                ("Content-Length: abc", body, 0, true), ("Content-Length: -5", body, 0, true), ("Content-Length: +\(length)", body, 0, true),
                ("Content-Length: 99999999999999999999", body, 0, true), ("Content-Length: 1099511627776", body, 0, true),
                ("Content-Length: \(length)\r\nContent-Length: \(length)", body, 0, true),
                ("Content-Length: \(length)\r\nContent-Length: \(length + 1)", body, 0, true),
                ("Content-Length: \(length), \(length)", body, 0, true), ("Content-Length:  \(length)  ", body, 1, false),
                ("Content-Length: \(length + 10)", body, 0, true), ("Content-Length: 5", body, 0, true),
                ("Content-Length: 0", [], 1, false), ("", body, 0, true), ("Content-Length: \(length)\r\nTransfer-Encoding: chunked", body, 0, true),
                ("Content-Length: 2000000000", Array(repeating: 0x20, count: 100_000), 0, true),
            ]
            let (header, payload, responses, halfClose) = pick(variants)
            let separator = header.isEmpty ? "" : "\r\n"
            return raw("POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\(json)\r\n\(auth)\r\n\(header)\(separator)\r\n", payload,
                       responses: responses, halfClose: halfClose)
        case 3:  // request lines and header oddities
            let variants: [(String, Int)] = [
                ("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 1), ("GET /health HTTP/1.1\r\nConnection: close\r\n\r\n", 1),
                ("HEAD / HTTP/1.1\r\nConnection: close\r\n\r\n", 0), ("OPTIONS / HTTP/1.1\r\nOrigin: http://a\r\nConnection: close\r\n\r\n", 1),
                ("PUT / HTTP/1.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", 1), ("FOO / HTTP/1.1\r\nConnection: close\r\n\r\n", 0),
                ("POST /../../etc HTTP/1.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", 1), ("POST /%00 HTTP/1.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", 1),
                ("GET /" + String(repeating: "a", count: 100_000) + " HTTP/1.1\r\nConnection: close\r\n\r\n", 0),
                ("POST / HTTP/1.1\r\nX-Long: " + String(repeating: "b", count: 200_000) + "\r\nConnection: close\r\n\r\n", 0),
                ("POST / HTTP/1.1\r\n" + String(repeating: "X-A: 1\r\n", count: 5_000) + "Connection: close\r\nContent-Length: 0\r\n\r\n", 0),
                ("POST / HTTP/1.0\r\n\(json)\r\n\(auth)\r\nContent-Length: \(length)\r\n\r\n", 1),
                ("POST / HTTP/2.0\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", 0), ("POST /\r\n\r\n", 0), ("\r\n\r\n", 0),
                ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 0), ("post / http/1.1\r\nConnection: close\r\n\r\n", 0),
                ("POST / HTTP/1.1\r\nExpect: 100-continue\r\nConnection: close\r\n\(json)\r\n\(auth)\r\nContent-Length: \(length)\r\n\r\n", 1),
                ("POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\u{0}\r\n\(auth)\r\nContent-Length: \(length)\r\n\r\n", 0),
                ("POST / HTTP/1.1\r\nHost: é😀\r\nConnection: close\r\n\(json)\r\n\(auth)\r\nContent-Length: \(length)\r\n\r\n", 0),
                ("POST / HTTP/1.1\r\nConnection: close\r\nOrigin: \u{0}\r\n\(json)\r\n\(auth)\r\nContent-Length: \(length)\r\n\r\n", 0),
                ("POST / HTTP/1.1\r\nConnection: close\r\nAccept-Encoding: gzip;q=x, br, *\r\n\(json)\r\n\(auth)\r\nContent-Length: \(length)\r\n\r\n", 1),
            ]
            let (head, responses) = pick(variants)
            let payload = head.contains("Content-Length: \(length)") ? body : []
            return raw(head, payload, responses: responses, halfClose: responses == 0)
        case 4:  // credentials and tokens
            let b64 = { (text: String) in Data(text.utf8).base64EncodedString() }
            let header = pick([
                "Basic", "Basic ", "Basic !!!", "Basic \(b64("nocolon"))", "Basic \(b64(":"))", "Basic \(b64("admin:"))",
                "Basic \(b64(":password"))", "Basic \(b64("admin:password:extra"))", "Basic \(b64("\u{0}:\u{0}"))",
                "Basic \(b64(String(repeating: "u", count: 50_000) + ":p"))", "Basic \(b64("fuzz_user:pass"))", "basic \(b64("admin:password"))",
                "Basic  \(b64("admin:password"))", "Basic \(b64("é😀:x"))", "Basic =", "Basic a", "Basic \(b64("admin:password"))=",
                "Bearer", "Bearer ", "Bearer a.b.c", "Bearer ...", "Bearer eyJhbGciOiJub25lIn0.eyJ1c2VybmFtZSI6ImFkbWluIn0.",
                "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VybmFtZSI6ImFkbWluIiwiZXhwIjoxZTMwOX0.AAAA",
                "Bearer eyJ!!!.eyJ!!!.x", "Bearer " + String(repeating: "a", count: 100_000), "Bearer \(b64("{}")).\(b64("[]")).x",
                "Bearer \(b64(String(repeating: "[", count: 5_000))).\(b64("{}")).x", "Digest username=a", "Negotiate x",
                "", "\u{0}", "Basic \u{7F}",
            ])
            let operation = pick(["describe_all", "user_info", "refresh_operation_token", "create_authentication_tokens", "logout"])
            let payload = Array(#"{"operation":"\#(operation)"}"#.utf8)
            return raw("POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\(json)\r\nAuthorization: \(header)\r\nCookie: \(pick(["", "x-hdb-session=abc", "a=b; \u{0}=1", "=;=;"]))\r\nContent-Length: \(payload.count)\r\n\r\n", payload)
        case 5:  // pipelined requests, one bad in the middle sometimes
            let count = 2 + below(4)
            var bytes: [UInt8] = []
            var answered = count
            for i in 0..<count {
                var payload = Array(pick([#"{"operation":"describe_all"}"#, #"{"operation":"search_by_id","database":"dev","table":"dog","ids":[1],"get_attributes":["*"]}"#,
                                          #"{"operation":"sql","sql":"SELECT * FROM dev.dog"}"#, #"{"operation":"insert","database":"dev","table":"scratch","records":[{"a":1}]}"#,
                                          "{bad json", "", "[]", #"{"operation":1}"#]).utf8)
                if chance(10), i < count - 1 {
                    payload += Array("GARBAGE".utf8)  // a body longer than its length: the rest is a bad next request
                    answered = i + 1
                    bytes += Array("POST / HTTP/1.1\r\nHost: x\r\n\(json)\r\n\(auth)\r\nContent-Length: \(payload.count - 7)\r\n\r\n".utf8) + payload
                    break
                }
                let close = i == count - 1 ? "Connection: close\r\n" : ""
                bytes += Array("POST / HTTP/1.1\r\nHost: x\r\n\(close)\(json)\r\n\(auth)\r\nContent-Length: \(payload.count)\r\n\r\n".utf8) + payload
            }
            return FuzzRequest(bytes: bytes, responses: answered)
        default:  // raw byte mutations of a valid request
            var bytes = Self.post(Array(#"{"operation":"search_by_value","database":"dev","table":"dog","search_attribute":"name","search_value":"*","get_attributes":["*"]}"#.utf8))
            for _ in 0..<(1 + below(4)) {
                let i = below(bytes.count)
                switch below(4) {
                case 0: bytes[i] = UInt8(truncatingIfNeeded: random.next())
                case 1: bytes.remove(at: i)
                case 2: bytes.insert(pick([0, 10, 13, 34, 58, 92, 123, 255, 0xC0, 0xED]), at: i)
                default: bytes.insert(contentsOf: bytes[i..<min(bytes.count, i + 20)], at: i)
                }
            }
            return FuzzRequest(bytes: bytes, responses: 0, halfClose: true)
        }
    }
}

/// Connections that send a request one byte a second (slowloris) while the fuzzer runs:
/// the liveness checks then show they stall nobody else.
final class SlowClients: @unchecked Sendable {
    // @unchecked: `stopped` is read by the worker thread, written once by `stop()`.
    private let port: Int
    private let count: Int
    private let stopped = NSLock()
    private var isStopped = false
    private var thread: Thread?

    init(port: Int, count: Int) {
        self.port = port
        self.count = count
    }

    func start() {
        guard count > 0 else { return }
        let thread = Thread { [self] in work() }
        self.thread = thread
        thread.start()
    }

    func stop() {
        stopped.lock()
        isStopped = true
        stopped.unlock()
        while thread?.isFinished == false { usleep(10_000) }
    }

    private var shouldStop: Bool {
        stopped.lock()
        defer { stopped.unlock() }
        return isStopped
    }

    private func work() {
        let request = Array(("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + OperationFuzzer.authorization
                             + "\r\nContent-Length: 28\r\n\r\n{\"operation\":\"describe_all\"}").utf8)
        var sockets: [(fd: Int32, sent: Int)] = []
        while !shouldStop {
            while sockets.count < count {
                let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                guard fd >= 0, IPv4Socket.connect(fd, port: port) == 0 else { if fd >= 0 { close(fd) }; break }
                sockets.append((fd, 0))
            }
            for i in sockets.indices {
                let n = request[sockets[i].sent...].withUnsafeBytes { send(sockets[i].fd, $0.baseAddress, 1, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
                if n == 1 { sockets[i].sent += 1 } else { sockets[i].sent = request.count }
            }
            for (fd, sent) in sockets where sent >= request.count { close(fd) }
            sockets.removeAll { $0.sent >= request.count }
            for _ in 0..<10 where !shouldStop { usleep(100_000) }
        }
        for (fd, _) in sockets { close(fd) }
    }
}
