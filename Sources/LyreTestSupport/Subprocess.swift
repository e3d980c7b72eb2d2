import Foundation
import LyreCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A child process of a test (openssl, moto, prometheus, the `lyre` CLI, a server started
/// with unusual arguments), started with `posix_spawn` through `ChildProcess.spawn`.
///
/// Why not Foundation's `Process`: its `run()` reads `/proc/self/fd` in a way that can read
/// past its buffer when other threads open and close descriptors meanwhile
/// (swift-corelibs-foundation PR 5472) — a test process crashing in a memcpy, which a
/// parallel run of sockets, servers and children made happen every few runs. Nothing in
/// the tests uses `Process` any more.
///
/// Output goes to files (stdout, and stderr separately when asked), read after the exit:
/// no pipe to drain while waiting. The files are removed with the value.
package final class Subprocess: Sendable {
    package let pid: Int32
    /// The file stdout (and stderr, unless `separateErrors`) is written to.
    package let outputPath: String
    /// The file stderr is written to with `separateErrors`; otherwise `outputPath`.
    package let errorPath: String
    private let keepsFiles: Bool
    /// The wait status once reaped.
    private let reaped = Mutex<Int32?>(nil)

    /// The outcome of a command run to its end.
    package struct Result: Sendable {
        /// The exit status, or the number of the signal that ended it.
        package let status: Int32
        package let output: String
        /// stderr, when it was asked for separately; else empty (it is in `output`).
        package let errors: String
    }

    package struct Failure: Error, CustomStringConvertible {
        package let description: String
    }

    /// Starts `command`. Its first element is a path, or a name looked up in `PATH`.
    /// - Parameters:
    ///   - environment: the child's whole environment; nil: this process's.
    ///   - log: where stdout goes; nil: a temporary file removed with this value.
    ///   - separateErrors: stderr to its own temporary file instead of with stdout.
    package init(_ command: [String], environment: [String: String]? = nil, log: String? = nil,
                 separateErrors: Bool = false) throws {
        guard let first = command.first, let executable = Self.locate(first) else {
            throw Failure(description: "\(command.first ?? "(no command)"): not found")
        }
        let base = TestApplication.temporaryRoot()
        outputPath = log ?? base + "-out"
        errorPath = separateErrors ? base + "-err" : outputPath
        keepsFiles = log != nil
        do {
            pid = try ChildProcess.spawn([executable] + command.dropFirst(), log: outputPath,
                                         errorLog: separateErrors ? errorPath : nil, environment: environment)
        } catch {
            throw Failure(description: "\(executable) could not be started: \(error)")
        }
    }

    /// Runs `command` to its end (waiting without holding a thread of the concurrency pool).
    package static func run(_ command: [String], environment: [String: String]? = nil,
                            separateErrors: Bool = false) async throws -> Result {
        let child = try Subprocess(command, environment: environment, separateErrors: separateErrors)
        let status = await child.waitForExit()
        return child.result(status)
    }

    /// Runs `command` to its end, blocking the calling thread (for synchronous callers).
    package static func runBlocking(_ command: [String], environment: [String: String]? = nil,
                                    separateErrors: Bool = false) throws -> Result {
        let child = try Subprocess(command, environment: environment, separateErrors: separateErrors)
        return child.result(child.waitBlocking())
    }

    /// What the child wrote to stdout (and stderr unless separate) so far.
    package var output: String { Self.read(outputPath) }
    /// What the child wrote to stderr, when separate.
    package var errors: String { errorPath == outputPath ? "" : Self.read(errorPath) }

    /// Whether the child has not exited (reaping it if it has).
    package var isRunning: Bool { poll() == nil }

    /// Waits for the exit, checking every 20 ms: the exit status, or the signal's number.
    package func waitForExit() async -> Int32 {
        while true {
            if let status = poll() { return Self.decode(status) }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Waits for the exit, blocking the calling thread.
    @discardableResult
    package func waitBlocking() -> Int32 {
        Self.decode(reaped.withLock { reaped in
            if let status = reaped { return status }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            reaped = status
            return status
        })
    }

    /// Sends `signal` unless the child was reaped already (its pid may be reused since).
    package func send(_ signal: Int32) {
        reaped.withLock { reaped in
            if reaped == nil { _ = Glibc.kill(pid, signal) }
        }
    }

    /// SIGKILL and reap.
    package func kill() {
        send(SIGKILL)
        waitBlocking()
    }

    /// SIGTERM and reap: the exit status.
    @discardableResult
    package func terminate() -> Int32 {
        send(SIGTERM)
        return waitBlocking()
    }

    private func result(_ status: Int32) -> Result {
        Result(status: status, output: output, errors: errors)
    }

    private func poll() -> Int32? {
        reaped.withLock { reaped in
            if let status = reaped { return status }
            var status: Int32 = 0
            guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
            reaped = status
            return status
        }
    }

    private static func decode(_ status: Int32) -> Int32 {
        status & 0x7f == 0 ? (status >> 8) & 0xff : status & 0x7f
    }

    private static func read(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    /// `name` if it holds a slash, else the first executable of that name on `PATH`.
    package static func locate(_ name: String) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first(where: FileManager.default.isExecutableFile)
    }

    deinit {
        if reaped.withLock({ $0 }) == nil {
            _ = Glibc.kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
        if !keepsFiles { try? FileManager.default.removeItem(atPath: outputPath) }
        if errorPath != outputPath { try? FileManager.default.removeItem(atPath: errorPath) }
    }
}
