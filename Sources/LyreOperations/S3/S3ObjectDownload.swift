import Foundation
import LyreCore
import LyreS3
import Logging
import NIOCore

/// `import_from_s3`'s source: `GetObject` streamed chunk by chunk into the load's first pass
/// and its spool file (the same scheme as `csv_url_load`, see `CSVDownload`). The job's
/// progress counts the object's bytes read (total: its `Content-Length`) until the load
/// starts writing, then records.
struct S3ObjectDownload: SpooledDownload {
    let client: S3Client
    let key: String
    let logger: Logger

    static func spoolPath(root: String) -> String {
        CSVDownload.spoolFolder(root: root) + "/" + CSVDownload.spoolPrefix + "s3-" + UUID().uuidString.lowercased()
    }

    @discardableResult
    func fetch(spoolingTo spool: String, control: JobControl, _ body: (UnsafeRawBufferPointer) throws -> Void) async throws -> Int {
        try FileManager.default.createDirectory(atPath: (spool as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let fd = open(spool, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw LyreError(.internalError, status: 500, "cannot create \(spool): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }

        let object: S3ObjectBody
        do {
            object = try await client.getObject(key: key)
        } catch {
            throw failure(error, control: control)
        }
        control.setTotal(object.contentLength)
        var iterator = object.body.makeAsyncIterator()
        var total = 0
        while true {
            let next: ByteBuffer?
            do { next = try await iterator.next() } catch {
                throw failure(.transport(String(describing: error)), control: control)
            }
            guard let buffer = next else { break }
            try control.checkInterrupted()
            try buffer.withUnsafeReadableBytes { chunk in
                try CSVDownload.write(chunk, to: fd, path: spool)
                try body(chunk)
            }
            total += buffer.readableBytes
            control.setDone(total)
        }
        return total
    }

    /// The service's message as the job's error (`The specified key does not exist.`,
    /// `Access Denied`, `The specified bucket does not exist`); a transport failure as
    /// Harper's `There was an error downloading '<key>' from AWS.`, its cause logged.
    private func failure(_ error: S3Error, control: JobControl) -> any Error {
        if let interruption = control.interruption { return interruption }
        switch error {
        case .service(let status, let code, let message):
            logger.info("import_from_s3: GetObject of '\(key)' in bucket '\(client.location.bucket)' failed: \(status) \(code)")
            return LyreError.badRequest(message)
        case .transport(let cause):
            logger.warning("import_from_s3: downloading '\(key)' from \(client.location.host) failed: \(cause)")
            return LyreError.badRequest("There was an error downloading '\(key)' from AWS.")
        }
    }
}
