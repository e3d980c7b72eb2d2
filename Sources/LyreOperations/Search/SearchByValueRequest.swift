import LyreCore
import LyreQuery

/// A decoded `search_by_value` (nosql.md §7.3).
struct SearchByValueRequest {
    var attribute: String
    var value: Value
    var getAttributes: [String]?
    var limit: Int?
    var offset: Int
    var reverse: Bool
    var sort: [SortKey]
    /// `explain: true`: answer the plan instead of the records (Lyre's own parameter).
    var explain: Bool

    /// - Throws: the spec's validation texts (400; Harper answers these with 500), joined with ". ".
    init(_ request: Request) throws {
        var problems: [String] = []
        switch request["table"] {
        case nil, .null?: problems.append("'table' is required")
        case .string?, .int?, .double?: break
        default: problems.append("'table' must be a string")
        }
        var attribute = ""
        switch request.first("attribute", "search_attribute") {
        case nil, .null?: problems.append("'attribute' is required")
        case .string(let s)?: attribute = s
        case .int(let i)?: attribute = String(i)
        default: problems.append("'attribute' must be a string")
        }
        let found = SearchParameters.searchValue(in: request.body)
        if found == nil { problems.append("'value' is required") }
        let value = found ?? .null
        getAttributes = try Projection.getAttributes(request, required: false, problems: &problems)
        limit = SearchParameters.limit(request, problems: &problems)
        offset = SearchParameters.offset(request, problems: &problems)
        var reverse = false
        if let v = request.first("reverse", "desc"), !v.isNull {
            if case .bool(let b) = v { reverse = b } else { problems.append("'reverse' must be a boolean") }
        }
        sort = SearchParameters.sort(request, problems: &problems)
        explain = SearchParameters.explain(request, problems: &problems)
        guard problems.isEmpty else { throw LyreError.validation(problems) }
        self.attribute = attribute
        self.value = value
        self.reverse = reverse
    }

    /// The condition `value` stands for: `*` alone is every record (nil); a leading and/or
    /// trailing `*` (one stripped from each end) makes `ends_with` / `starts_with` /
    /// `contains`; anything else is an exact, type-sensitive match.
    var condition: Condition? {
        guard case .string(let text) = value else { return Condition(attribute, .equals, value) }
        if text == "*" { return nil }
        let leading = text.hasPrefix("*")
        let trailing = text.hasSuffix("*")
        switch (leading, trailing) {
        case (true, true) where text.utf8.count >= 2:
            return Condition(attribute, .contains, .string(String(text.dropFirst().dropLast())))
        case (true, _):
            return Condition(attribute, .endsWith, .string(String(text.dropFirst())))
        case (false, true):
            return Condition(attribute, .startsWith, .string(String(text.dropLast())))
        case (false, false):
            return Condition(attribute, .equals, value)
        }
    }

    /// The query: ordered by the searched attribute's value (as its index orders it),
    /// ties by primary key; `*` by primary key; `reverse` is the exact reverse.
    var query: Query {
        let condition = self.condition
        var order = sort
        if reverse { for i in order.indices { order[i].descending.toggle() } }
        if order.isEmpty, let condition {
            order = [SortKey(attribute, descending: reverse, restrict: condition)]
        }
        return Query(filter: condition.map(Filter.condition), sort: order, implicitOrder: false,
                     primaryKeyDescending: reverse, offset: offset, limit: limit)
    }
}
