public import LyreCore
import Foundation

/// What a function may read besides its arguments: the clock and a random source, injectable
/// so tests are deterministic.
public struct FunctionContext: Sendable {
    /// The current time in milliseconds since the epoch (may have a fractional part).
    public var now: @Sendable () -> Double
    /// A uniform random number in [0, 1).
    public var random: @Sendable () -> Double

    public init(now: @escaping @Sendable () -> Double, random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) {
        self.now = now
        self.random = random
    }

    /// The system clock and random generator.
    public static let system = FunctionContext(now: { Date().timeIntervalSince1970 * 1000 })

    /// A fixed clock (for tests): `now` always returns `milliseconds`.
    public static func fixed(_ milliseconds: Double, random: Double = 0.5) -> FunctionContext {
        FunctionContext(now: { milliseconds }, random: { random })
    }
}

/// A scalar function of sql-functions.md: arguments in, value out.
///
/// Arguments and result use `nil` for JavaScript *undefined* (a literal `NULL`, a failed
/// navigation); `.null` is a null value (e.g. a null column). A `nil` or NaN result
/// removes the key from a result row (sql.md §5.9.4).
public struct ScalarFunction: Sendable {
    /// Which spellings of the name find the function (sql-functions.md §1.1).
    public enum Spelling: Sendable {
        /// AlaSQL built-ins: any case; the result key uses the upper-case name.
        case anyCase
        /// Harper-added functions: all-lower or all-upper case only; the key keeps the spelling.
        case lowerOrUpper
        /// Spellings accepted by a predicate on the name as written (geo functions: all-lower,
        /// all-upper or camelCase such as `geoArea`).
        case accepted(@Sendable (String) -> Bool)
    }

    public typealias Body = @Sendable (_ arguments: [Value?], _ context: FunctionContext) throws -> Value?

    /// Lower-case name (the registry key).
    public let name: String
    /// Accepted argument counts.
    public let arity: ClosedRange<Int>
    public let spelling: Spelling
    public let body: Body

    public init(_ name: String, arity: ClosedRange<Int>, spelling: Spelling = .anyCase, body: @escaping Body) {
        self.name = name.lowercased()
        self.arity = arity
        self.spelling = spelling
        self.body = body
    }

    /// Checks the argument count and runs the function.
    /// - Throws: `SQLEvaluationError` on a wrong argument count or a failure inside the function.
    public func call(_ arguments: [Value?], context: FunctionContext) throws -> Value? {
        guard arity.contains(arguments.count) else {
            throw SQLEvaluationError("\(name.uppercased()) takes \(arity.lowerBound == arity.upperBound ? "\(arity.lowerBound)" : "\(arity.lowerBound)…\(arity.upperBound)") arguments, got \(arguments.count)")
        }
        return try body(arguments, context)
    }
}

/// The scalar functions by lower-cased name.
///
/// ```swift
/// let upper = FunctionRegistry.standard.lookup("upper")!
/// try upper.call([.string("abc")], context: .system)   // "ABC"
/// ```
/// Other function families (`search_json`, geo) register through `adding(_:)`.
public struct FunctionRegistry: Sendable {
    public private(set) var functions: [String: ScalarFunction]

    public init(_ functions: [ScalarFunction] = []) {
        self.functions = [:]
        for f in functions { self.functions[f.name] = f }
    }

    /// Math, string, conditional, date and miscellaneous functions (not `search_json`/geo).
    public static let standard = FunctionRegistry(
        mathFunctions + stringFunctions + conditionalFunctions + dateFunctions + miscFunctions)

    /// A registry with `more` added (replacing functions of the same name).
    public func adding(_ more: [ScalarFunction]) -> FunctionRegistry {
        var copy = self
        for f in more { copy.functions[f.name] = f }
        return copy
    }

    /// The function called `name` as written, honouring the spelling rules, or `nil` (unknown:
    /// the evaluator answers error 500 *generic*, sql-functions.md §1.1).
    public func lookup(_ name: String) -> ScalarFunction? {
        let lower = name.lowercased()
        guard let f = functions[lower] else { return nil }
        switch f.spelling {
        case .anyCase: break
        case .lowerOrUpper:
            if name != lower, name != lower.uppercased() { return nil }
        case .accepted(let accepts):
            if !accepts(name) { return nil }
        }
        return f
    }
}

// MARK: Argument helpers shared by the function files

extension Array where Element == Value? {
    /// The argument at `i`, or `nil` (undefined) when absent.
    subscript(argument i: Int) -> Value? { i < count ? self[i] : nil }
}

/// A number argument as a `Value` result (integral values become `.int`).
func number(_ d: Double) -> Value { SQLNumber.value(d) }
