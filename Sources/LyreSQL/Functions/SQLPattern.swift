/// `LIKE` and `REGEXP` matching (sql.md §4.3) over Swift `Regex`.
public enum SQLPattern {
    /// Whether `value` matches the `LIKE` pattern: whole-string, case-insensitive; `%` any
    /// sequence, `_` one character other than a newline, `[…]` classes, and `^ $ \` keep their
    /// regular-expression meaning (quirk, keep).
    /// - Throws: `SQLEvaluationError` when the translated pattern is not a valid expression.
    public static func like(_ value: String, pattern: String) throws -> Bool {
        let regex = try compile(likeToRegex(pattern), flags: "i")
        return (try? regex.wholeMatch(in: value)) != nil
    }

    /// The regular expression a `LIKE` pattern stands for.
    public static func likeToRegex(_ pattern: String) -> String {
        var out = ""
        var inClass = false
        for c in pattern {
            if inClass {
                out.append(c)
                if c == "]" { inClass = false }
                continue
            }
            switch c {
            case "%": out += "[\\s\\S]*"
            case "_": out += "[^\\n]"
            case "[": out.append(c); inClass = true
            case "^", "$", "\\", "]": out.append(c)
            case ".", "*", "+", "?", "(", ")", "{", "}", "|", "/", "-", "#", "&", "~":
                out += "\\" + String(c)
            default:
                out.append(c)
            }
        }
        return out
    }

    /// JavaScript regular-expression search (unanchored) with flags `i`, `m`, `s`.
    /// - Throws: `SQLEvaluationError` on an invalid pattern.
    public static func search(_ pattern: String, flags: String = "", in value: String) throws -> Bool {
        let regex = try compile(pattern, flags: flags)
        return (try? regex.firstMatch(in: value)) != nil
    }

    private static func compile(_ pattern: String, flags: String) throws -> Regex<AnyRegexOutput> {
        do {
            var regex = try Regex(pattern)
            if flags.contains("i") { regex = regex.ignoresCase() }
            if flags.contains("m") { regex = regex.anchorsMatchLineEndings() }
            regex = regex.dotMatchesNewlines(flags.contains("s"))
            return regex
        } catch {
            throw SQLEvaluationError("invalid regular expression /\(pattern)/")
        }
    }
}
