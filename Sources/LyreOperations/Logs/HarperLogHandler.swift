import Dispatch
import Foundation
public import Logging
public import LyreAuth
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The C calls, named apart from the sink's own `open`/`write` methods.
private enum LibC {
    static func write(_ fd: Int32, _ p: UnsafeRawPointer?, _ n: Int) -> Int {
        #if canImport(Glibc)
        Glibc.write(fd, p, n)
        #else
        Darwin.write(fd, p, n)
        #endif
    }

    static func open(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 {
        #if canImport(Glibc)
        Glibc.open(path, flags, mode)
        #else
        Darwin.open(path, flags, mode)
        #endif
    }

    @discardableResult
    static func rename(_ from: String, _ to: String) -> Int32 {
        #if canImport(Glibc)
        Glibc.rename(from, to)
        #else
        Darwin.rename(from, to)
        #endif
    }
}

/// The destination of log lines: `<logging.root>/hdb.log` in Harper's line format
/// (`<timestamp> [<thread>] [<level>] [<tag>]…: <message>`, logs-config-system.md §1.1),
/// optionally mirrored to stdout, with the configured level and rotation.
///
/// Rotation (`logging.rotation.*`, when `enabled`) renames `hdb.log` to
/// `HDB-YYYY-MM-DDTHH-MM-SS-SSSZ.log` in `logging.rotation.path` and starts a new file when it
/// reaches `maxSize`, or before the first line written once `interval` has passed since the file
/// was started (its first entry's timestamp). With `compress`, the renamed file is then gzipped
/// to `HDB-….log.gz` on a background queue (the plain file is removed once the `.gz` is complete).
///
/// One sink is shared by every `HarperLogHandler`; `apply(_:)` changes its settings at runtime
/// (the application calls it after a `restart` re-reads the configuration).
public final class HarperLogSink: Sendable {
    struct Settings: Sendable {
        var directory: String
        var level: String
        var toFile: Bool
        var toStdout: Bool
        var maxBytes: Int?
        var intervalSeconds: Double?
        var compress: Bool
        var rotationDirectory: String?
    }

    private struct State {
        var settings: Settings
        var fd: Int32 = -1
        var size: Int = 0
        /// When the current file was started, ms since the epoch (for interval rotation).
        var started: Double = 0
    }

    private let state: Mutex<State>
    private let clock: any AuthClock
    /// gzip of rotated files, one at a time, off the logging path.
    private let compression = DispatchQueue(label: "lyre.log.compression")

    /// - Parameters:
    ///   - configuration: `logDirectory`, `logLevel`, `logToFile`, rotation settings.
    ///   - foreground: also write every line to stdout (the server runs in a terminal),
    ///     besides `configuration.logToStdStreams`.
    ///   - clock: the time of log lines and of interval rotation (tests move it).
    public init(configuration: Configuration, foreground: Bool, clock: any AuthClock = SystemClock()) {
        state = Mutex(State(settings: Self.settings(configuration, foreground: foreground)))
        self.clock = clock
    }

    deinit {
        state.withLock { if $0.fd >= 0 { close($0.fd) } }
    }

    private static func settings(_ c: Configuration, foreground: Bool) -> Settings {
        Settings(directory: c.logDirectory, level: c.logLevel, toFile: c.logToFile,
                 toStdout: foreground || c.logToStdStreams, maxBytes: c.logRotationMaxBytes,
                 intervalSeconds: c.logRotationInterval, compress: c.logRotationCompress,
                 rotationDirectory: c.logRotationPath)
    }

    /// Applies new settings (level, folder, destinations, rotation); keeps the foreground flag.
    public func apply(_ configuration: Configuration) {
        state.withLock { s in
            var new = Self.settings(configuration, foreground: false)
            new.toStdout = new.toStdout || s.settings.toStdout
            if new.directory != s.settings.directory, s.fd >= 0 {
                close(s.fd)
                s.fd = -1
            }
            s.settings = new
        }
    }

    /// The level below which nothing is written (`notify` always is).
    var level: Logger.Level { HarperLevel.swiftLevel(state.withLock { $0.settings.level }) }

    /// The path of the current log file.
    public var filePath: String { state.withLock { $0.settings.directory } + "/hdb.log" }

    /// Now by the sink's clock, in ms since the epoch.
    var now: Double { clock.now().timeIntervalSince1970 * 1000 }

    /// Waits until every rotated file handed to compression is compressed (tests, shutdown).
    public func waitForCompression() {
        compression.sync {}
    }

    /// Writes one line (already formatted, ending in a newline) stamped `time` (ms).
    func write(_ line: String, at time: Double) {
        let bytes = Array(line.utf8)
        state.withLock { s in
            if s.settings.toStdout { _ = bytes.withUnsafeBytes { LibC.write(1, $0.baseAddress, $0.count) } }
            guard s.settings.toFile else { return }
            if s.fd < 0 { open(&s, now: time) }
            guard s.fd >= 0 else { return }
            if let interval = s.settings.intervalSeconds {
                if s.size == 0 {
                    s.started = time
                } else if time - s.started >= interval * 1000 {
                    rotate(&s, now: time)
                    guard s.fd >= 0 else { return }
                }
            }
            _ = bytes.withUnsafeBytes { LibC.write(s.fd, $0.baseAddress, $0.count) }
            s.size += bytes.count
            if let max = s.settings.maxBytes, s.size >= max { rotate(&s, now: time) }
        }
    }

    /// Opens (appends to) `hdb.log`; an existing file was started at its first entry's time.
    private func open(_ s: inout State, now: Double) {
        try? FileManager.default.createDirectory(atPath: s.settings.directory, withIntermediateDirectories: true)
        s.fd = LibC.open(s.settings.directory + "/hdb.log", O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        var info = stat()
        s.size = s.fd >= 0 && fstat(s.fd, &info) == 0 ? Int(info.st_size) : 0
        s.started = now
        if s.size > 0 {
            var head = [UInt8](repeating: 0, count: 256)
            let n = head.withUnsafeMutableBytes { pread(s.fd, $0.baseAddress, $0.count, 0) }
            if n > 0, let entry = LogParser.header(String(decoding: head[..<n], as: UTF8.self).split(separator: "\n").first ?? "") {
                s.started = min(entry.time, now)
            }
        }
    }

    /// Renames `hdb.log` to `HDB-YYYY-MM-DDTHH-MM-SS-SSSZ.log` in the rotation folder, starts a
    /// new file, and queues the gzip of the old one when `compress` is on.
    private func rotate(_ s: inout State, now: Double) {
        close(s.fd)
        s.fd = -1
        let folder = s.settings.rotationDirectory ?? s.settings.directory
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let stamp = LogTime.format(now).replacingOccurrences(of: ":", with: "-").replacingOccurrences(of: ".", with: "-")
        var name = "HDB-\(stamp)"
        var n = 1
        let taken = { (name: String) in
            FileManager.default.fileExists(atPath: folder + "/" + name + ".log")
                || FileManager.default.fileExists(atPath: folder + "/" + name + ".log.gz")
        }
        while taken(name) {
            name = "HDB-\(stamp)-\(n)"
            n += 1
        }
        let target = folder + "/" + name + ".log"
        LibC.rename(s.settings.directory + "/hdb.log", target)
        open(&s, now: now)
        if s.settings.compress {
            compression.async {
                // On failure the plain rotated file stays: nothing is lost.
                if (try? Gzip.compress(file: target, to: target + ".gz")) != nil { unlink(target) }
            }
        }
    }
}

/// Harper's level names and their order (`trace` < `debug` < `info` < `warn` < `error` < `fatal` < `notify`).
enum HarperLevel {
    static let all = ["trace", "debug", "info", "warn", "error", "fatal", "notify"]

    static func name(_ level: Logger.Level) -> String {
        switch level {
        case .trace: "trace"
        case .debug: "debug"
        case .info: "info"
        case .notice: "notify"
        case .warning: "warn"
        case .error: "error"
        case .critical: "fatal"
        }
    }

    static func swiftLevel(_ name: String) -> Logger.Level {
        switch name.lowercased() {
        case "trace": .trace
        case "debug": .debug
        case "info": .info
        case "notify": .notice
        case "error": .error
        case "fatal": .critical
        default: .warning
        }
    }

    static func rank(_ name: String) -> Int { all.firstIndex(of: name) ?? 3 }
}

/// A swift-log handler writing Harper's line format through a `HarperLogSink`.
///
/// Metadata: `thread` (e.g. `http/3`) replaces the thread field, `tags` (comma-separated)
/// become `[tag]` groups; any other metadata is appended to the message as `key=value`.
public struct HarperLogHandler: LogHandler {
    public let label: String
    let sink: HarperLogSink
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private var overrideLevel: Logger.Level?

    public init(label: String, sink: HarperLogSink) {
        self.label = label
        self.sink = sink
    }

    /// The configured level, lowered to `notice` at most so `notify` lines always pass.
    public var logLevel: Logger.Level {
        get { overrideLevel ?? min(sink.level, .notice) }
        set { overrideLevel = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let name = HarperLevel.name(event.level)
        if event.level != .notice, overrideLevel == nil, HarperLevel.rank(name) < HarperLevel.rank(HarperLevel.name(sink.level)) {
            return
        }
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
        if let extra = event.metadata { all.merge(extra) { $1 } }
        let thread = all.removeValue(forKey: "thread").map { "\($0)" } ?? Self.currentThread()
        var tags = ""
        if let list = all.removeValue(forKey: "tags") {
            for tag in "\(list)".split(separator: ",") { tags += " [\(tag.trimmingCharacters(in: .whitespaces))]" }
        }
        var message = event.message.description
        for (key, value) in all.sorted(by: { $0.key < $1.key }) { message += " \(key)=\(value)" }
        if let error = event.error { message += " error=\(error)" }
        let time = sink.now
        let line = "\(LogTime.format(time)) [\(thread)] [\(name)]\(tags): \(message)\n"
        sink.write(line, at: time)
    }

    /// `main/0` on the main thread, else `<thread name>/<n>` with `n` a number given to each
    /// thread the first time it logs.
    static func currentThread() -> String {
        if Thread.isMainThread { return "main/0" }
        let thread = Thread.current
        let id: Int
        if let known = thread.threadDictionary["lyre.log.thread"] as? Int {
            id = known
        } else {
            id = threadNumbers.add(1, ordering: .relaxed).newValue
            thread.threadDictionary["lyre.log.thread"] = id
        }
        var name = thread.name ?? ""
        // Linux keeps the last 15 bytes of a thread's name: Dispatch's pool threads read
        // `oot.default-qos`, NIO's event loops `NIO-ELT-1-#0`. Name them by role instead.
        if name.contains("qos") || name.contains("com.apple") {
            name = "worker"
        } else if name.hasPrefix("NIO-ELT") {
            name = "http"
        }
        name = String(name.map { $0 == "/" || $0 == "[" || $0 == "]" || $0 == " " ? "-" : $0 })
        if name.isEmpty { name = "thread" }
        return "\(name)/\(id)"
    }
}

private let threadNumbers = Atomic<Int>(0)

/// Installs Lyre's logging for the process. Call once, from the executable, before creating
/// the `Application`:
///
/// ```swift
/// var configuration = Configuration(root: root, bootstrapAdmin: admin)
/// configuration.environment = ProcessInfo.processInfo.environment
/// try ConfigurationFile.writeDefaultsIfMissing(root: root)
/// try ConfigurationFile.apply(to: &configuration)
/// LyreLogging.bootstrap(configuration: configuration, foreground: isatty(1) == 1)
/// let logger = Logger(label: "lyre")
/// let app = try Application(configuration: configuration, logger: logger)
/// ```
///
/// After a `restart`, `Application.reloadConfiguration()` calls `apply(_:)` itself.
public enum LyreLogging {
    private static let installed = Mutex<HarperLogSink?>(nil)

    /// Bootstraps swift-log with `HarperLogHandler` writing `<logging.root>/hdb.log`.
    /// - Parameters:
    ///   - configuration: log folder, level, destinations and rotation.
    ///   - foreground: mirror every line to stdout (running in a terminal).
    /// - Returns: the shared sink (for tests and tools).
    @discardableResult
    public static func bootstrap(configuration: Configuration, foreground: Bool) -> HarperLogSink {
        let sink = HarperLogSink(configuration: configuration, foreground: foreground)
        installed.withLock { $0 = sink }
        LoggingSystem.bootstrap { label in HarperLogHandler(label: label, sink: sink) }
        return sink
    }

    /// Applies new log settings to the installed sink (no-op when none is installed).
    public static func apply(_ configuration: Configuration) {
        installed.withLock { $0 }?.apply(configuration)
    }
}
