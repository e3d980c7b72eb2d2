import LyreCore
import LyreSQL

/// Table and attribute permission checks of a `SELECT` (sql.md §10.2): the `FROM` and every
/// `JOIN` table need `read`; attributes are the columns of the select list, `WHERE`, `ON` and
/// `ORDER BY`, an unqualified column counting for the first `FROM` table.
enum SQLPermissions {
    static func checkSelect(_ statement: SelectStatement, user: User) throws {
        guard !user.isSuperUser, let from = statement.from else { return }
        let refs = [from] + statement.joins.map(\.table)
        var columns: [ColumnRef] = []
        for case .expression(let e, _) in statement.items { columns += e.columnReferences }
        if let w = statement.whereClause { columns += w.columnReferences }
        for j in statement.joins { if let c = j.condition { columns += c.columnReferences } }
        for o in statement.orderBy { columns += o.expression.columnReferences }
        for ref in refs {
            var attributes: [String] = []
            for c in columns {
                let owner = c.qualifier.flatMap { q in refs.first { $0.qualifier == q } } ?? from
                if owner == ref, !attributes.contains(c.name) { attributes.append(c.name) }
            }
            guard let database = ref.name.database else { continue }
            try Authorization.checkTable(database: database, table: ref.name.table, user: user,
                                         required: [.read], attributes: attributes)
        }
    }
}
