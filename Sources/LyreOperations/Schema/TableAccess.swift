import LyreCore
import LyreStorage

/// Resolves the database and table a request addresses, with the status the operation
/// family uses for a missing one (404 for reads/deletes, 400 for writes; nosql.md §1.1).
enum TableAccess {
    static func database(_ name: String, in context: OperationContext, status: Int) throws -> Database {
        guard let db = context.app.storage.database(name) else { throw LyreError.databaseNotFound(name, status: status) }
        return db
    }

    static func table(_ request: Request, in context: OperationContext, status: Int) throws -> (Database, TableDefinition) {
        let databaseName = try request.database()
        let tableName = try request.table()
        let db = try database(databaseName, in: context, status: status)
        guard let table = db.table(tableName) else { throw LyreError.tableNotFound(databaseName, tableName, status: status) }
        return (db, table)
    }
}
