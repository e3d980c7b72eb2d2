package import Foundation
package import Logging
import LyreCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A child process kept running: started on a dedicated thread, restarted (after a short,
/// growing pause) whenever it exits unless it was stopped, and killed with the thread that
/// started it (Linux: `setpriv --pdeathsig KILL`, so a `kill -9` of Lyre leaves no server
/// behind).
package final class SupervisedProcess: Sendable {
    package let name: String
    private let executable: String
    private let arguments: [String]
    private let logFile: String
    private let logger: Logger
    private struct State {
        var pid: pid_t = 0
        var stopping = false
        /// Whether `start()` ran (and the supervising thread will signal `exited`).
        var supervised = false
        var restarts = 0
        var startedAt: Date?
    }
    private let state = Mutex(State())
    private let exited = DispatchSemaphore(value: 0)
    /// Signalled by `stop()` to cut a pause between restarts short.
    private let interrupt = DispatchSemaphore(value: 0)

    /// - Parameters:
    ///   - logFile: the child's stdout and stderr are appended here.
    package init(name: String, executable: String, arguments: [String], logFile: String, logger: Logger) {
        self.name = name
        self.executable = executable
        self.arguments = arguments
        self.logFile = logFile
        self.logger = logger
    }

    /// The running child's pid, or nil between runs and after `stop()`.
    package var pid: pid_t? { state.withLock { $0.pid > 0 ? $0.pid : nil } }
    /// How many times the child was started again after dying.
    package var restarts: Int { state.withLock { $0.restarts } }
    /// When the current child started.
    package var startedAt: Date? { state.withLock { $0.startedAt } }

    /// Starts the child and its supervising thread. Returns once the first spawn is done.
    /// - Throws: `ClusterEngineError` when the executable cannot be started.
    package func start() throws {
        state.withLock { $0.supervised = true }
        let started = DispatchSemaphore(value: 0)
        let failure = FailureBox()
        let thread = Thread { [self] in
            var first = true
            var pause = 0.25
            while true {
                let pid: pid_t
                do {
                    pid = try spawn()
                } catch {
                    if first {
                        failure.text.withLock { $0 = "\(error)" }
                        state.withLock { $0.supervised = false }
                        started.signal()
                        return
                    }
                    logger.error("\(name): could not restart: \(error)")
                    _ = interrupt.wait(timeout: .now() + pause)
                    pause = min(pause * 2, 5)
                    if state.withLock({ $0.stopping }) { break }
                    continue
                }
                let launched = Date()
                state.withLock {
                    $0.pid = pid
                    $0.startedAt = launched
                }
                if first {
                    first = false
                    started.signal()
                }
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0, errno == EINTR {}
                let stopping = state.withLock { s -> Bool in
                    s.pid = 0
                    return s.stopping
                }
                if stopping { break }
                logger.error("\(name) exited (status \(status)); restarting it")
                // A child that ran a while restarts at once; one that dies at start waits longer each time.
                if Date().timeIntervalSince(launched) > 10 { pause = 0.25 }
                _ = interrupt.wait(timeout: .now() + pause)
                pause = min(pause * 2, 5)
                if state.withLock({ $0.stopping }) { break }
                state.withLock { $0.restarts += 1 }
            }
            exited.signal()
        }
        thread.name = "lyre-supervise-\(name)"
        thread.start()
        started.wait()
        if let failure = failure.text.withLock({ $0 }) { throw ClusterEngineError(failure) }
    }

    /// Stops the child (SIGTERM, then SIGKILL after `grace`) and its supervision. Idempotent.
    package func stop(grace: Duration = .seconds(5)) {
        let (pid, wasStopping, supervised) = state.withLock { s -> (pid_t, Bool, Bool) in
            let was = s.stopping
            s.stopping = true
            return (s.pid, was, s.supervised)
        }
        guard !wasStopping, supervised else { return }
        interrupt.signal()
        if pid > 0 { kill(pid, SIGTERM) }
        if exited.wait(timeout: .now() + .milliseconds(Int(grace.components.seconds * 1000))) == .timedOut {
            if let pid = self.pid { kill(pid, SIGKILL) }
            exited.wait()
        }
    }

    /// Sends a signal to the running child (tests: `SIGKILL` to see it restarted).
    package func signal(_ signal: Int32) {
        if let pid { kill(pid, signal) }
    }

    /// The last lines of the child's log (for one-line start errors).
    package func logTail(lines: Int = 5) -> [String] {
        guard let data = FileManager.default.contents(atPath: logFile) else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").suffix(lines).map(String.init)
    }

    private func spawn() throws -> pid_t {
        var command = [executable] + arguments
        if FileManager.default.isExecutableFile(atPath: Self.setpriv) {
            command = [Self.setpriv, "--pdeathsig", "KILL", "--"] + command
        }
        do {
            return try ChildProcess.spawn(command, log: logFile)
        } catch {
            throw ClusterEngineError("cannot start \(executable): \(error)")
        }
    }

    private static let setpriv = "/usr/bin/setpriv"
}

/// The first spawn's failure, from the supervising thread to `start()`.
private final class FailureBox: Sendable {
    let text = Mutex<String?>(nil)
}

/// Why the clustering engine could not start, in one line.
package struct ClusterEngineError: Error, Sendable, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}
