#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The server process's resident memory and CPU time, read from the kernel (Linux:
/// `/proc/self/statm`; CPU from `getrusage` everywhere).
public struct ProcessUsage: Sendable {
    /// Resident set size in bytes (0 where it cannot be read).
    public var residentBytes: Int
    /// User plus system CPU time in seconds since the process started.
    public var cpuSeconds: Double

    public static func current() -> ProcessUsage {
        var usage = rusage()
        var cpu = 0.0
        if selfUsage(&usage) {
            cpu = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
                + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        }
        return ProcessUsage(residentBytes: residentBytes(), cpuSeconds: cpu)
    }

    private static func selfUsage(_ usage: inout rusage) -> Bool {
        #if os(Linux)
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage) == 0
        #else
        getrusage(RUSAGE_SELF, &usage) == 0
        #endif
    }

    private static func residentBytes() -> Int {
        #if os(Linux)
        // statm: size resident shared text lib data dt, in pages; one short read.
        let fd = open("/proc/self/statm", O_RDONLY)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return 0 }
        let fields = buffer[..<n].split(separator: UInt8(ascii: " "))
        guard fields.count > 1, let pages = Int(String(decoding: fields[1], as: UTF8.self)) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
        #else
        var usage = rusage()
        guard selfUsage(&usage) else { return 0 }
        return Int(usage.ru_maxrss)  // macOS reports bytes (the peak, the best it offers cheaply)
        #endif
    }
}
