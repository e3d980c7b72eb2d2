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
}
