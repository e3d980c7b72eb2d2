import Foundation
package import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Starting a child process the way a server's helpers need it: stdin from `/dev/null`,
/// stdout and stderr appended to a log file, no other descriptor inherited (a parent that
/// watches an inherited descriptor for its child's exit, as Foundation's `Process` does,
/// must not wait for this child too), no blocked signals and default handling of the ones
/// a terminal or a pipe send. `lyre start` (a detached server, in a new session) and the
/// clustering engine's supervisor (nats-server) both start their children through it.
package enum ChildProcess {
    /// Held while a child is started, so no two starts of this process overlap. (The
    /// memcpy crash inside Foundation's `Process.run()` that this was first meant to stop is
    /// an over-read of `/proc/self/fd` entries, swift-corelibs-foundation PR 5472, which a
    /// lock does not prevent: no test or server code starts children with `Process` any
    /// more; tests use `Subprocess` in LyreTestSupport, which comes here.)
    package static let starting = Mutex(())

    /// Why `posix_spawn` failed: `code` is its error number.
    package struct SpawnError: Error, Sendable, CustomStringConvertible {
        package let code: Int32
        package var description: String { String(cString: strerror(code)) }
    }

    /// Starts `command` (its first element is the executable's path) and returns its pid.
    /// - Parameters:
    ///   - log: the file stdout and stderr are appended to (created when missing).
    ///   - errorLog: a separate file for stderr; nil: stderr goes to `log` too.
    ///   - newSession: start it in a session of its own (detached from the terminal).
    ///   - environment: the child's environment; nil: this process's.
    package static func spawn(_ command: [String], log: String, errorLog: String? = nil, newSession: Bool = false,
                              environment: [String: String]? = nil) throws(SpawnError) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        if let errorLog {
            posix_spawn_file_actions_addopen(&actions, 2, errorLog, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        #if os(Linux)
        // glibc ignores closing a descriptor that is no longer open.
        let open = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap { Int32($0) }
        for fd in open where fd > 2 {
            posix_spawn_file_actions_addclose(&actions, fd)
        }
        #endif

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF) | closeOthers
        if newSession { flags |= setSID }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let envp: [UnsafeMutablePointer<CChar>?]? = environment.map { $0.map { strdup($0.key + "=" + $0.value) } + [nil] }
        defer { for pointer in envp ?? [] { free(pointer) } }
        var pid: pid_t = 0
        let status = starting.withLock { _ in
            if let envp { posix_spawn(&pid, command[0], &actions, &attributes, argv, envp) } else {
                posix_spawn(&pid, command[0], &actions, &attributes, argv, environ)
            }
        }
        guard status == 0 else { throw SpawnError(code: status) }
        return pid
    }

    #if os(Linux)
    /// glibc's POSIX_SPAWN_SETSID (a GNU extension the Glibc module does not export).
    private static let setSID: Int32 = 0x80
    private static let closeOthers: Int32 = 0
    #else
    private static let setSID = Int32(POSIX_SPAWN_SETSID)
    /// Darwin closes every descriptor the file actions do not set up.
    private static let closeOthers = Int32(POSIX_SPAWN_CLOEXEC_DEFAULT)
    #endif
}
