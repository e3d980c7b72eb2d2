/// `LIKE` without a regular expression, for the patterns made only of text, `%` and `_`
/// (nearly all of them): the classic wildcard match, which backtracks only to the last
/// `%` seen and so takes at most pattern × value steps. The regular expression it replaces
/// backtracks into every earlier `%`: `'aaa…a' LIKE '%a%a%a%a%a%a%b'` on 1,000 characters
/// ran for minutes on a core.
///
/// Case-insensitive as the regular expression is: ASCII letters fold byte by byte; any
/// other text compares `Character`s by their lower-case forms.
enum LikeMatcher {
    /// Whether `value` matches `pattern`, or `nil` when the pattern uses the regular-
    /// expression syntax `LIKE` keeps (`[…]`, `^`, `$`, `\`), which `SQLPattern` handles.
    static func match(_ value: String, pattern: String) -> Bool? {
        let p = Array(pattern.utf8)
        if p.contains(where: { $0 == UInt8(ascii: "[") || $0 == UInt8(ascii: "^") || $0 == UInt8(ascii: "$") || $0 == UInt8(ascii: "\\") }) {
            return nil
        }
        let v = Array(value.utf8)
        // Bytes stand for characters when all are ASCII and no CR can pair with an LF.
        if p.allSatisfy({ $0 < 0x80 }) && v.allSatisfy({ $0 < 0x80 && $0 != UInt8(ascii: "\r") }) {
            return wildcard(v, p.map(Token.init(ascii:)), equal: { $0 | asciiFold($0) == $1 | asciiFold($1) }, newline: UInt8(ascii: "\n"))
        }
        let folded = value.map { $0.lowercased() }
        let tokens = pattern.map { c -> Token<String> in
            switch c {
            case "%": .any
            case "_": .one
            default: .literal(c.lowercased())
            }
        }
        return wildcard(folded, tokens, equal: ==, newline: "\n")
    }

    enum Token<Element> {
        case any, one, literal(Element)
    }

    /// `0x20` for an ASCII upper- or lower-case letter (OR-ing it folds the case), else 0.
    private static func asciiFold(_ byte: UInt8) -> UInt8 {
        let lower = byte | 0x20
        return lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "z") ? 0x20 : 0
    }

    /// Whole-value match of `tokens` (`%` any run, `_` one element but a newline).
    static func wildcard<Element>(
        _ value: [Element], _ tokens: [Token<Element>], equal: (Element, Element) -> Bool, newline: Element
    ) -> Bool where Element: Equatable {
        var v = 0, t = 0
        var starToken = -1, starValue = 0
        while v < value.count {
            if t < tokens.count {
                switch tokens[t] {
                case .any:
                    starToken = t
                    starValue = v
                    t += 1
                    continue
                case .one where value[v] != newline:
                    v += 1
                    t += 1
                    continue
                case .literal(let c) where equal(c, value[v]):
                    v += 1
                    t += 1
                    continue
                default:
                    break
                }
            }
            guard starToken >= 0 else { return false }
            // Let the last `%` take one more element and retry from there.
            starValue += 1
            v = starValue
            t = starToken + 1
        }
        while t < tokens.count, case .any = tokens[t] { t += 1 }
        return t == tokens.count
    }
}

extension LikeMatcher.Token where Element == UInt8 {
    init(ascii byte: UInt8) {
        switch byte {
        case UInt8(ascii: "%"): self = .any
        case UInt8(ascii: "_"): self = .one
        default: self = .literal(byte)
        }
    }
}
