import LyreSQL

/// The linear-time regular-expression engine (`LinearRegex`, behind `REGEXP`, `LIKE` and
/// JSONata's `$contains`).
///
/// The input is a pattern, then optionally a NUL byte, a flags byte (its low three bits pick
/// `i`, `m`, `s`) and the text to match.
///
/// Invariants: no trap and no stall (patterns the linear engine takes are matched in time
/// linear in the text; backreferences and lookaround, which fall back to Swift's `Regex`, are
/// skipped here); matching is deterministic; a whole match is also a match somewhere; a
/// pattern that matches somewhere matches all of `.*(?:pattern).*` under the `s` flag.
enum RegexFuzzer {
    static func run(_ bytes: UnsafeRawBufferPointer) throws(InvariantViolation) {
        let split = bytes.firstIndex(of: 0) ?? bytes.count
        let pattern = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[..<split]), as: UTF8.self)
        var flags = ""
        var text = "aAb 1_\né-"
        if split + 1 < bytes.count {
            let bits = bytes[split + 1]
            if bits & 1 != 0 { flags += "i" }
            if bits & 2 != 0 { flags += "m" }
            if bits & 4 != 0 { flags += "s" }
            text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(split + 2)...]), as: UTF8.self)
        }
        guard let matcher = try? SQLPattern.matcher(pattern, flags: flags), case .linear = matcher else { return }
        let found = matcher.search(text)
        let whole = matcher.wholeMatch(text)
        try check(matcher.search(text) == found && matcher.wholeMatch(text) == whole,
                  "/\(pattern)/\(flags) on \(text.debugDescription): two runs disagree")
        try check(!whole || found, "/\(pattern)/\(flags) matches all of \(text.debugDescription) but nowhere in it")
        // `^`, `$` and `\b` keep their meaning only when the surrounding `.*` cannot change them.
        if !flags.contains("m"), !pattern.contains("^"), !pattern.contains("$"), !pattern.contains("\\b"), !pattern.contains("\\B"),
           let widened = try? SQLPattern.matcher("[\\s\\S]*(?:" + pattern + ")[\\s\\S]*", flags: flags), case .linear = widened {
            try check(widened.wholeMatch(text) == found,
                      "/\(pattern)/\(flags) on \(text.debugDescription): search \(found), but wrapped in [\\s\\S]* whole \(!found)")
        }
    }
}
