import LyreCore

extension FunctionRegistry {
    /// Every scalar function of the `sql` operation: ``standard`` plus `search_json`
    /// (sql-functions.md §8) and the geo functions (§9).
    ///
    /// Failures of these functions (JSONata syntax or runtime errors, geo argument errors) are
    /// `LyreError`s; the statement layer turns any evaluation failure into the generic 500 of its
    /// statement kind (sql.md §11.3).
    public static let sql: FunctionRegistry = standard.adding([searchJSON(compiled: [:])] + geoFunctions)

    /// `search_json` using the expressions in `compiled` (keyed by their text) when the call's
    /// expression is one of them, so literal expressions are compiled once per statement.
    ///
    /// - Parameter compiled: pre-compiled JSONata expressions by text.
    public static func searchJSON(compiled: [String: JSONataExpression]) -> ScalarFunction {
        ScalarFunction("search_json", arity: 2...2, spelling: .lowerOrUpper) { arguments, _ in
            let expression = arguments[argument: 0] ?? .null
            let value = arguments[argument: 1] ?? .null
            if case .string(let text) = expression, let ready = compiled[text] {
                return try ready.evaluate(on: value)
            }
            return try SearchJSON.call(expression: expression, value: value)
        }
    }

    /// The geo functions, each accepted in lower, upper or camelCase spelling.
    public static let geoFunctions: [ScalarFunction] = GeoFunctions.names.sorted().map { name in
        ScalarFunction(name, arity: 0...8, spelling: .accepted({ GeoFunctions.canonicalName(forSpelling: $0) != nil })) { arguments, _ in
            try GeoFunctions.call(name, arguments.map { $0 ?? .null }, parseJSON: { try JSON.parse($0) })
        }
    }

    /// This registry with `search_json` compiling the literal expressions of `expressions` once.
    ///
    /// A literal that does not compile is left out; the call then fails per row (error 500).
    ///
    /// - Parameter expressions: every expression of a statement.
    public func compilingSearchJSON(in expressions: [Expression]) -> FunctionRegistry {
        var compiled: [String: JSONataExpression] = [:]
        for expression in expressions {
            expression.forEachNode { node in
                guard case .function(let call) = node, call.name.lowercased() == "search_json",
                      case .literal(.string(let text))? = call.arguments.first, compiled[text] == nil else { return }
                if let ready = try? JSONataExpression(text) { compiled[text] = ready }
            }
        }
        guard !compiled.isEmpty, lookup("search_json") != nil else { return self }
        return adding([Self.searchJSON(compiled: compiled)])
    }
}
