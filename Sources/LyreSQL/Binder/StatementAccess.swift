/// One table a statement touches and the attributes it touches there, for the permission
/// check of sql.md §10.2. The SQL engine only lists what a statement touches; the operation
/// layer decides whether the caller may.
public struct StatementAccess: Sendable, Hashable {
    /// The table-level right a statement kind needs (sql.md §10.2 step 3).
    public enum Right: String, Sendable, Hashable {
        case read, insert, update, delete
    }

    /// `nil` when the statement names no database (a `SELECT` then fails with
    /// `schema not defined for table …`; `INSERT` defaults to `data`, `UPDATE`/`DELETE` report
    /// `undefined` — see ``Statement/tableAccess``).
    public var database: String?
    public var table: String
    public var right: Right
    /// Attributes in first-seen order, without duplicates (§10.2 step 5).
    public var attributes: [String]

    public init(database: String?, table: String, right: Right, attributes: [String] = []) {
        self.database = database
        self.table = table
        self.right = right
        self.attributes = attributes
    }

    /// `db.table` (or the bare table name).
    public var qualifiedName: String { database.map { "\($0).\(table)" } ?? table }

    mutating func add(_ attribute: String) {
        if !attributes.contains(attribute) { attributes.append(attribute) }
    }
}

extension Statement {
    /// Every table the statement touches, in statement order, each with the attributes whose
    /// permission sql.md §10.2 step 5 checks. Tables named twice (self-joins) appear once.
    /// `[]` for statements without a table (`SELECT 2 + 2`) and unsupported kinds.
    public var tableAccess: [StatementAccess] {
        switch self {
        case .select(let s): s.tableAccess
        case .insert(let s):
            // INSERT defaults to the `data` database (sql.md §6.3).
            [StatementAccess(database: s.table.database ?? "data", table: s.table.table, right: .insert,
                         attributes: Self.unique(s.columns ?? []))]
        case .update(let s):
            // The SET targets and the columns read by SET expressions; not the WHERE (inferred).
            [StatementAccess(database: s.table.database ?? "undefined", table: s.table.table, right: .update,
                         attributes: Self.unique(s.assignments.flatMap { [$0.column] + $0.value.columnReferences.map(\.name) }))]
        case .delete(let s):
            // Only visibility of the WHERE columns is checked: attributes have no delete flag.
            [StatementAccess(database: s.table.database ?? "undefined", table: s.table.table, right: .delete,
                         attributes: Self.unique(s.whereClause?.columnReferences.map(\.name) ?? []))]
        case .unsupported: []
        }
    }

    private static func unique(_ names: [String]) -> [String] {
        var out: [String] = []
        for n in names where !out.contains(n) { out.append(n) }
        return out
    }
}

extension SelectStatement {
    /// The `FROM` table and every `JOIN` table, in statement order.
    public var tableRefs: [TableRef] {
        guard let from else { return [] }
        return [from] + joins.map(\.table)
    }

    /// The tables of a `SELECT` with the columns of the select list, `JOIN … ON`, `WHERE` and
    /// `ORDER BY` (sql.md §10.2 step 5; `GROUP BY`/`HAVING` are not checked, inferred). A column
    /// counts for the table its qualifier names; an unqualified one — or one whose qualifier
    /// names no table — for the first `FROM` table (inferred). An unqualified `ORDER BY` name
    /// that is a select-list alias is not a column.
    public var tableAccess: [StatementAccess] {
        let refs = tableRefs
        guard let from = refs.first else { return [] }
        var accesses: [StatementAccess] = []
        var slot: [TableName: Int] = [:]
        for ref in refs where slot[ref.name] == nil {
            slot[ref.name] = accesses.count
            accesses.append(StatementAccess(database: ref.name.database, table: ref.name.table, right: .read))
        }
        func record(_ column: ColumnRef) {
            let owner = column.qualifier.flatMap { q in refs.first { $0.qualifier == q } } ?? from
            accesses[slot[owner.name]!].add(column.name)
        }
        let aliases = Set(items.compactMap { item -> String? in
            if case .expression(_, let alias?) = item { return alias }
            return nil
        })
        for case .expression(let e, _) in items { e.columnReferences.forEach(record) }
        for join in joins { join.condition?.columnReferences.forEach(record) }
        whereClause?.columnReferences.forEach(record)
        for order in orderBy {
            if case .column(let c) = order.expression, c.qualifier == nil, aliases.contains(c.name) { continue }
            order.expression.columnReferences.forEach(record)
        }
        return accesses
    }

    /// Replaces `*` and `q.*` by explicit columns (sql.md §10.3): `attributes(ref)` gives the
    /// columns a table's wildcard stands for, or nil to keep the wildcard as written (a table
    /// that does not exist, so the binder reports it). The columns are appended after the
    /// explicit items, where the binder puts wildcard expansions (§5.4), qualified like them.
    /// - Returns: The statement unchanged when it has no wildcard or some table answers nil.
    public func expandingWildcards(_ attributes: (TableRef) -> [String]?) -> SelectStatement {
        let hasWildcard = items.contains { if case .expression = $0 { false } else { true } }
        guard hasWildcard else { return self }
        let refs = tableRefs
        var expansion: [TableName: [String]] = [:]
        for ref in refs where expansion[ref.name] == nil {
            guard let names = attributes(ref) else { return self }
            expansion[ref.name] = names
        }
        func columns(of ref: TableRef) -> [SelectItem] {
            (expansion[ref.name] ?? []).map { .expression(.column(ColumnRef(qualifier: ref.qualifier, name: $0)), alias: nil) }
        }
        var explicit: [SelectItem] = []
        var expanded: [SelectItem] = []
        for item in items {
            switch item {
            case .expression: explicit.append(item)
            case .wildcard: for ref in refs { expanded += columns(of: ref) }
            case .qualifiedWildcard(let q):
                // An unknown qualifier stays for the binder's `unknown column q.*`.
                guard let ref = refs.first(where: { $0.qualifier == q }) else { return self }
                expanded += columns(of: ref)
            }
        }
        var rewritten = self
        rewritten.items = explicit + expanded
        return rewritten
    }
}
