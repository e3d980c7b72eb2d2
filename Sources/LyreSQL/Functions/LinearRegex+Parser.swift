extension LinearRegex {
    /// Reads a pattern into the `Node` tree `LinearRegex.init` compiles (nil: unsupported).
    struct Parser {
        let pattern: [Unicode.Scalar]
        let dotAll: Bool
        var index = 0
        var depth = 0

        init(_ pattern: [Unicode.Scalar], dotAll: Bool) {
            self.pattern = pattern
            self.dotAll = dotAll
        }

        var atEnd: Bool { index >= pattern.count }
        var peek: Unicode.Scalar? { atEnd ? nil : pattern[index] }

        mutating func parse() -> Node? {
            guard let node = alternation(), atEnd else { return nil }
            return node
        }

        mutating func alternation() -> Node? {
            depth += 1
            defer { depth -= 1 }
            guard depth <= SQLPattern.maximumGroupNesting + 1 else { return nil }
            var branches: [Node] = []
            while true {
                guard let branch = concatenation() else { return nil }
                branches.append(branch)
                if peek == "|" { index += 1 } else { break }
            }
            return branches.count == 1 ? branches[0] : .alternation(branches)
        }

        mutating func concatenation() -> Node? {
            var parts: [Node] = []
            while let c = peek, c != "|", c != ")" {
                guard let atom = atom() else { return nil }
                guard let quantified = quantifier(on: atom) else { return nil }
                parts.append(quantified)
            }
            return parts.isEmpty ? .empty : parts.count == 1 ? parts[0] : .concatenation(parts)
        }

        mutating func atom() -> Node? {
            let c = pattern[index]
            index += 1
            switch c {
            case ".": return .set(dotAll ? .anything : .notLineTerminator)
            case "^": return .assertion(.start)
            case "$": return .assertion(.end)
            case "(":
                if peek == "?" {
                    // (?: …) and (?<name> …) group; lookaround is not for this engine.
                    guard index + 1 < pattern.count else { return nil }
                    let kind = pattern[index + 1]
                    if kind == ":" {
                        index += 2
                    } else if kind == "<", index + 2 < pattern.count, pattern[index + 2] != "=", pattern[index + 2] != "!" {
                        index += 2
                        while let n = peek, n != ">" {
                            guard n == "_" || n == "$" || n.properties.isAlphabetic || ("0"..."9").contains(n) else { return nil }
                            index += 1
                        }
                        guard peek == ">" else { return nil }
                        index += 1
                    } else {
                        return nil
                    }
                }
                guard let inner = alternation(), peek == ")" else { return nil }
                index += 1
                // Wrapped, so that `(\b)+` (a quantified group) is told from `\b+` (an error).
                return .concatenation([inner])
            case ")", "*", "+", "?": return nil
            case "{":
                // A `{` that does not start a valid quantifier is a literal (JavaScript, Annex B).
                index -= 1
                if boundedRepeat() != nil { return nil }
                index += 1
                return .set(.single(c))
            case "[": return characterClass()
            case "\\": return escape()
            default: return .set(.single(c))
            }
        }

        /// `{n}`, `{n,}`, `{n,m}` at `index`, consumed; `nil` (nothing consumed) otherwise.
        mutating func boundedRepeat() -> (Int, Int?)? {
            let start = index
            guard peek == "{" else { return nil }
            index += 1
            func number(_ p: inout Parser) -> Int? {
                var value = 0, digits = 0
                while let d = p.peek, ("0"..."9").contains(d) {
                    value = min(value * 10 + Int(d.value - 48), 100_000)
                    digits += 1
                    p.index += 1
                }
                return digits > 0 ? value : nil
            }
            guard let low = number(&self) else { index = start; return nil }
            var high: Int? = low
            if peek == "," {
                index += 1
                high = number(&self)
            }
            guard peek == "}" else { index = start; return nil }
            index += 1
            return (low, high)
        }

        mutating func quantifier(on atom: Node) -> Node? {
            guard let c = peek else { return atom }
            let bounds: (Int, Int?)
            switch c {
            case "*": index += 1; bounds = (0, nil)
            case "+": index += 1; bounds = (1, nil)
            case "?": index += 1; bounds = (0, 1)
            case "{":
                guard let b = boundedRepeat() else { return atom }
                bounds = b
            default: return atom
            }
            if case .assertion = atom { return nil }
            if let high = bounds.1, high < bounds.0 { return nil }
            if peek == "?" { index += 1 }  // lazy: the same yes/no answer
            // A quantifier right after a quantifier (`a**`, `a+{2}`) is a syntax error.
            if let next = peek, next == "*" || next == "+" || next == "?" { return nil }
            if peek == "{" {
                var probe = self
                if probe.boundedRepeat() != nil { return nil }
            }
            return .repetition(atom, minimum: bounds.0, maximum: bounds.1)
        }

        mutating func characterClass() -> Node? {
            var set = ScalarSet()
            if peek == "^" {
                set.negated = true
                index += 1
            }
            while true {
                // `[]` matches nothing and `[^]` anything, as in JavaScript.
                guard let c = peek else { return nil }
                if c == "]" {
                    index += 1
                    return .set(set)
                }
                guard let low = classAtom() else { return nil }
                if peek == "-", index + 1 < pattern.count, pattern[index + 1] != "]" {
                    index += 1
                    guard let high = classAtom() else { return nil }
                    switch (low, high) {
                    case (.scalar(let a), .scalar(let b)):
                        guard a.value <= b.value else { return nil }
                        set.ranges.append(a.value...b.value)
                    default:
                        // `[\d-z]`: JavaScript (Annex B) takes the class, `-` and `z` literally.
                        for part in [low, .scalar("-"), high] { set.add(part) }
                    }
                } else {
                    set.add(low)
                }
            }
        }

        mutating func classAtom() -> ClassAtom? {
            let c = pattern[index]
            index += 1
            guard c == "\\" else { return .scalar(c) }
            guard let e = peek else { return nil }
            index += 1
            switch e {
            case "d": return .named(.digit, negated: false)
            case "D": return .named(.digit, negated: true)
            case "w": return .named(.word, negated: false)
            case "W": return .named(.word, negated: true)
            case "s": return .named(.space, negated: false)
            case "S": return .named(.space, negated: true)
            case "b": return .scalar("\u{8}")
            default:
                index -= 1
                return controlEscape().map { .scalar($0) }
            }
        }

        mutating func escape() -> Node? {
            guard let e = peek else { return nil }
            index += 1
            switch e {
            case "d", "D", "w", "W", "s", "S":
                index -= 2
                guard let atom = classAtom(), case .named(let name, let negated) = atom else { return nil }
                var set = ScalarSet()
                set.named.append((name, negated))
                return .set(set)
            case "b": return .assertion(.wordBoundary)
            case "B": return .assertion(.notWordBoundary)
            case "1"..."9", "k": return nil  // backreferences
            default:
                index -= 1
                return controlEscape().map { .set(.single($0)) }
            }
        }

        /// The scalar an escape (after its `\`) stands for.
        mutating func controlEscape() -> Unicode.Scalar? {
            let e = pattern[index]
            index += 1
            switch e {
            case "n": return "\n"
            case "r": return "\r"
            case "t": return "\t"
            case "f": return "\u{C}"
            case "v": return "\u{B}"
            case "0":
                if let d = peek, ("0"..."9").contains(d) { return nil }  // octal: not for this engine
                return "\u{0}"
            case "x": return hex(digits: 2)
            case "u":
                if peek == "{" {
                    index += 1
                    var value: UInt32 = 0, digits = 0
                    while let d = peek, d != "}" {
                        guard let v = Self.hexValue(d), digits < 8 else { return nil }
                        value = value * 16 + v
                        digits += 1
                        index += 1
                    }
                    guard peek == "}", digits > 0 else { return nil }
                    index += 1
                    return Unicode.Scalar(value)
                }
                return hex(digits: 4)
            case "c":
                guard let letter = peek, ("a"..."z").contains(letter) || ("A"..."Z").contains(letter) else { return nil }
                index += 1
                return Unicode.Scalar(letter.value % 32)
            default:
                // Identity escape: `\.`, `\/`, `\-`, …; a letter escape JavaScript gives no
                // meaning to is refused here and left to the fallback.
                if e.isASCII, e.properties.isAlphabetic || ("0"..."9").contains(e) { return nil }
                return e
            }
        }

        mutating func hex(digits: Int) -> Unicode.Scalar? {
            var value: UInt32 = 0
            for _ in 0..<digits {
                guard let d = peek, let v = Self.hexValue(d) else { return nil }
                value = value * 16 + v
                index += 1
            }
            return Unicode.Scalar(value)
        }

        static func hexValue(_ d: Unicode.Scalar) -> UInt32? {
            switch d {
            case "0"..."9": d.value - 48
            case "a"..."f": d.value - 87
            case "A"..."F": d.value - 55
            default: nil
            }
        }
    }
}
