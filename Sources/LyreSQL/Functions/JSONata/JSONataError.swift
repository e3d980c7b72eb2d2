public import LyreCore

/// A failure while compiling or evaluating a JSONata expression.
///
/// `code` is JSONata's own error code (`S0202`, `T2010`, …) so messages can be compared
/// with the reference implementation; `position` is the 0-based character offset in the
/// expression text when it is known. Converted to a ``LyreError`` (400) at the edge of
/// ``SearchJSON`` and ``JSONataExpression``.
public struct JSONataError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: String
    public var message: String
    public var position: Int?

    public init(_ code: String, _ message: String, position: Int? = nil) {
        self.code = code
        self.message = message
        self.position = position
    }

    public var description: String {
        if let position { return "\(code): \(message) (at position \(position))" }
        return "\(code): \(message)"
    }

    /// The client-facing error: status 400 with the JSONata text.
    ///
    /// sql-functions.md §8.1 says a failing `SEARCH_JSON` aborts the statement with error
    /// 500 *generic*; the SQL executor is responsible for that mapping.
    public var lyreError: LyreError {
        LyreError(.badRequest, status: 400, "search_json: \(description)", underlying: self)
    }
}
