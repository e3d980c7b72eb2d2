import LyreCore
import Foundation

extension FunctionRegistry {
    /// sql-functions.md §3.
    public static let mathFunctions: [ScalarFunction] = [
        ScalarFunction("abs", arity: 1...1) { a, _ in number(Swift.abs(JS.toNumber(a[0]))) },
        ScalarFunction("ceil", arity: 1...1) { a, _ in number(JS.toNumber(a[0]).rounded(.up)) },
        ScalarFunction("ceiling", arity: 1...1) { a, _ in number(JS.toNumber(a[0]).rounded(.up)) },
        ScalarFunction("floor", arity: 1...1) { a, _ in number(JS.toNumber(a[0]).rounded(.down)) },
        ScalarFunction("round", arity: 1...2) { a, _ in
            let x = JS.toNumber(a[0])
            guard a.count == 2 else { return number(jsRound(x)) }
            let scale = Foundation.pow(10, JS.toNumber(a[1]))
            return number(jsRound(x * scale) / scale)
        },
        ScalarFunction("sqrt", arity: 1...1) { a, _ in number(JS.toNumber(a[0]).squareRoot()) },
        // AlaSQL computes EXP as Math.pow(Math.E, x); that is what gives Harper's digits.
        ScalarFunction("exp", arity: 1...1) { a, _ in number(Foundation.pow(M_E, JS.toNumber(a[0]))) },
        ScalarFunction("power", arity: 2...2) { a, _ in number(Foundation.pow(JS.toNumber(a[0]), JS.toNumber(a[1]))) },
        ScalarFunction("random", arity: 0...1) { a, context in
            let r = context.random()
            guard a.count == 1 else { return .double(r) }
            return number((r * JS.toNumber(a[0])).rounded(.down))
        },
        ScalarFunction("greatest", arity: 1...Int.max) { a, _ in extreme(a, greatest: true) },
        ScalarFunction("least", arity: 1...Int.max) { a, _ in extreme(a, greatest: false) },
        // MIN/MAX with two or more arguments are scalar (one argument is the aggregate).
        ScalarFunction("max", arity: 2...Int.max) { a, _ in extreme(a, greatest: true) },
        ScalarFunction("min", arity: 2...Int.max) { a, _ in extreme(a, greatest: false) },
    ]

    /// JavaScript `Math.round`: nearest integer, halves toward +∞.
    static func jsRound(_ x: Double) -> Double {
        guard x.isFinite else { return x }
        let floor = x.rounded(.down)
        return x - floor >= 0.5 ? floor + 1 : floor
    }

    private static func extreme(_ values: [Value?], greatest: Bool) -> Value? {
        var best = values[0]
        for v in values.dropFirst() {
            if greatest ? JS.lessThan(best, v) : JS.lessThan(v, best) { best = v }
        }
        return best
    }
}
