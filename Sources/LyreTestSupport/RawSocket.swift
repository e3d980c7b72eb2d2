#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Foundation

/// A blocking loopback client socket; its calls run off the cooperative pool.
public final class RawSocket: @unchecked Sendable {
    // @unchecked: used by one test at a time, one call at a time.
    public let fd: Int32

    public init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard IPv4Socket.connect(fd, port: port) == 0 else { throw Failure(reason: "connect failed: \(errno)") }
    }

    deinit { close(fd) }

    public struct Failure: Error { public var reason: String }

    public func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Everything received until the server closes the connection (or `limit` passes,
    /// which a test then reports as "still open").
    public func readUntilClosed(limit: Double = 30) async -> (text: String, closed: Bool) {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var received: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 4096)
                let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(limit * 1e9)
                while DispatchTime.now().uptimeNanoseconds < deadline {
                    var p = pollfd(fd: self.fd, events: Int16(POLLIN), revents: 0)
                    guard poll(&p, 1, 100) > 0 else { continue }
                    let n = recv(self.fd, &buffer, buffer.count, 0)
                    if n <= 0 {
                        continuation.resume(returning: (String(decoding: received, as: UTF8.self), true))
                        return
                    }
                    received += buffer[..<n]
                }
                continuation.resume(returning: (String(decoding: received, as: UTF8.self), false))
            }
        }
    }

    /// One whole response to a request already sent (by Content-Length).
    public func readResponse() async -> String {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var received: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 4096)
                while true {
                    let text = String(decoding: received, as: UTF8.self)
                    if let split = text.range(of: "\r\n\r\n"),
                       let lengthLine = text[..<split.lowerBound].split(separator: "\r\n").first(where: { $0.lowercased().hasPrefix("content-length:") }),
                       let length = Int(lengthLine.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)),
                       received.count >= text[..<split.upperBound].utf8.count + length {
                        continuation.resume(returning: text)
                        return
                    }
                    let n = recv(self.fd, &buffer, buffer.count, 0)
                    if n <= 0 {
                        continuation.resume(returning: text)
                        return
                    }
                    received += buffer[..<n]
                }
            }
        }
    }
}

