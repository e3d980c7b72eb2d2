#if canImport(Glibc)
import Glibc
#endif

/// The IPv4 address the test helpers bind and connect with (`LyreProcess.isBindable`,
/// `RawSocket`, `HTTPClient`), built in one place.
enum IPv4Socket {
    /// `host` (dotted quad; nil: all interfaces) and `port` as a socket address.
    static func address(host: String?, port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(truncatingIfNeeded: port).bigEndian)
        if let host {
            inet_pton(AF_INET, host, &address.sin_addr)
        } else {
            address.sin_addr.s_addr = INADDR_ANY
        }
        return address
    }

    /// Connects `fd` to `host:port`; the `connect` result (0 on success, else -1 with `errno`).
    static func connect(_ fd: Int32, host: String = "127.0.0.1", port: Int) -> Int32 {
        var address = address(host: host, port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    /// Binds `fd` to `port` on all interfaces; whether that worked.
    static func bindAnyInterface(_ fd: Int32, port: Int) -> Bool {
        var address = address(host: nil, port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
