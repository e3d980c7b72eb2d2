/// One parsed SQL statement (sql.md §5–§8).
public enum Statement: Sendable, Hashable {
    case select(SelectStatement)
    case insert(InsertStatement)
    case update(UpdateStatement)
    case delete(DeleteStatement)
    /// A statement of another kind (`CREATE …`, `DROP …`, `SHOW …`, `WITH …`): parsed only far
    /// enough to be rejected by kind (sql.md §1.2 step 5). `keyword` is upper-cased.
    case unsupported(keyword: String)
}

/// `database.table`, with the database optional (defaulting rules differ per statement).
public struct TableName: Sendable, Hashable, CustomStringConvertible {
    public var database: String?
    public var table: String

    public init(database: String?, table: String) {
        self.database = database
        self.table = table
    }

    public var description: String { database.map { "\($0).\(table)" } ?? table }
}

/// `INSERT INTO [db.]table (columns) VALUES (…), (…)` (sql.md §6).
public struct InsertStatement: Sendable, Hashable {
    public var table: TableName
    /// The column list; `nil` when omitted (an error at execution, sql.md §6.3).
    public var columns: [String]?
    /// One expression list per row (lengths are checked at execution, sql.md §6.3).
    public var rows: [[Expression]]
    /// `INSERT … SELECT …`: parsed to be rejected with the insert error (sql.md §6.3).
    public var select: SelectStatement?

    public init(table: TableName, columns: [String]?, rows: [[Expression]], select: SelectStatement? = nil) {
        self.table = table
        self.columns = columns
        self.rows = rows
        self.select = select
    }
}

/// `UPDATE [db.]table SET a = e, … [WHERE c]` (sql.md §7).
public struct UpdateStatement: Sendable, Hashable {
    public var table: TableName
    public var assignments: [Assignment]
    public var whereClause: Expression?

    public struct Assignment: Sendable, Hashable {
        public var column: String
        public var value: Expression
        public init(column: String, value: Expression) {
            self.column = column
            self.value = value
        }
    }

    public init(table: TableName, assignments: [Assignment], whereClause: Expression?) {
        self.table = table
        self.assignments = assignments
        self.whereClause = whereClause
    }
}

/// `DELETE FROM [db.]table [WHERE c]` (sql.md §8).
public struct DeleteStatement: Sendable, Hashable {
    public var table: TableName
    public var whereClause: Expression?

    public init(table: TableName, whereClause: Expression?) {
        self.table = table
        self.whereClause = whereClause
    }
}
