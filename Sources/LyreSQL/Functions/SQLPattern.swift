import Synchronization

/// `LIKE` and `REGEXP` matching (sql.md §4.3): `LikeMatcher` for plain `LIKE` patterns,
/// `LinearRegex` for regular expressions (time linear in the value, whatever the pattern),
/// and Swift's `Regex` only for what the linear engine cannot match (backreferences,
/// lookaround).
public enum SQLPattern {
    /// Whether `value` matches the `LIKE` pattern: whole-string, case-insensitive; `%` any
    /// sequence, `_` one character other than a newline, `[…]` classes, and `^ $ \` keep their
    /// regular-expression meaning (quirk, keep).
    /// - Throws: `SQLEvaluationError` when the translated pattern is not a valid expression.
    public static func like(_ value: String, pattern: String) throws -> Bool {
        if let matched = LikeMatcher.match(value, pattern: pattern) { return matched }
        return try compile(likeToRegex(pattern), flags: "i").wholeMatch(value)
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
        try compile(pattern, flags: flags).search(value)
    }

    /// A compiled expression shared across threads. `@unchecked`: a `Regex` is never mutated
    /// after construction here, and matching only reads it.
    package enum Compiled: @unchecked Sendable {
        case linear(LinearRegex)
        /// Backreferences or lookaround: Swift's backtracking engine (docs/compatibility.md).
        case backtracking(Regex<AnyRegexOutput>)

        /// Whether the expression matches somewhere in `value`.
        package func search(_ value: String) -> Bool {
            switch self {
            case .linear(let r): r.search(value)
            case .backtracking(let r): (try? r.firstMatch(in: value)) != nil
            }
        }

        /// Whether the expression matches all of `value`.
        package func wholeMatch(_ value: String) -> Bool {
            switch self {
            case .linear(let r): r.wholeMatch(value)
            case .backtracking(let r): (try? r.wholeMatch(in: value)) != nil
            }
        }
    }

    /// Compiled patterns by flags and text, so a scan compiles each pattern once. Bounded: the
    /// cache is emptied when it reaches `cacheLimit` entries.
    private static let cache = Mutex<[String: Compiled]>([:])
    private static let cacheLimit = 256

    private static func compile(_ pattern: String, flags: String) throws -> Compiled {
        let key = flags + "/" + pattern
        if let hit = cache.withLock({ $0[key] }) { return hit }
        let compiled: Compiled
        do {
            compiled = try matcher(pattern, flags: flags)
        } catch is LinearRegex.TooLarge {
            throw SQLEvaluationError("regular expression /\(pattern)/ is too large (its repetitions expand past \(LinearRegex.maximumInstructions) steps)")
        } catch {
            throw SQLEvaluationError("invalid regular expression /\(pattern)/")
        }
        cache.withLock { entries in
            if entries.count >= cacheLimit { entries.removeAll() }
            entries[key] = compiled
        }
        return compiled
    }

    /// The matcher for a JavaScript pattern and flags (`i`, `m`, `s`): the linear engine when
    /// it can match the pattern, else Swift's `Regex`.
    /// - Throws: `LinearRegex.TooLarge`, `PatternTooDeep`, or the regex parser's error.
    package static func matcher(_ pattern: String, flags: String) throws -> Compiled {
        if let linear = try LinearRegex(pattern, flags: flags) { return .linear(linear) }
        var regex = try Self.regex(pattern)
        if flags.contains("i") { regex = regex.ignoresCase() }
        if flags.contains("m") { regex = regex.anchorsMatchLineEndings() }
        regex = regex.dotMatchesNewlines(flags.contains("s"))
        return .backtracking(regex)
    }

    /// How deeply groups may nest in a regular expression. Swift's regex parser recurses
    /// once per group, so `((((…` with 100,000 parentheses would overflow the stack; a
    /// pattern past this is refused before it is compiled.
    static let maximumGroupNesting = 64

    /// The deepest group nesting of `pattern` (escapes and character classes skipped).
    static func groupNesting(of pattern: String) -> Int {
        var depth = 0, deepest = 0
        var escaped = false, inClass = false
        for c in pattern.unicodeScalars {
            if escaped { escaped = false; continue }
            switch c {
            case "\\": escaped = true
            case "[": inClass = true
            case "]": inClass = false
            case "(" where !inClass: depth += 1; deepest = max(deepest, depth)
            case ")" where !inClass: depth = max(0, depth - 1)
            default: break
            }
        }
        return deepest
    }

    /// `Regex(pattern)` unless its groups nest past `maximumGroupNesting`.
    /// - Throws: `PatternTooDeep`, or the regex parser's error.
    static func regex(_ pattern: String) throws -> Regex<AnyRegexOutput> {
        guard groupNesting(of: pattern) <= maximumGroupNesting else { throw PatternTooDeep() }
        return try Regex(pattern)
    }

    struct PatternTooDeep: Error {}
}
