import LyreCore
import LyreQuery
import LyreStorage

/// search_by_value / search_by_conditions (nosql.md §7.3–7.4): decode, authorize, check
/// the table and attributes, then plan and stream the results in one read transaction.
enum SearchOperations {
    static func register(into registry: inout OperationRegistry) {
        registry.register(.searchByValue, .sync(searchByValue))
        registry.register(.searchByConditions, .sync(searchByConditions))
    }

    @Sendable static func searchByValue(_ request: Request, _ context: OperationContext) throws -> OutgoingResponse.Body {
        try respond(try prepareByValue(request, context))
    }

    @Sendable static func searchByConditions(_ request: Request, _ context: OperationContext) throws -> OutgoingResponse.Body {
        try respond(try prepareByConditions(request, context))
    }

    /// The search's answer: its plan (`explain`) or its records.
    static func respond(_ search: PreparedSearch) throws -> OutgoingResponse.Body {
        if search.explain { return try SearchParameters.explainPlan(search.query, table: search.table, db: search.db) }
        return try SearchParameters.respond(search.query, projection: search.projection, table: search.table, db: search.db)
    }

    /// A `search_by_value` decoded, authorized and checked against its table (every error the
    /// operation answers before reading), ready to run: by `respond`, or in pieces by an export.
    static func prepareByValue(_ request: Request, _ context: OperationContext) throws -> PreparedSearch {
        let search = try SearchByValueRequest(request)
        try Authorization.checkTable(database: try request.database(), table: try request.table(), user: context.user,
                                     required: [.read], attributes: [search.attribute] + (search.getAttributes ?? []))
        let (db, table) = try TableAccess.table(request, in: context, status: 404)
        let unknown = SearchParameters.unknown([search.attribute] + (search.getAttributes ?? []) + search.sort.map(\.attribute), table: table)
        if !unknown.isEmpty { throw LyreError.unknownAttribute(Projection.list(unknown)) }
        let projection = try Projection(Authorization.readableAttributes(search.getAttributes, table: table, user: context.user), table: table)
        return PreparedSearch(query: search.query, projection: projection, table: table, db: db, explain: search.explain)
    }

    /// A `search_by_conditions` ready to run, as `prepareByValue`.
    static func prepareByConditions(_ request: Request, _ context: OperationContext) throws -> PreparedSearch {
        let search = try SearchByConditionsRequest(request)
        let databaseName = try request.database()
        let tableName = try request.table()
        try Authorization.checkTable(database: databaseName, table: tableName, user: context.user, required: [.read],
                                     attributes: search.filter.attributes + (search.getAttributes ?? []))
        let db = try TableAccess.database(databaseName, in: context, status: 404)
        guard let table = db.table(tableName) else { throw LyreError.tableNotFoundForConditions(tableName) }
        let unknown = SearchParameters.unknown(search.filter.attributes + (search.getAttributes ?? []), table: table)
        if !unknown.isEmpty { throw LyreError.unknownAttribute(Projection.list(unknown)) }
        for key in search.sort where table.attribute(key.attribute) == nil {
            throw LyreError.sortAttributeNotDefined(key.attribute)
        }
        let projection = try Projection(Authorization.readableAttributes(search.getAttributes, table: table, user: context.user), table: table)
        return PreparedSearch(query: search.query, projection: projection, table: table, db: db, explain: search.explain)
    }
}

/// A NoSQL search checked and ready to run (`SearchOperations.prepareByValue`, `prepareByConditions`).
struct PreparedSearch: Sendable {
    var query: Query
    var projection: Projection
    var table: TableDefinition
    var db: Database
    /// `explain: true`: the answer is the plan, not records.
    var explain: Bool
}
