public import LyreCore

/// What the evaluator needs from a row: column values and, after grouping, aggregate values.
public protocol RowAccess {
    /// The value of `column` in this row: `nil` when the record lacks the attribute (it reads
    /// as null). Throw for references that cannot be resolved.
    func value(of column: ColumnRef) throws -> Value?

    /// The aggregate's value for the current group (`HAVING`, grouped select lists). The default
    /// throws: aggregates are not allowed where no grouping happened.
    func aggregateValue(of call: FunctionCall) throws -> Value?
}

extension RowAccess {
    public func aggregateValue(of call: FunctionCall) throws -> Value? {
        throw SQLEvaluationError("aggregate \(call.name) used outside of a grouped select")
    }
}

/// The "row" of a select without `FROM`: any column reference fails with `no from clause`.
public struct NoRow: RowAccess {
    public init() {}
    public func value(of column: ColumnRef) throws -> Value? { throw LyreError.sqlNoFromClause }
}

/// A row that is one record: unqualified and qualified references read its attributes.
public struct RecordRow: RowAccess {
    public var record: JSONObject
    public init(_ record: JSONObject) { self.record = record }
    public func value(of column: ColumnRef) throws -> Value? { record[column.name] }
}
