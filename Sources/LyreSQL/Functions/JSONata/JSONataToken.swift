/// One lexical token of a JSONata expression.
struct JSONataToken: Equatable {
    enum Kind: Equatable {
        /// An operator or punctuation: `.`, `[`, `!=`, `and`, `:=`, …
        case op(String)
        /// A field name (plain or back-quoted).
        case name(String)
        /// `$name`; the empty string for `$`, `"$"` for `$$`.
        case variable(String)
        case string(String)
        case number(Double)
        /// `true`, `false`, `null`.
        case literal(JSONataLiteral)
        /// `/pattern/flags`.
        case regex(pattern: String, flags: String)
        case end
    }

    var kind: Kind
    var position: Int
}

enum JSONataLiteral: Equatable {
    case bool(Bool)
    case null
}
