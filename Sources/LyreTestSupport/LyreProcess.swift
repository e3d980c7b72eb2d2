public import Foundation
import LyreCore
import Synchronization

/// The real `lyre` binary run as a child process on a root, for tests that must kill it.
///
/// Started with `posix_spawn` (`ChildProcess.spawn`), not Foundation's `Process`: its
/// `run()` over-reads a 256-byte `d_name` while listing `/proc/self/fd` and crashed the
/// parallel suite now and then (swift-corelibs-foundation PR 5472, not in this toolchain),
/// and every integration test starts a server.
public final class LyreProcess: Sendable {
    public let root: String
    public let port: Int
    /// The server's process id.
    private let pid: pid_t
    /// Its wait status once reaped (so it is reaped once).
    private let reaped = Mutex<Int32?>(nil)

    /// The `lyre` executable next to the test bundle (built by `swift build --build-tests`),
    /// or `LYRE_TEST_BINARY` when set (to run a test against another build, e.g. main's).
    public static func executable() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["LYRE_TEST_BINARY"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var candidates = [bundleDirectory.appendingPathComponent("lyre")]
        var dir = bundleDirectory
        for _ in 0..<4 {
            candidates.append(dir.appendingPathComponent("lyre"))
            candidates.append(dir.appendingPathComponent("debug/lyre"))
            dir = dir.deletingLastPathComponent()
        }
        candidates.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath + "/.build/debug/lyre"))
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate.path) {
            return candidate
        }
        throw HTTPClient.Failure(reason: "lyre executable not found near \(bundleDirectory.path)")
    }

    /// Starts `lyre run` on `root` and waits until it answers. `environment` adds variables
    /// (e.g. Harper's flattened configuration names, which override the file at start).
    public init(root: String, port: Int, environment extra: [String: String] = [:]) async throws {
        self.root = root
        self.port = port
        var environment = ProcessInfo.processInfo.environment
        environment["HDB_ADMIN_USERNAME"] = TestApplication.adminUsername
        environment["HDB_ADMIN_PASSWORD"] = TestApplication.adminPassword
        // A crashed test process leaves no server running.
        environment["LYRE_EXIT_WITH_PARENT"] = "1"
        environment.merge(extra) { _, new in new }
        do {
            pid = try ChildProcess.spawn([try Self.executable().path, "run", "--root", root, "--port", String(port)],
                                         log: "/dev/null", environment: environment)
        } catch let error as ChildProcess.SpawnError {
            throw HTTPClient.Failure(reason: "lyre could not be started: \(error)")
        }
        for _ in 0..<600 {
            if (try? await HTTPClient.request(port: port, method: "GET", path: "/health", headers: [], body: []))?.status == 200 {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        terminate()
        throw HTTPClient.Failure(reason: "lyre did not start on port \(port)")
    }

    public func post(_ json: String, authorization: String = TestApplication.adminAuthorization) async throws -> TestResponse {
        try await HTTPClient.request(port: port, method: "POST", path: "/",
                                     headers: ["Content-Type: application/json", "Authorization: \(authorization)"],
                                     body: Array(json.utf8))
    }

    /// The server's process id (for reading its memory figures in `/proc`).
    public var processIdentifier: Int32 { pid }

    /// SIGKILL: no chance to flush or close anything.
    public func kill() {
        signalAndWait(SIGKILL)
    }

    /// SIGTERM, then waits for a clean exit. Returns the exit status (the signal's number if
    /// a signal ended it, as Foundation's `terminationStatus`).
    @discardableResult
    public func terminate() -> Int32 {
        let status = signalAndWait(SIGTERM)
        return status & 0x7f == 0 ? (status >> 8) & 0xff : status & 0x7f
    }

    /// Sends `signal` unless the server was reaped already, then reaps it; its wait status.
    @discardableResult
    private func signalAndWait(_ signal: Int32) -> Int32 {
        reaped.withLock { reaped in
            if let status = reaped { return status }
            Foundation.kill(pid, signal)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            reaped = status
            return status
        }
    }

    /// A free TCP port: random below Linux's ephemeral range (32768-60999), so it never
    /// meets a port the kernel hands out (outgoing connections, `bind(0)` in other tests),
    /// one that can be bound on all interfaces right now, and one never handed out before in
    /// this test process. Why the last: a port is bound some time after it is chosen (a
    /// nats-server started by a `restart`, seconds later on a loaded machine), and with a
    /// parallel run choosing ~40 ports a second, two tests picking the same still-free port
    /// made one node's server fail to bind and its test time out.
    public static func freePort() -> Int {
        for _ in 0..<1_000 {
            let port = Int.random(in: 20_000..<32_768)
            guard handedOut.withLock({ $0.insert(port).inserted }) else { continue }
            if isBindable(port) { return port }
        }
        return Int.random(in: 20_000..<32_768)
    }

    private static let handedOut = Mutex<Set<Int>>([])

    /// Whether a listening socket could take `port` on all interfaces now.
    static func isBindable(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return IPv4Socket.bindAnyInterface(fd, port: port)
    }

    deinit {
        signalAndWait(SIGTERM)
    }
}
