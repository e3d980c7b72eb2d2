import ArgumentParser
import Foundation
import LyreCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

private let rootHelp = ArgumentHelp("Root folder (default: $LYRE_ROOT or ./lyre-data).", valueName: "dir")

/// `lyre start`: `lyre run` in the background, with a pid file, once it answers.
struct StartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Start the server in the background and wait until it answers.",
        discussion: """
            Runs `lyre run` detached from the terminal (its own session; stdout and stderr \
            appended to <root>/log/lyre-stdout.log), writes its pid to <root>/lyre.pid and waits \
            up to 30 seconds until GET /health answers. Then prints the server's URL on stdout \
            and exits 0. If the server exits or does not answer in time, the end of its output \
            is shown and the exit status is 1.

            The environment is passed on, so HDB_ADMIN_USERNAME / HDB_ADMIN_PASSWORD create \
            the first super user as with `lyre run`. Stop the server with `lyre stop`.
            """
    )

    @Option(help: rootHelp) var root: String?

    @Option(help: "TCP port (default: the configuration's, 9925; 0 picks a free port).")
    var port: Int?

    @Option(help: ArgumentHelp("Address to listen on (default 127.0.0.1).", valueName: "addr"))
    var host: String?

    func validate() throws {
        if let port, !(0...65535).contains(port) {
            throw ValidationError("--port must be between 0 and 65535")
        }
    }

    func run() throws {
        let control = ServerControl(root: root)
        if let pid = control.runningPID() {
            CLIOutput.error("already running (pid \(pid), root \(control.root)); `lyre stop` first")
            throw ExitCode.failure
        }
        control.removePIDFile()
        let pid: pid_t
        let offset: UInt64
        do {
            try FileManager.default.createDirectory(atPath: control.logDirectory, withIntermediateDirectories: true)
            offset = control.logSize()
            var arguments = ["run", "--root", control.root]
            if let port { arguments += ["--port", String(port)] }
            if let host { arguments += ["--host", host] }
            pid = try control.spawnDetached(executable: ServerControl.executablePath(), arguments: arguments)
            try control.writePID(pid)
        } catch {
            CLIOutput.error("\(error)")
            throw ExitCode.failure
        }

        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                control.removePIDFile()
                let code = status & 0x7f == 0 ? "status \((status >> 8) & 0xff)" : "signal \(status & 0x7f)"
                CLIOutput.error("the server exited (\(code)) while starting:\n" + control.logTail(from: offset))
                throw ExitCode.failure
            }
            if let url = control.listeningURL(from: offset) {
                // A listener this client cannot probe (https) counts once it says it listens.
                if !url.hasPrefix("http://") || ServerControl.isHealthy(url) {
                    print(url)
                    CLIOutput.note("started (pid \(pid), root \(control.root), output in \(control.stdoutLog))")
                    return
                }
            }
            usleep(100_000)
        }
        kill(pid, SIGTERM)
        control.removePIDFile()
        CLIOutput.error("the server did not answer /health within 30 s; sent SIGTERM. Its output:\n"
                        + control.logTail(from: offset))
        throw ExitCode.failure
    }
}

/// `lyre stop`: SIGTERM to the server in the pid file, then waits for it to go.
struct StopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "Stop the server started with `lyre start`.",
        discussion: """
            Sends SIGTERM to the process in <root>/lyre.pid (a graceful stop: in-flight requests \
            finish, storage is closed) and waits up to 30 seconds for it to exit; a server still \
            running then gets SIGKILL, with a note. Removes the pid file. Stopping a server that \
            is not running prints so and exits 0.
            """
    )

    @Option(help: rootHelp) var root: String?

    func run() throws {
        let control = ServerControl(root: root)
        guard let pid = control.runningPID() else {
            let stale = control.recordedPID() != nil
            control.removePIDFile()
            print("not running (root \(control.root))" + (stale ? "; removed a stale pid file" : ""))
            return
        }
        guard kill(pid, SIGTERM) == 0 else {
            CLIOutput.error("cannot signal pid \(pid): \(String(cString: strerror(errno)))")
            throw ExitCode.failure
        }
        let deadline = Date().addingTimeInterval(30)
        while ServerControl.isAlive(pid), Date() < deadline { usleep(100_000) }
        if ServerControl.isAlive(pid) {
            CLIOutput.note("pid \(pid) did not exit within 30 s of SIGTERM; sending SIGKILL")
            kill(pid, SIGKILL)
            let killDeadline = Date().addingTimeInterval(5)
            while ServerControl.isAlive(pid), Date() < killDeadline { usleep(50_000) }
        }
        control.removePIDFile()
        print("stopped (pid \(pid))")
    }
}

/// `lyre status`: whether the server of a root is running and answering.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Tell whether the server started with `lyre start` is running.",
        discussion: """
            Reads <root>/lyre.pid, checks that the process is alive and that GET /health answers \
            at the URL the server last announced in <root>/log/lyre-stdout.log. Prints \
            `running <url> (pid N, root R)` and exits 0, or says why not and exits 1.
            """
    )

    @Option(help: rootHelp) var root: String?

    func run() throws {
        let control = ServerControl(root: root)
        guard let pid = control.runningPID() else {
            print("not running (root \(control.root))")
            throw ExitCode.failure
        }
        guard let url = control.listeningURL() else {
            print("process \(pid) is alive but has not announced a listener yet (root \(control.root))")
            throw ExitCode.failure
        }
        guard !url.hasPrefix("http://") || ServerControl.isHealthy(url) else {
            print("process \(pid) is alive but \(url)/health does not answer (root \(control.root))")
            throw ExitCode.failure
        }
        print("running \(url) (pid \(pid), root \(control.root))")
    }
}
