package import LyreCore

/// Resolves column references against the tables of a statement (sql.md §5.3) and remembers
/// every resolution, so rows look columns up without re-validating.
package struct ColumnResolver: Sendable {
    package let tables: [BoundTable]
    package private(set) var slots: [ColumnRef: ColumnSlot] = [:]

    package init(tables: [BoundTable]) { self.tables = tables }

    /// The slot of `ref`.
    /// - Throws: `unknown column <ref>` or `ambiguous column reference <ref>` (500).
    @discardableResult
    package mutating func resolve(_ ref: ColumnRef) throws(LyreError) -> ColumnSlot {
        if let slot = slots[ref] { return slot }
        let slot = try Self.find(ref, in: tables)
        slots[ref] = slot
        return slot
    }

    /// Resolves every column `expression` references.
    package mutating func resolveAll(in expression: Expression) throws(LyreError) {
        for ref in expression.columnReferences { try resolve(ref) }
    }

    /// Records `ref` when it resolves; ignores it otherwise (`HAVING` is not validated, §5.3).
    package mutating func resolveIfPossible(_ ref: ColumnRef) {
        if slots[ref] == nil, let slot = try? Self.find(ref, in: tables) { slots[ref] = slot }
    }

    private static func find(_ ref: ColumnRef, in tables: [BoundTable]) throws(LyreError) -> ColumnSlot {
        if let qualifier = ref.qualifier {
            guard let table = tables.first(where: { $0.qualifier == qualifier }), table.knows(ref.name) else {
                throw .sqlUnknownColumn(ref.description)
            }
            return ColumnSlot(table: table.position, name: ref.name)
        }
        let matches = tables.filter { $0.knows(ref.name) }
        guard let first = matches.first else { throw .sqlUnknownColumn(ref.description) }
        guard matches.count == 1 else { throw .sqlAmbiguousColumn(ref.description) }
        return ColumnSlot(table: first.position, name: ref.name)
    }
}
