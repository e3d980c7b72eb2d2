import AsyncHTTPClient
import Foundation
import LyreCore
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// The download of `csv_url_load` (bulk-and-jobs.md §7), the one place where Lyre's
/// operations speak HTTP as a client.
///
/// A load reads its source twice (validate, then write; see `CSVLoad`), but a URL is fetched
/// once: the first pass streams the response body chunk by chunk into the CSV parser and, at
/// the same time, into a spool file under `<root>/tmp`; the second pass reads the spool file.
/// Memory stays bounded by a chunk whatever the size of the download; the spool file is
/// removed when the job ends (and stale ones at the next start).
struct CSVDownload: SpooledDownload {
    let url: String
    /// `passthrough_headers`, sent with the request as given.
    let headers: [(String, String)]
    let client: HTTPClient
    let logger: Logger

    /// Media types accepted (§7), compared without parameters and case-insensitively. A
    /// response without `Content-Type` is accepted as `application/octet-stream` (RFC 9110
    /// §8.3); see docs/compatibility.md.
    static let contentTypes: Set<String> = ["text/csv", "application/octet-stream", "text/plain", "application/vnd.ms-excel"]

    /// Longest time without a byte from the server before the download fails.
    static let readTimeout: TimeAmount = .seconds(60)
    /// Longest time to connect.
    static let connectTimeout: TimeAmount = .seconds(10)
    /// Longest time for a whole download.
    static let totalTimeout: TimeAmount = .hours(6)

    /// Folder of spool files, under the root.
    static func spoolFolder(root: String) -> String { root + "/tmp" }
    static let spoolPrefix = "csv_url_load-"

    /// A new spool file path for one load (the file is created by the download).
    static func spoolPath(root: String) -> String {
        spoolFolder(root: root) + "/" + spoolPrefix + UUID().uuidString.lowercased() + ".csv"
    }

    /// Removes spool files left by a process that stopped during a download.
    static func removeStaleSpools(root: String) {
        let folder = spoolFolder(root: root)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names where name.hasPrefix(spoolPrefix) {
            try? FileManager.default.removeItem(atPath: folder + "/" + name)
        }
    }

    /// True for an absolute `http`/`https` URL with a host (`'csv_url' must be a valid url`).
    static func isValidURL(_ text: String) -> Bool {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty else { return false }
        // A port past 65535 is no URL (WHATWG); the HTTP client trapped on it, in the job.
        return components.port.map { (0...65_535).contains($0) } ?? true
    }

    /// Fetches the URL, hands each chunk of the body to `body` in order and appends it to a
    /// new file at `spool`.
    /// - Returns: the number of body bytes.
    /// - Throws: the §7 job-time texts as `LyreError` (non-2xx status, unsupported content
    ///   type, empty body, network failure), `JobInterruption` when the job is stopped, and
    ///   whatever `body` throws.
    @discardableResult
    func fetch(spoolingTo spool: String, control: JobControl,
               _ body: (UnsafeRawBufferPointer) throws -> Void) async throws -> Int {
        try FileManager.default.createDirectory(atPath: (spool as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        let fd = open(spool, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw LyreError(.internalError, status: 500, "cannot create \(spool): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }

        var request = HTTPClientRequest(url: url)
        request.method = .GET
        for (name, value) in headers { request.headers.add(name: name, value: value) }

        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: Self.totalTimeout, logger: logger)
        } catch {
            throw networkFailure(error, control: control)
        }
        guard (200..<300).contains(response.status.code) else {
            throw LyreError.badRequest(
                "CSV Load failed from URL: \(url), status code: \(response.status.code), message: \(response.status.reasonPhrase)")
        }
        if let contentType = response.headers.first(name: "content-type") {
            let media = contentType.split(separator: ";", maxSplits: 1).first.map {
                $0.trimmingCharacters(in: .whitespaces).lowercased()
            } ?? ""
            guard Self.contentTypes.contains(media) else {
                throw LyreError.badRequest("CSV Load failed from URL: \(url), unsupported content type: \(contentType)")
            }
        }

        var total = 0
        do {
            for try await buffer in response.body {
                try control.checkInterrupted()
                try buffer.withUnsafeReadableBytes { chunk in
                    try Self.write(chunk, to: fd, path: spool)
                    try body(chunk)
                }
                total += buffer.readableBytes
            }
        } catch let error as LyreError {
            throw error
        } catch let error as JobInterruption {
            throw error
        } catch let malformed as CSVParser.Malformed {
            throw malformed
        } catch let failure as JobFailure {
            throw failure
        } catch {
            throw networkFailure(error, control: control)
        }
        guard total > 0 else { throw LyreError.badRequest("CSV Load failed from URL: \(url), no csv found at url") }
        return total
    }

    static func write(_ chunk: UnsafeRawBufferPointer, to fd: Int32, path: String) throws {
        var offset = 0
        while offset < chunk.count {
            let written = Foundation.write(fd, chunk.baseAddress! + offset, chunk.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw LyreError(.internalError, status: 500, "cannot write \(path): \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }

    /// `Error downloading CSV file from <url>, status code: <code>. …` for a failure below
    /// HTTP. Harper puts the error's HTTP status there (absent for such failures, so Node
    /// prints `undefined`); Lyre names the failure the way Node's error codes do
    /// (`ECONNREFUSED`, `ENOTFOUND`, `ETIMEDOUT`, `ECONNRESET`), else `undefined`, and logs the cause.
    private func networkFailure(_ error: any Error, control: JobControl) -> any Error {
        if error is CancellationError || control.interruption != nil { return control.interruption ?? JobInterruption.shutdown }
        logger.warning("csv_url_load: downloading \(url) failed: \(String(reflecting: error))")
        return LyreError.badRequest(
            "Error downloading CSV file from \(url), status code: \(Self.code(of: error)). Check the log for more information.")
    }

    static func code(of error: any Error) -> String {
        if let io = error as? IOError {
            switch io.errnoCode {
            case ECONNREFUSED: return "ECONNREFUSED"
            case ECONNRESET, EPIPE: return "ECONNRESET"
            case ETIMEDOUT: return "ETIMEDOUT"
            case EHOSTUNREACH, ENETUNREACH: return "EHOSTUNREACH"
            default: break
            }
        }
        if let client = error as? HTTPClientError {
            switch client {
            case .connectTimeout, .readTimeout, .deadlineExceeded, .writeTimeout: return "ETIMEDOUT"
            case .remoteConnectionClosed: return "ECONNRESET"
            default: break
            }
        }
        let text = String(reflecting: error)
        if text.contains("ECONNREFUSED") || text.contains("Connection refused") || text.contains("connectionRefused") {
            return "ECONNREFUSED"
        }
        if text.contains("SocketAddressError") || text.contains("unknownHost") || text.contains("resolution") {
            return "ENOTFOUND"
        }
        if text.contains("imeout") { return "ETIMEDOUT" }
        return "undefined"
    }
}

/// The application's HTTP client for downloads, made at the first `csv_url_load` (an
/// application that never downloads starts no client) and shut down with the application.
final class DownloadClient: Sendable {
    private struct State {
        var client: HTTPClient?
        var closed = false
    }
    private let state = Mutex(State())

    /// The client, made on first use.
    /// - Throws: `JobInterruption.shutdown` once the application is shutting down.
    func client() throws -> HTTPClient {
        try state.withLock { s in
            if s.closed { throw JobInterruption.shutdown }
            if let client = s.client { return client }
            var configuration = HTTPClient.Configuration(
                redirectConfiguration: .follow(max: 5, allowCycles: false),
                timeout: .init(connect: CSVDownload.connectTimeout, read: CSVDownload.readTimeout))
            configuration.httpVersion = .automatic
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            s.client = client
            return client
        }
    }

    /// Shuts the client down (if one was made) without blocking: downloads in flight fail,
    /// and their jobs were interrupted first by `JobRunner.shutdown()`.
    func shutdown() {
        let client = state.withLock { s -> HTTPClient? in
            s.closed = true
            defer { s.client = nil }
            return s.client
        }
        client?.shutdown { _ in }
    }
}
