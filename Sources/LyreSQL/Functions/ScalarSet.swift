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
