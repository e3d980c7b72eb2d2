internal import LyreCore

/// The parsed form of a JSONata expression (after JSONata's own AST post-processing:
/// bare names become one-step paths, predicates on path steps become step *stages*).
indirect enum JSONataNode: Sendable {
    case path(JSONataPath)
    /// A property name; appears only as a step of a path.
    case name(String)
    case string(String)
    case number(Double)
    /// `true`, `false` or `null`.
    case literal(Value)
    case wildcard
    /// `$name`; `""` is the context `$`, `"$"` the root `$$`.
    case variable(String)
    case regex(pattern: String, flags: String)
    /// Arithmetic, comparison, `&`, `and`, `or`, `in`, `..`.
    case binary(String, JSONataNode, JSONataNode)
    case negate(JSONataNode)
    /// Array constructor; `cons` is set when it is the first or last step of a path
    /// (its result is then kept as one array instead of being flattened).
    case array([JSONataNode], cons: Bool)
    /// Object constructor `{k: v, …}` applied to the context.
    case object([JSONataPair])
    /// `expr{k: v}`: group the result of `expr` into one object.
    case group(JSONataNode, [JSONataPair])
    /// Predicates applied to the whole result of a node that is not a path.
    case filtered(JSONataNode, [JSONataNode])
    /// `expr[]`: keep a singleton result as an array.
    case keepArray(JSONataNode)
    case call(JSONataNode, [JSONataNode])
    case lambda(parameters: [String], body: JSONataNode)
    case condition(JSONataNode, JSONataNode, JSONataNode?)
    case block([JSONataNode])
    case bind(String, JSONataNode)
    /// `lhs ~> rhs`: `rhs` is a function (or call) receiving `lhs` as its first argument.
    case apply(JSONataNode, JSONataNode)
}

struct JSONataPair: Sendable {
    var key: JSONataNode
    var value: JSONataNode
}

struct JSONataPath: Sendable {
    var steps: [JSONataStep]
    var keepSingletonArray = false
}

struct JSONataStep: Sendable {
    var node: JSONataNode
    /// Predicates applied to this step's result for each input item.
    var stages: [JSONataNode] = []
}
