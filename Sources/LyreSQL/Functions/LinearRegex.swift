/// A JavaScript-style regular expression matched in time linear in the input: Thompson's
/// construction, simulated breadth-first (no backtracking), so `(a+)+b` against forty `a`s
/// costs forty steps per state instead of 2^40. Matching answers only *whether* the pattern
/// matches, which is all `REGEXP`, `REGEXP_LIKE`, `LIKE` and JSONata's `$contains` ask.
///
/// Syntax: literals and identity escapes, `.`, classes (`[a-z]`, `[^…]`, `\d \D \w \W \s \S`
/// inside and out), `\n \r \t \f \v \0 \xHH \uHHHH \u{H…} \cX`, anchors `^ $`, `\b \B`,
/// groups `( )`, `(?: )`, `(?<name> )`, alternation, quantifiers `* + ? {n} {n,} {n,m}`
/// (lazy forms match the same), flags `i`, `m`, `s`. Matching is per Unicode scalar.
/// Backreferences and lookaround cannot be matched this way: `init` returns `nil` for them
/// (and for anything it cannot parse), and the caller falls back to Swift's `Regex`.
package struct LinearRegex: Sendable {
    /// Program size past which a pattern is refused (`{1000}{1000}` would otherwise expand to
    /// a million instructions).
    static let maximumInstructions = 20_000

    struct TooLarge: Error {}

    private let program: [Instruction]
    private let sets: [ScalarSet]
    private let ignoresCase: Bool
    private let multiline: Bool

    /// - Returns: `nil` when the pattern uses what this engine does not match (backreferences,
    ///   lookaround) or does not parse.
    /// - Throws: `TooLarge` when counted repetitions expand past `maximumInstructions`.
    init?(_ pattern: String, flags: String = "") throws {
        ignoresCase = flags.contains("i")
        multiline = flags.contains("m")
        var parser = Parser(Array(pattern.unicodeScalars), dotAll: flags.contains("s"))
        guard let tree = parser.parse() else { return nil }
        var compiler = Compiler(ignoresCase: ignoresCase)
        try compiler.emit(tree)
        compiler.program.append(.accept)
        program = compiler.program
        sets = compiler.sets
    }

    /// Whether the pattern matches somewhere in `text` (JavaScript's `RegExp.test`).
    func search(_ text: String) -> Bool { run(text, anchored: false) }

    /// Whether the pattern matches all of `text`.
    func wholeMatch(_ text: String) -> Bool { run(text, anchored: true) }

    // MARK: - Simulation

    /// The simulation allocates nothing: it walks `text`'s scalars with an iterator, keeping
    /// the previous and current scalar for the assertions, and its two state lists and the
    /// closure stack live in one temporary buffer (on the stack unless the program is large).
    /// A compiled pattern is shared by the threads of a scan, so nothing is cached in it.
    private func run(_ text: String, anchored: Bool) -> Bool {
        let n = program.count
        // Two lists (dense and sparse halves) and the closure stack, which holds at most two
        // entries per state (each state is expanded once per list) plus the start.
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: 6 * n + 1) { buffer in
            buffer.initialize(repeating: 0)
            let base = buffer.baseAddress!
            var current = StateList(base, capacity: n)
            var next = StateList(base + 2 * n, capacity: n)
            var stack = Stack(base + 4 * n)
            var scalars = text.unicodeScalars.makeIterator()
            var at = Cursor(before: nil, at: scalars.next())
            var atStart = true
            while true {
                if atStart || !anchored {
                    if add(0, at, to: &current, stack: &stack, anchored: anchored) { return true }
                }
                atStart = false
                guard !current.isEmpty, let scalar = at.at else { return false }
                let following = Cursor(before: scalar, at: scalars.next())
                next.clear()
                for i in 0..<current.count {
                    let pc = current[i]
                    guard case .scalar(let index) = program[pc] else { continue }
                    if sets[index].contains(scalar, ignoringCase: ignoresCase),
                       add(pc + 1, following, to: &next, stack: &stack, anchored: anchored) {
                        return true
                    }
                }
                swap(&current, &next)
                at = following
            }
        }
    }

    /// A position in the text: the scalars either side of it (nil at the text's start / end).
    private struct Cursor {
        var before: Unicode.Scalar?
        var at: Unicode.Scalar?
    }

    /// Adds `start` and every state reachable from it without consuming input (an explicit
    /// stack: no recursion). Returns `true` when that reaches an accepting state.
    private func add(_ start: Int, _ position: Cursor, to list: inout StateList,
                     stack: inout Stack, anchored: Bool) -> Bool {
        stack.push(start)
        while let pc = stack.pop() {
            guard list.insert(pc) else { continue }
            switch program[pc] {
            case .scalar: break
            case .accept:
                if !anchored || position.at == nil {
                    stack.clear()
                    return true
                }
            case .jump(let target): stack.push(target)
            case .split(let first, let second):
                stack.push(second)
                stack.push(first)
            case .assert(let assertion):
                if holds(assertion, at: position) { stack.push(pc + 1) }
            }
        }
        return false
    }

    private func holds(_ assertion: Assertion, at position: Cursor) -> Bool {
        switch assertion {
        case .start:
            guard let before = position.before else { return true }
            return multiline && Self.isLineTerminator(before)
        case .end:
            guard let at = position.at else { return true }
            return multiline && Self.isLineTerminator(at)
        case .wordBoundary, .notWordBoundary:
            let before = position.before.map(ScalarSet.isWord) ?? false
            let after = position.at.map(ScalarSet.isWord) ?? false
            return (before != after) == (assertion == .wordBoundary)
        }
    }

    static func isLineTerminator(_ s: Unicode.Scalar) -> Bool {
        s == "\n" || s == "\r" || s.value == 0x2028 || s.value == 0x2029
    }

    /// The states of one step: a sparse set (constant-time insert, clear and iteration in
    /// insertion order, which is the priority order; irrelevant to a yes/no answer) over
    /// `2 × capacity` integers of `run`'s buffer (initialized, so `sparse` is never read
    /// uninitialized).
    private struct StateList {
        private let dense: UnsafeMutablePointer<Int>
        private let sparse: UnsafeMutablePointer<Int>
        private(set) var count = 0

        init(_ memory: UnsafeMutablePointer<Int>, capacity: Int) {
            dense = memory
            sparse = memory + capacity
        }

        var isEmpty: Bool { count == 0 }
        subscript(_ i: Int) -> Int { dense[i] }

        mutating func clear() { count = 0 }

        mutating func insert(_ pc: Int) -> Bool {
            let slot = sparse[pc]
            if slot < count && dense[slot] == pc { return false }
            sparse[pc] = count
            dense[count] = pc
            count += 1
            return true
        }
    }

    /// The closure stack, over the rest of `run`'s buffer (`2 × capacity + 1` integers).
    private struct Stack {
        private let memory: UnsafeMutablePointer<Int>
        private var top = 0

        init(_ memory: UnsafeMutablePointer<Int>) { self.memory = memory }

        mutating func push(_ pc: Int) {
            memory[top] = pc
            top += 1
        }

        mutating func pop() -> Int? {
            guard top > 0 else { return nil }
            top -= 1
            return memory[top]
        }

        mutating func clear() { top = 0 }
    }

    // MARK: - Program

    enum Assertion: Equatable { case start, end, wordBoundary, notWordBoundary }

    enum Instruction {
        /// Consume one scalar in `sets[index]`.
        case scalar(Int)
        case split(Int, Int)
        case jump(Int)
        case assert(Assertion)
        case accept
    }

    indirect enum Node {
        case empty
        case set(ScalarSet)
        case assertion(Assertion)
        case concatenation([Node])
        case alternation([Node])
        case repetition(Node, minimum: Int, maximum: Int?)
    }

    private struct Compiler {
        let ignoresCase: Bool
        var program: [Instruction] = []
        var sets: [ScalarSet] = []

        mutating func emit(_ node: Node) throws {
            guard program.count < LinearRegex.maximumInstructions else { throw TooLarge() }
            switch node {
            case .empty: break
            case .set(let set):
                sets.append(set)
                program.append(.scalar(sets.count - 1))
            case .assertion(let a): program.append(.assert(a))
            case .concatenation(let parts): for part in parts { try emit(part) }
            case .alternation(let branches):
                // split L1, next; L1: a; jump end; next: split L2, … ; last branch falls through.
                var jumps: [Int] = []
                for (i, branch) in branches.enumerated() {
                    if i < branches.count - 1 {
                        let split = program.count
                        program.append(.split(split + 1, -1))
                        try emit(branch)
                        jumps.append(program.count)
                        program.append(.jump(-1))
                        program[split] = .split(split + 1, program.count)
                    } else {
                        try emit(branch)
                    }
                }
                for j in jumps { program[j] = .jump(program.count) }
            case .repetition(let inner, let minimum, let maximum):
                // A part that matches only the empty string without testing anything (`()`,
                // `(?:)*`) is left out: repeating it would cost time and change nothing.
                if Self.isEmpty(inner) { break }
                for _ in 0..<minimum { try emit(inner) }
                if let maximum {
                    // Optional copies, each skipping to the end.
                    var skips: [Int] = []
                    for _ in minimum..<maximum {
                        skips.append(program.count)
                        program.append(.split(program.count + 1, -1))
                        try emit(inner)
                    }
                    for s in skips { program[s] = .split(s + 1, program.count) }
                } else {
                    // L: split body, end; body; jump L
                    let loop = program.count
                    program.append(.split(loop + 1, -1))
                    try emit(inner)
                    program.append(.jump(loop))
                    program[loop] = .split(loop + 1, program.count)
                }
            }
            guard program.count <= LinearRegex.maximumInstructions else { throw TooLarge() }
        }

        static func isEmpty(_ node: Node) -> Bool {
            switch node {
            case .empty: true
            case .concatenation(let parts): parts.allSatisfy(isEmpty)
            case .repetition(let inner, _, _): isEmpty(inner)
            case .set, .assertion, .alternation: false
            }
        }
    }

    // MARK: - Parser

    private struct Parser {
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

/// A set of scalars: ranges and named classes, possibly negated.
struct ScalarSet: Sendable {
    enum Named: Sendable { case digit, word, space }

    var ranges: [ClosedRange<UInt32>] = []
    var named: [(Named, Bool)] = []
    var negated = false
    /// `.` without the `s` flag.
    var excludesLineTerminators = false

    static func single(_ s: Unicode.Scalar) -> ScalarSet {
        var set = ScalarSet()
        set.ranges = [s.value...s.value]
        return set
    }

    static let anything: ScalarSet = {
        var set = ScalarSet()
        set.negated = true
        return set
    }()

    static let notLineTerminator: ScalarSet = {
        var set = ScalarSet()
        set.negated = true
        set.excludesLineTerminators = true
        return set
    }()

    mutating func add(_ atom: LinearRegex.ClassAtom) {
        switch atom {
        case .scalar(let s): ranges.append(s.value...s.value)
        case .named(let name, let negated): named.append((name, negated))
        }
    }

    func contains(_ s: Unicode.Scalar, ignoringCase: Bool) -> Bool {
        if excludesLineTerminators { return !LinearRegex.isLineTerminator(s) }
        var found = containsExactly(s)
        if !found && ignoringCase {
            if s.isASCII {
                // An ASCII letter's only single-scalar other case is its ASCII one (what
                // `caseVariants` answers, without building strings for every scalar).
                let v = s.value
                let other: UInt32? = (0x41...0x5A).contains(v) ? v + 32 : (0x61...0x7A).contains(v) ? v - 32 : nil
                found = other.map { containsExactly(Unicode.Scalar(UInt8($0))) } ?? false
                return found != negated
            }
            for variant in Self.caseVariants(s) where containsExactly(variant) {
                found = true
                break
            }
        }
        return found != negated
    }

    private func containsExactly(_ s: Unicode.Scalar) -> Bool {
        for r in ranges where r.contains(s.value) { return true }
        for (name, negated) in named where Self.isMember(s, of: name) != negated { return true }
        return false
    }

    static func isMember(_ s: Unicode.Scalar, of name: Named) -> Bool {
        switch name {
        case .digit: ("0"..."9").contains(s)
        case .word: isWord(s)
        case .space: isSpace(s)
        }
    }

    /// JavaScript's `\w`: ASCII letters, digits and `_`.
    static func isWord(_ s: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(s) || ("A"..."Z").contains(s) || ("0"..."9").contains(s) || s == "_"
    }

    /// JavaScript's `\s`: white space and line terminators.
    static func isSpace(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x9...0xD, 0x20, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF: true
        default: false
        }
    }

    /// The scalar's other cases that are single scalars (`é` ↔ `É`, `k` ↔ `K`).
    static func caseVariants(_ s: Unicode.Scalar) -> [Unicode.Scalar] {
        guard s.properties.changesWhenCaseMapped else { return [] }
        var out: [Unicode.Scalar] = []
        for mapped in [s.properties.lowercaseMapping, s.properties.uppercaseMapping] {
            let scalars = mapped.unicodeScalars
            if scalars.count == 1, let m = scalars.first, m != s { out.append(m) }
        }
        return out
    }
}

extension LinearRegex {
    /// One item of a character class: a scalar or a named class (`\d`, `\W`, …).
    enum ClassAtom { case scalar(Unicode.Scalar), named(ScalarSet.Named, negated: Bool) }
}
