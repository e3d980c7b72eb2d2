public import LyreCore

/// `SEARCH_JSON(expression, value)` of sql-functions.md §8.1.
///
/// ```swift
/// try SearchJSON.evaluate(expression: "$count(id)", on: cast)   // 3
/// ```
public enum SearchJSON {
    /// Compiles and evaluates `expression` over `value` in one step. For per-row evaluation,
    /// compile a ``JSONataExpression`` once instead.
    ///
    /// - Parameters:
    ///   - expression: JSONata text (§8.2).
    ///   - value: the input document; strings are **not** parsed as JSON.
    /// - Returns: the result, or `nil` for *undefined* (the SQL layer then omits the key).
    /// - Throws: ``LyreError`` (400) for an empty expression, a syntax error or a runtime error.
    ///   sql-functions.md §8.1 requires the SQL statement to fail with error 500 *generic*
    ///   for these; the executor maps them.
    public static func evaluate(expression: String, on value: Value) throws(LyreError) -> Value? {
        try JSONataExpression(expression).evaluate(on: value)
    }

    /// The SQL-level call: `expression` must be a non-empty string.
    /// - Throws: ``LyreError`` (400) when `expression` is not a string, or as ``evaluate(expression:on:)``.
    public static func call(expression: Value, value: Value) throws(LyreError) -> Value? {
        guard case .string(let text) = expression else {
            throw JSONataError("T0410", "The expression of search_json must be a string, got \(expression.typeName)").lyreError
        }
        return try evaluate(expression: text, on: value)
    }
}
