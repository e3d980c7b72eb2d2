import Foundation
import LyreCore

/// The job of `export_local` (bulk-and-jobs.md §9): validate the parameters, then stream
/// the embedded search's records (`ExportStream`) into `<path>/<filename>.<format>`,
/// written atomically.
struct ExportLocal: Sendable {
    var body: JSONObject
    var user: User

    func run(app: Application, control: JobControl) async throws -> JobOutcome {
        let (format, search) = try Self.formatAndSearch(body)
        guard case .string(var path)? = body["path"], !path.isEmpty else { throw LyreError.badRequest("path is missing.") }
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        try Self.checkDirectory(path)
        let filename: String
        switch body["filename"] {
        case nil, .null?: filename = String(JobRecord.now())
        case let value?: filename = try Request.nameText(value, field: "filename")
        }

        var stream = try await ExportStream(search: search, format: format, app: app, user: user, control: control)
        var writer = try ExportWriter(directory: path, fileName: "\(filename).\(format)")
        while let chunk = try stream.next(control) {
            try writer.append(chunk)
        }
        try writer.commit()
        var result = JSONObject()
        result.appendUnchecked("message", .string("Successfully exported \(format.uppercased()) locally."))
        result.appendUnchecked("path", .string(writer.finalPath))
        return .result(.object(result))
    }

    /// `format` and `search_operation` checked with the §9 texts (shared by `export_to_s3`).
    static func formatAndSearch(_ body: JSONObject) throws -> (format: String, search: JSONObject) {
        guard let formatValue = body["format"], !formatValue.isNull else { throw LyreError.badRequest("format missing") }
        guard case .string(let format) = formatValue, format == "json" || format == "csv" else {
            throw LyreError.badRequest("format invalid. must be one of the following values: json, csv")
        }
        guard case .object(let search)? = body["search_operation"], let operation = search["operation"], !operation.isNull else {
            throw LyreError.badRequest("search_operation.operation missing")
        }
        guard case .string(let name) = operation, EmbeddedSearch.allowed.contains(name) else {
            throw LyreError.badRequest("searchOperation.operation must be one of the following values: search_by_value, search_by_hash, sql, search_by_conditions")
        }
        return (format, search)
    }

    /// - Throws: the §9 texts for a missing, inaccessible or non-directory path.
    private static func checkDirectory(_ path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == EACCES { throw LyreError.badRequest("access to path '\(path)' is denied") }
            throw LyreError.badRequest("path '\(path)' does not exist")
        }
        guard (info.st_mode & mode_t(S_IFMT)) == mode_t(S_IFDIR) else {
            throw LyreError.badRequest("path '\(path)' is not a directory, please supply a valid folder path")
        }
        guard access(path, W_OK | X_OK) == 0 else { throw LyreError.badRequest("access to path '\(path)' is denied") }
    }
}
