import LyreCore
import LyreQuery

/// A decoded `search_by_conditions` (nosql.md §7.4).
struct SearchByConditionsRequest {
    var filter: Filter
    var getAttributes: [String]?
    var limit: Int?
    var offset: Int
    var sort: [SortKey]
    /// `explain: true`: answer the plan instead of the records (Lyre's own parameter).
    var explain: Bool

    static let comparatorList = "[" + Comparator.allCases.map(\.rawValue).joined(separator: ", ") + "]"

    /// - Throws: the spec's validation texts (400), joined with ". ".
    init(_ request: Request) throws {
        var problems: [String] = []
        switch request["table"] {
        case nil, .null?: problems.append("'table' is required")
        case .string?, .int?, .double?: break
        default: problems.append("'table' must be a string")
        }
        let op = Self.operatorKind(request["operator"], path: "operator", problems: &problems)
        var filter = Filter.and([])
        switch request["conditions"] {
        case nil, .null?:
            problems.append("'conditions' is required")
        case .array(let items)?:
            if items.isEmpty {
                problems.append("'conditions' must contain at least 1 items")
            } else {
                let children = items.enumerated().compactMap { i, item in
                    Self.filter(item, path: "conditions[\(i)]", depth: 1, problems: &problems)
                }
                filter = children.count == 1 ? children[0] : (op == .or ? .or(children) : .and(children))
            }
        default:
            problems.append("'conditions' must be an array")
        }
        getAttributes = try Projection.getAttributes(request, required: false, problems: &problems)
        limit = SearchParameters.limit(request, problems: &problems)
        offset = SearchParameters.offset(request, problems: &problems)
        sort = SearchParameters.sort(request, problems: &problems)
        explain = SearchParameters.explain(request, problems: &problems)
        guard problems.isEmpty else { throw LyreError.validation(problems) }
        self.filter = filter
    }

    var query: Query {
        Query(filter: filter, sort: sort, implicitOrder: true, offset: offset, limit: limit)
    }

    private enum Operator { case and, or }

    /// `and` (default) or `or`, case-insensitive.
    private static func operatorKind(_ value: Value?, path: String, problems: inout [String]) -> Operator {
        switch value {
        case nil, .null?: return .and
        case .string(let s)? where s.lowercased() == "and": return .and
        case .string(let s)? where s.lowercased() == "or": return .or
        default:
            problems.append("'\(path)' must be one of [and, or]")
            return .and
        }
    }

    /// How deeply condition groups may nest (Lyre's limit: the planner and the matcher
    /// recurse over groups; Harper sets none).
    static let maximumGroupDepth = 100

    /// One condition or group at `path` (`conditions[2].conditions[0]`), `depth` groups deep.
    private static func filter(_ value: Value, path: String, depth: Int, problems: inout [String]) -> Filter? {
        guard case .object(let object) = value else {
            problems.append("'\(path)' must be of type object")
            return nil
        }
        if let nested = object["conditions"] {
            guard depth < maximumGroupDepth else {
                problems.append("Condition groups nested too deeply (limit \(maximumGroupDepth))")
                return nil
            }
            let op = operatorKind(object["operator"], path: path + ".operator", problems: &problems)
            guard case .array(let items) = nested else {
                problems.append("'\(path).conditions' must be an array")
                return nil
            }
            if items.isEmpty {
                problems.append("'\(path).conditions' must contain at least 1 items")
                return nil
            }
            if op == .or && items.count < 2 {
                problems.append(#"An "or" operator requires at least two conditions"#)
                return nil
            }
            let children = items.enumerated().compactMap { i, item in
                filter(item, path: "\(path).conditions[\(i)]", depth: depth + 1, problems: &problems)
            }
            guard children.count == items.count else { return nil }
            return op == .or ? .or(children) : .and(children)
        }
        return condition(object, path: path, problems: &problems).map(Filter.condition)
    }

    private static func condition(_ object: JSONObject, path: String, problems: inout [String]) -> Condition? {
        let before = problems.count
        var attribute = ""
        switch object["attribute"] ?? object["search_attribute"] {
        case nil, .null?: problems.append("'\(path).attribute' is required")
        case .string(let s)?: attribute = s
        case .int(let i)?: attribute = String(i)
        default: problems.append("'\(path).attribute' must be a string")
        }
        var comparator = Comparator.equals
        switch object["comparator"] ?? object["search_type"] {
        case nil, .null?: break
        case .string(let s)?:
            if let c = Comparator(rawValue: s) {
                comparator = c
            } else {
                problems.append("'\(path).comparator' must be one of \(comparatorList)")
            }
        default: problems.append("'\(path).comparator' must be one of \(comparatorList)")
        }
        guard let value = SearchParameters.searchValue(in: object) else {
            problems.append("'\(path).value' is required")
            return nil
        }
        switch comparator {
        case .equals:
            break
        case .between:
            guard case .array(let ends) = value, ends.count == 2, ends.allSatisfy(isStringOrNumber) else {
                problems.append("'\(path).value' must be an array of two strings or numbers")
                return nil
            }
        default:
            guard isStringOrNumber(value) else {
                problems.append("'\(path).value' must be a string or number")
                return nil
            }
        }
        guard problems.count == before else { return nil }
        return Condition(attribute, comparator, value)
    }

    private static func isStringOrNumber(_ value: Value) -> Bool {
        value.stringValue != nil || value.isNumber
    }
}
