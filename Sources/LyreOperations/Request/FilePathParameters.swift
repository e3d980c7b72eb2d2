import LyreCore

/// The one check of every request parameter that names a file or folder on the server:
/// none may hold a NUL byte (a C path ends there, so `a\u0000b` would silently address `a`).
/// `Application` runs it for every operation after authorization and before the handler, so
/// no handler sees such a path and nothing is written.
enum FilePathParameters {
    /// The parameters of each operation (by canonical name: aliases such as
    /// `add_custom_function_project` share their operation's entry) that name server files or
    /// folders or become part of a file name. Operations Lyre does not implement yet are
    /// listed too, so they are covered when they arrive.
    static let byOperation: [OperationName: [String]] = [
        .csvFileLoad: ["file_path"],
        .exportLocal: ["path", "filename"],
        .readLog: ["log_name"],
        .addComponent: ["project"], .dropComponent: ["project", "file"], .packageComponent: ["project"],
        .deployComponent: ["project"], .getComponentFile: ["project", "file"], .setComponentFile: ["project", "file"],
        .getCustomFunction: ["project", "type", "file"], .setCustomFunction: ["project", "type", "file"],
        .dropCustomFunction: ["project", "type", "file"], .dropCustomFunctionProject: ["project"],
        .addSshKey: ["name"], .updateSshKey: ["name"], .deleteSshKey: ["name"],
    ]

    /// - Throws: `LyreError.nulInPath` naming the first path parameter (in body order) that
    ///   holds a NUL byte anywhere in its value.
    static func check(_ operation: OperationName, body: JSONObject) throws {
        let listed = byOperation[operation] ?? []
        if listed.isEmpty, operation != .setConfiguration { return }  // most operations: nothing to look at
        for entry in body where listed.contains(entry.key) || isConfigurationPath(operation, entry.key) {
            if containsNUL(entry.value) { throw LyreError.nulInPath(entry.key) }
        }
    }

    /// `set_configuration`'s flattened keys for paths and files (`logging_root`, `tls_certificate`,
    /// `databases`, ...).
    private static func isConfigurationPath(_ operation: OperationName, _ key: String) -> Bool {
        guard operation == .setConfiguration else { return false }
        if key.lowercased() == "databases" { return true }
        guard let path = ConfigurationKeys.path(forFlattened: key) else { return false }
        return ConfigurationKeys.fileKeys.contains(path.joined(separator: "."))
    }

    /// Whether a string anywhere in `value` (nested arrays and objects included, keys too) holds a NUL byte.
    static func containsNUL(_ value: Value) -> Bool {
        switch value {
        case .string(let s): s.utf8.contains(0)
        case .array(let items): items.contains(where: containsNUL)
        case .object(let o): o.contains { $0.key.utf8.contains(0) || containsNUL($0.value) }
        default: false
        }
    }
}
