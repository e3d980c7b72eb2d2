import Foundation
import LyreCore
import LyreOperations
import Testing

/// Issue 22 §7: every key of the default configuration tree is documented, either in the
/// README's tables (what Lyre acts on) or in docs/compatibility.md (accepted and ignored).
@Suite struct ConfigurationDocumentationTests {
    /// The repository's root, from this file's path.
    private static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    private static func leafKeys(_ object: JSONObject, _ prefix: [String] = []) -> [[String]] {
        object.flatMap { entry -> [[String]] in
            if case .object(let inner) = entry.value { return leafKeys(inner, prefix + [entry.key]) }
            return [prefix + [entry.key]]
        }
    }

    /// Documented as itself (`a.b.c`), under a wildcard (`a.*`, `a.b.*`), or as a sibling on
    /// a line that names its parent (`a.b.c` / `d`, `a.b.c`, `.d`).
    static func isDocumented(_ path: [String], in lines: [String]) -> Bool {
        let dotted = path.joined(separator: ".")
        let parent = path.dropLast().joined(separator: ".")
        let last = path[path.count - 1]
        return lines.contains { line in
            if line.contains("`\(dotted)`") { return true }
            for n in 1..<max(1, path.count) where line.contains("`\(path.prefix(n).joined(separator: "."))" + ".*`") { return true }
            return !parent.isEmpty && line.contains("`\(parent).")
                && (line.contains("`\(last)`") || line.contains("`.\(last)`"))
        }
    }

    @Test func everyDefaultKeyIsDocumentedAsActedOnOrIgnored() throws {
        let text = try String(contentsOfFile: Self.repository + "/README.md", encoding: .utf8)
            + (try String(contentsOfFile: Self.repository + "/docs/compatibility.md", encoding: .utf8))
        let lines = text.components(separatedBy: "\n")
        let missing = Self.leafKeys(ConfigurationFile.defaults(root: "/root"))
            .filter { !Self.isDocumented($0, in: lines) }.map { $0.joined(separator: ".") }
        #expect(missing.isEmpty, "undocumented configuration keys: \(missing)")
    }
}
