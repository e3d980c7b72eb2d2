import Foundation
import LyreCore

/// The job of `export_local` (bulk-and-jobs.md §9): validate the parameters, run the
/// embedded search through the registry, write `<path>/<filename>.<format>` atomically.
struct ExportLocal: Sendable {
    var body: JSONObject
    var user: User

    func run(app: Application, control: JobControl) async throws -> JobOutcome {
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
        guard case .string(var path)? = body["path"], !path.isEmpty else { throw LyreError.badRequest("path is missing.") }
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        try Self.checkDirectory(path)
        let filename: String
        switch body["filename"] {
        case nil, .null?: filename = String(JobRecord.now())
        case let value?: filename = try Request.nameText(value, field: "filename")
        }

        let found = try await control.gate.readAsync { try await EmbeddedSearch.run(search, app: app, user: user) }
        let records: [Value] = found.arrayValue ?? [found]
        control.setTotal(records.count)
        try control.checkInterrupted()

        var writer = try ExportWriter(directory: path, fileName: "\(filename).\(format)")
        if format == "json" {
            try writer.append([UInt8(ascii: "[")])
            for (i, record) in records.enumerated() {
                var bytes: [UInt8] = i == 0 ? [] : [UInt8(ascii: ",")]
                JSON.write(record, into: &bytes)
                try writer.append(bytes)
                if i % 10_000 == 9_999 { control.setDone(i + 1); try control.checkInterrupted() }
            }
            try writer.append([UInt8(ascii: "]")])
        } else {
            let columns = CSVExport.columns(records)
            try writer.append(CSVExport.line(columns))
            for (i, record) in records.enumerated() {
                try writer.append(CSVExport.line(columns.map { CSVExport.cell(record[$0]) }))
                if i % 10_000 == 9_999 { control.setDone(i + 1); try control.checkInterrupted() }
            }
        }
        try writer.commit()
        control.setDone(records.count)
        var result = JSONObject()
        result.appendUnchecked("message", .string("Successfully exported \(format.uppercased()) locally."))
        result.appendUnchecked("path", .string(writer.finalPath))
        return .result(.object(result))
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
