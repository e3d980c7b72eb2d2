import LyreCore
import LyreOperations

/// The configuration file (`harperdb-config.yaml`): YAML read into a tree
/// (`ConfigurationFile.parse`, Yams underneath, depth-limited) and mapped onto the settings
/// (`ConfigurationFile.map`: numbers clamped, durations, ports, paths).
///
/// The input is the file's text.
///
/// Invariants: no trap (a bad file is refused with an error); a tree that was read, written
/// as `set_configuration` writes it and read again, is the same tree (as JSON), so that a
/// setting survives being persisted.
enum ConfigFuzzer {
    static func run(_ bytes: UnsafeRawBufferPointer) throws(InvariantViolation) {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let tree = try? ConfigurationFile.parse(yaml: text) else { return }
        var configuration = Configuration(root: "/nonexistent")
        ConfigurationFile.map(tree, onto: &configuration)
        guard ConfigurationFile.nesting(of: .object(tree)) < ConfigurationFile.maximumDepth,
              let written = try? ConfigurationFile.yaml(tree) else { return }
        let reread: JSONObject
        do {
            reread = try ConfigurationFile.parse(yaml: written)
        } catch {
            throw InvariantViolation("\(show(text.utf8)) → written as \(show(written.utf8)), which does not read: \(error)")
        }
        try check(JSON.string(.object(reread)) == JSON.string(.object(tree)),
                  "\(show(text.utf8)) → \(JSON.string(.object(tree))) → written \(show(written.utf8)) → \(JSON.string(.object(reread)))")
    }
}
