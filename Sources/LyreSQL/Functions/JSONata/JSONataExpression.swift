public import LyreCore

/// A JSONata expression compiled once and evaluated per row, as `SEARCH_JSON` needs.
///
/// Supports the subset of sql-functions.md §8.2 with JSONata 1.8 semantics: paths,
/// wildcards, predicates (filters and indexes), comparison/boolean/arithmetic operators,
/// `in`, `&`, array and object constructors, conditions, lambdas, and the built-in
/// functions listed in §8.2 (plus `$substringBefore`, `$substringAfter`, `$trim`, `$split`,
/// `$replace`, `$append`, `$lookup`, `$merge`, `$ceil`, `$sqrt`, `$power`).
///
/// ```swift
/// let names = try JSONataExpression("$[order > 0].name")
/// let result = try names.evaluate(on: cast)   // ["Bo Chen", "Cy Diaz"], or nil when nothing matches
/// ```
public struct JSONataExpression: Sendable {
    /// The expression text as given.
    public let text: String
    let root: JSONataNode

    /// Compiles `text`.
    /// - Throws: ``LyreError`` (400) for an empty expression or a syntax error.
    public init(_ text: String) throws(LyreError) {
        self.text = text
        guard !text.allSatisfy(\.isWhitespace) else {
            throw JSONataError("S0207", "Unexpected end of expression").lyreError
        }
        do {
            root = try JSONataParser.parse(text)
        } catch {
            throw error.lyreError
        }
    }

    /// Evaluates the expression with `value` as its input (`$` and `$$`).
    ///
    /// - Parameter value: the JSON input; SQL passes `.null` for a null or missing attribute.
    /// - Returns: the result, or `nil` when it is *undefined* (nothing matched). A sequence of one
    ///   item is returned as the item, a longer sequence as an array.
    /// - Throws: ``LyreError`` (400) for a JSONata runtime error (e.g. `<` between a string and a number).
    public func evaluate(on value: Value) throws(LyreError) -> Value? {
        do {
            return try JSONataEvaluator.run(root, on: value)
        } catch {
            throw error.lyreError
        }
    }
}
