import Foundation
import LyreCore
import LyreS3
import Logging

/// `import_from_s3` (bulk-and-jobs.md §8) and `export_to_s3` (§10): the two operations that
/// speak to S3, through `LyreS3` (SigV4 signing, the REST calls) and the HTTP client the
/// application keeps for downloads. The load reuses `CSVLoad` / `JSONLoad`; the export
/// reuses `export_local`'s validation, search and serialization.
enum S3Operations {
    static func register(into registry: inout OperationRegistry) {
        registry.register(.importFromS3, .async(importFromS3))
        registry.register(.exportToS3, .async(exportToS3))
    }

    // MARK: import_from_s3

    /// Synchronous checks (400): table, action, the `s3` object and the key's extension,
    /// then the target's permissions and existence as `csv_data_load`. Everything about the
    /// object itself (missing key or bucket, access, content) is a job-time error.
    @Sendable static func importFromS3(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        try BulkLoadOperations.requireTable(request)
        let (mode, explicit) = try BulkLoadOperations.action(request)
        // Harper's validator names the first missing field; with no `s3` at all, the first of all.
        let s3 = try S3Request.parse(request["s3"]) { field in
            "S3 \((field ?? S3Request.fields[0]).replacingOccurrences(of: "_", with: " ")) can't be blank"
        }
        let lowered = s3.key.lowercased()
        let isJSON = lowered.hasSuffix(".json")
        guard isJSON || lowered.hasSuffix(".csv") else {
            throw LyreError.badRequest("S3 key must include one of the following valid file extensions - '.csv', '.json'")
        }
        let (database, table) = try BulkLoadOperations.checkTarget(request, context, mode: mode, explicit: explicit)

        let app = context.app
        let client = S3Client(location: s3.location, credentials: s3.credentials, http: try app.downloads.client())
        let download = S3ObjectDownload(client: client, key: s3.key, logger: app.logger)
        let source = CSVSource.url(download, spool: S3ObjectDownload.spoolPath(root: app.configuration.root))
        let permissions = BulkLoadOperations.permissions(for: mode, explicit: explicit)
        let storage = app.storage
        let auditLog = app.configuration.auditLog
        if isJSON {
            var load = JSONLoad(database: database, table: table, mode: mode, source: source, user: context.user, permissions: permissions)
            load.auditLog = auditLog
            return try await BulkLoadOperations.startLoad(request, context, database: database) { [load] control in
                try await load.run(storage: storage, control: control)
            }
        }
        var load = CSVLoad(database: database, table: table, mode: mode, source: source, user: context.user, permissions: permissions)
        load.auditLog = auditLog
        return try await BulkLoadOperations.startLoad(request, context, database: database) { [load] control in
            try await load.run(storage: storage, control: control)
        }
    }

    // MARK: export_to_s3

    /// Super user only (the registry's rule), except an `sql` search, whose statement's
    /// rights are checked here as for `export_local`. Every other check is job-time (§10).
    @Sendable static func exportToS3(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        if Authorization.searchesWithSQL(request.body), case .object(let search)? = request["search_operation"] {
            try SQLOperation.authorizeEmbedded(search, user: context.user, catalog: context.app.storage)
        }
        let export = ExportToS3(body: request.body, user: context.user)
        let app = context.app
        return try await JobOperations.start(request, context) { control in
            try await export.run(app: app, control: control)
        }
    }
}

/// The job of `export_to_s3`: the `s3` checks, then `export_local`'s format and search
/// checks, and the search's records streamed batch by batch (`ExportStream`) to
/// `<s3.key>.<format>` through `S3Upload` (one `PutObject` below a part, multipart above). The result is the upload's
/// answer in the AWS SDK's shape: `ETag`, `VersionId` (versioned buckets), `Location`,
/// `Key`, `Bucket`.
struct ExportToS3: Sendable {
    var body: JSONObject
    var user: User

    func run(app: Application, control: JobControl) async throws -> JobOutcome {
        let s3 = try S3Request.parse(body["s3"]) { field in
            guard let field else { return "S3 object is missing." }
            return "\(field) is missing."
        }
        let (format, search) = try ExportLocal.formatAndSearch(body)
        var stream = try await ExportStream(search: search, format: format, app: app, user: user, control: control)

        let key = s3.key + "." + format
        let client = S3Client(location: s3.location, credentials: s3.credentials, http: try app.downloads.client())
        var upload = S3Upload(client: client, key: key, contentType: format == "json" ? "application/json" : "text/csv")
        let answer: S3PutResult
        do {
            while let chunk = try stream.next(control) {
                try await upload.append(chunk)
            }
            try control.checkInterrupted()
            answer = try await upload.finish()
        } catch {
            await upload.abort()
            if let failure = error as? S3Error { throw Self.failure(failure, key: key, location: s3.location, logger: app.logger) }
            throw error
        }
        var result = JSONObject()
        result.appendUnchecked("ETag", .string(answer.etag))
        if let version = answer.versionID { result.appendUnchecked("VersionId", .string(version)) }
        result.appendUnchecked("Location", .string(s3.location.objectURL(key: key)))
        result.appendUnchecked("Key", .string(key))
        result.appendUnchecked("Bucket", .string(s3.location.bucket))
        return .result(.object(result))
    }

    static func failure(_ error: S3Error, key: String, location: S3Location, logger: Logger) -> LyreError {
        switch error {
        case .service(let status, let code, let message):
            logger.info("export_to_s3: upload of '\(key)' to bucket '\(location.bucket)' failed: \(status) \(code)")
            return LyreError.badRequest(message)
        case .transport(let cause):
            logger.warning("export_to_s3: uploading '\(key)' to \(location.host) failed: \(cause)")
            return LyreError.badRequest("There was an error uploading '\(key)' to AWS.")
        }
    }
}
