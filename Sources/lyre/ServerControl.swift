import Foundation
import LyreCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The files `lyre start`, `stop` and `status` share under a root: the pid file and the
/// captured stdout/stderr of the background `lyre run`, whose "listening on <url>" lines
/// tell where the server answers (also after an in-process listener restart).
struct ServerControl {
    let root: String

    /// `--root`, else `$LYRE_ROOT`, else `./lyre-data` (as `lyre run` decides), made absolute.
    init(root: String?) {
        let environment = ProcessInfo.processInfo.environment
        let given = root ?? environment["LYRE_ROOT"].flatMap { $0.isEmpty ? nil : $0 } ?? "./lyre-data"
        self.root = URL(fileURLWithPath: given).standardizedFileURL.path
    }

    var pidFile: String { root + "/lyre.pid" }
    var logDirectory: String { root + "/log" }
    var stdoutLog: String { logDirectory + "/lyre-stdout.log" }

    /// The pid in the pid file, if there is one.
    func recordedPID() -> pid_t? {
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8) else { return nil }
        return pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The pid of the running server, or nil (no pid file, or its process is gone).
    func runningPID() -> pid_t? {
        guard let pid = recordedPID(), pid > 0, Self.isAlive(pid) else { return nil }
        return pid
    }

    func writePID(_ pid: pid_t) throws {
        try Data("\(pid)\n".utf8).write(to: URL(fileURLWithPath: pidFile), options: .atomic)
    }

    func removePIDFile() {
        try? FileManager.default.removeItem(atPath: pidFile)
    }

    /// Whether `pid` is a live process (not a zombie) that can be a `lyre run`.
    static func isAlive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        #if os(Linux)
        // A zombie answers kill(0) until reaped; and after pid reuse the process is
        // something else: only a `run` command line counts.
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
           let close = stat.lastIndex(of: ")"),
           stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z") {
            return false
        }
        if let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") {
            let arguments = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return arguments.contains("run")
        }
        #endif
        return true
    }

    /// The URL of the most recent "listening on" line at or after byte `offset` of the log.
    func listeningURL(from offset: UInt64 = 0) -> String? {
        guard let handle = FileHandle(forReadingAtPath: stdoutLog) else { return nil }
        defer { try? handle.close() }
        try? handle.seek(toOffset: offset)
        guard let data = try? handle.readToEnd() else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        var url: String?
        for line in text.split(separator: "\n") {
            guard let range = line.range(of: " listening on ") else { continue }
            let rest = line[range.upperBound...]
            url = String(rest.prefix { $0 != " " })
        }
        return url
    }

    func logSize() -> UInt64 {
        ((try? FileManager.default.attributesOfItem(atPath: stdoutLog))?[.size] as? NSNumber)?.uint64Value ?? 0
    }

    /// The last lines of the log after `offset`, for failure reports.
    func logTail(from offset: UInt64, lines: Int = 10) -> String {
        guard let handle = FileHandle(forReadingAtPath: stdoutLog) else { return "" }
        defer { try? handle.close() }
        try? handle.seek(toOffset: offset)
        let text = String(decoding: (try? handle.readToEnd()) ?? Data(), as: UTF8.self)
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    /// Whether `GET /health` at `url` answers 200 within a couple of seconds.
    static func isHealthy(_ url: String) -> Bool {
        guard let target = try? CLIHTTPClient.Target(url: url),
              let response = try? CLIHTTPClient.request(target, method: "GET", path: "/health", timeout: 2)
        else { return false }
        return response.status == 200
    }

    /// Starts `executable arguments` detached: a new session, stdin from /dev/null,
    /// stdout and stderr appended to the log. Returns the child's pid.
    /// A detached server outlives `lyre start` by design, so `LYRE_EXIT_WITH_PARENT` is not
    /// passed on.
    func spawnDetached(executable: String, arguments: [String]) throws -> pid_t {
        var environment = ProcessInfo.processInfo.environment
        environment["LYRE_EXIT_WITH_PARENT"] = nil
        do {
            return try ChildProcess.spawn([executable] + arguments, log: stdoutLog, newSession: true,
                                          environment: environment)
        } catch {
            throw CLIHTTPClient.Failure("cannot start \(executable): \(error)")
        }
    }

    /// This executable's path, for starting `lyre run`.
    static func executablePath() -> String {
        #if os(Linux)
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        #endif
        return Bundle.main.executablePath ?? CommandLine.arguments[0]
    }
}
