import LyreCore
package import LyreStorage

/// A `FROM`/`JOIN` table resolved against the catalog (sql.md §5.2).
package struct BoundTable: Sendable {
    /// Position in `FROM`/`JOIN` order (the slot of its record in a joined row).
    package let position: Int
    package let ref: TableRef
    package let database: Database
    package let definition: TableDefinition
    /// Known attributes in `*` order: primary key, timestamps, then the others (sql.md §3.1).
    package let attributeOrder: [String]
    private let known: Set<String>

    package init(position: Int, ref: TableRef, database: Database, definition: TableDefinition) {
        self.position = position
        self.ref = ref
        self.database = database
        self.definition = definition
        var order = [definition.primaryKey]
        for name in [TableDefinition.createdTime, TableDefinition.updatedTime] where definition.attribute(name) != nil {
            order.append(name)
        }
        for name in definition.attributeNames where !order.contains(name) { order.append(name) }
        attributeOrder = order
        known = Set(order)
    }

    /// The qualifier columns use for this table: its alias, or the bare table name.
    package var qualifier: String { ref.qualifier }
    /// `db.table`, for plans and errors.
    package var qualifiedName: String { "\(definition.database).\(definition.name)" }

    /// Whether `name` is a known attribute (sql.md §3.1).
    package func knows(_ name: String) -> Bool { known.contains(name) }
}

/// Where a column's value lives in a joined row.
package struct ColumnSlot: Sendable, Hashable {
    package var table: Int
    package var name: String
}
