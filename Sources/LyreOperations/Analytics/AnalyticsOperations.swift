import LyreCore
import LyreQuery
import LyreStorage

/// `list_metrics`, `describe_metric`, `get_analytics` (logs-config-system.md §9): reads of
/// `system.hdb_analytics`, open to any authenticated role.
enum AnalyticsOperations {
    static func register(into registry: inout OperationRegistry) {
        registry.register(.listMetrics, .sync(listMetrics))
        registry.register(.describeMetric, .sync(describeMetric))
        registry.register(.getAnalytics, .sync(getAnalytics))
    }

    /// `metric_types` (default `["builtin"]`): `builtin` names the metrics Lyre records;
    /// `custom` would add metrics recorded by components, which Lyre does not run.
    @Sendable static func listMetrics(_ request: Request, _ context: OperationContext) throws -> OutgoingResponse.Body {
        var types = ["builtin"]
        switch request["metric_types"] {
        case nil, .null?: break
        case .array(let items)?:
            types = []
            for item in items {
                guard let type = item.stringValue, type == "builtin" || type == "custom" else {
                    throw LyreError.validation("'metric_types' must be an array of 'builtin' and/or 'custom'")
                }
                types.append(type)
            }
        default:
            throw LyreError.validation("'metric_types' must be an array of 'builtin' and/or 'custom'")
        }
        var names: [String] = []
        if types.contains("builtin") { names += AnalyticsAggregator.builtinMetrics }
        // `custom`: Lyre has no components that record metrics of their own, so none.
        return .json(.array(names.map(Value.string)))
    }

    /// The attributes of the metric's most recent record, with their JSON types; `{}` when
    /// it has none.
    @Sendable static func describeMetric(_ request: Request, _ context: OperationContext) throws -> OutgoingResponse.Body {
        let metric = try metricName(request)
        guard let (db, table) = analyticsTable(context) else { return .json(.object(JSONObject())) }
        let query = Query(filter: .condition(Condition("metric", .equals, .string(metric))), primaryKeyDescending: true, limit: 1)
        var latest: JSONObject?
        try db.read { txn in
            let plan = try QueryPlanner.plan(query, table: table, in: txn)
            try QueryExecutor.run(plan, table: table, in: txn) { bytes in latest = try RecordCodec.decode(bytes) }
        }
        guard let latest else { return .json(.object(JSONObject())) }
        let attributes: [Value] = latest.map { entry in
            .object(JSONObject([("name", .string(entry.key)), ("type", .string(typeName(entry.value)))]))
        }
        return .json(.object(JSONObject([("attributes", .array(attributes))])))
    }

    /// Records of `metric` whose time (`id`) is within `start_time`...`end_time` (ms, both
    /// optional, inclusive) and which match `conditions` (the `search_by_conditions`
    /// syntax, `operator` too), oldest first, with only `get_attributes` when given.
    @Sendable static func getAnalytics(_ request: Request, _ context: OperationContext) throws -> OutgoingResponse.Body {
        let metric = try metricName(request)
        var problems: [String] = []
        let start = time(request, "start_time", problems: &problems)
        let end = time(request, "end_time", problems: &problems)
        var filters: [Filter] = [.condition(Condition("metric", .equals, .string(metric)))]
        if let start { filters.append(.condition(Condition("id", .greaterThanEqual, .double(start)))) }
        if let end { filters.append(.condition(Condition("id", .lessThanEqual, .double(end)))) }
        if let conditions = request["conditions"], !conditions.isNull {
            // The conditions go through search_by_conditions' own decoding and checks.
            var body = JSONObject([("table", .string(AnalyticsAggregator.table)), ("conditions", conditions)])
            if let op = request["operator"] { body.appendUnchecked("operator", op) }
            do {
                let search = try SearchByConditionsRequest(Request(operation: .searchByConditions, body: body))
                filters.append(search.filter)
            } catch let error as LyreError {
                problems.append(error.message)
            }
        }
        let getAttributes = try Projection.getAttributes(request, required: false, problems: &problems)
        guard problems.isEmpty else { throw LyreError.validation(problems) }
        guard let (db, table) = analyticsTable(context) else { return .json(.array([])) }
        let wanted = getAttributes.flatMap { $0.contains("*") ? nil : $0 }
        let query = Query(filter: .and(filters), sort: [SortKey("id")], limit: nil)
        var out: [UInt8] = [UInt8(ascii: "[")]
        try db.read { txn in
            let plan = try QueryPlanner.plan(query, table: table, in: txn)
            var first = true
            try QueryExecutor.run(plan, table: table, in: txn) { bytes in
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                var record = try RecordCodec.decode(bytes)
                if let wanted {
                    var kept = JSONObject()
                    for name in wanted { if let v = record[name] { kept.appendUnchecked(name, v) } }
                    record = kept
                }
                JSON.write(.object(record), into: &out)
            }
        }
        out.append(UInt8(ascii: "]"))
        return .rawJSON(out)
    }

    private static func analyticsTable(_ context: OperationContext) -> (Database, TableDefinition)? {
        guard let db = context.app.storage.database(StorageEngine.systemDatabase),
              let table = db.table(AnalyticsAggregator.table) else { return nil }
        return (db, table)
    }

    private static func metricName(_ request: Request) throws -> String {
        switch request["metric"] {
        case .string(let s)? where !s.isEmpty: return s
        case nil, .null?: throw LyreError.validation("'metric' is required")
        default: throw LyreError.validation("'metric' must be a string")
        }
    }

    private static func time(_ request: Request, _ key: String, problems: inout [String]) -> Double? {
        switch request[key] {
        case nil, .null?: return nil
        case let value? where value.isNumber: return value.doubleValue
        default:
            problems.append("'\(key)' must be a number (milliseconds since 1970)")
            return nil
        }
    }

    private static func typeName(_ value: Value) -> String {
        switch value {
        case .null: "null"
        case .bool: "boolean"
        case .int, .double: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}
