import LyreCore

/// What a write body sees: the shared transaction, a working copy of the catalog
/// (published only if the group commits) and the group's timestamp.
package struct WriteContext {
    package let transaction: WriteTransaction
    package internal(set) var catalog: DatabaseCatalog
    /// Commit timestamp of this group, ms since the epoch (fractional).
    package let now: Double
    /// Tables whose catalog entry changed in this group and must be rewritten.
    private var dirtyTables: Set<String> = []
    private var droppedTables: Set<String> = []
    private var touchedTables: Set<String> = []
    /// Auto-increment counters discovered or advanced in this group.
    var sequences: [String: Int64] = [:]
    /// The latest audit timestamp of each table written in this group (saves reading the
    /// audit log's last key once per entry).
    var auditTimestamps: [String: Double] = [:]
    /// Index changes deferred to the backlog in this group (`IndexBacklog`).
    let indexState: IndexChangeState
    /// The group's record changes for the database's commit observer, in order; nil when
    /// no observer is set (then nothing is gathered).
    package internal(set) var changes: [CommittedChange]?
    /// Whether the deletes of this group leave tombstones (`Tombstones`) and its drops
    /// leave drop markers (`DropMarkers`): a commit observer (replication) is set.
    let keepsTombstones: Bool

    /// - Parameter defersIndexChanges: whether the index changes of record writes may go to
    ///   the backlog (false while the database's indexes are being read).
    init(transaction: WriteTransaction, catalog: DatabaseCatalog, now: Double, defersIndexChanges: Bool = false,
         gathersChanges: Bool = false) {
        self.transaction = transaction
        self.catalog = catalog
        self.now = now
        indexState = IndexChangeState(defers: defersIndexChanges, backlog: catalog.indexBacklog)
        changes = gathersChanges ? [] : nil
        keepsTombstones = gathersChanges
    }

    /// Records a change for the commit observer (when one is set).
    mutating func gather(_ change: CommittedChange) {
        if changes != nil { changes!.append(change) }
    }

    static let catalogDBIName = "__catalog"
    static let metaDBIName = "__meta"

    func catalogDBI() throws -> DBI {
        guard let dbi = try transaction.openDBI(Self.catalogDBIName, create: true, dupSort: false) else {
            throw LyreError.internalError()
        }
        return dbi
    }

    func metaDBI() throws -> DBI {
        guard let dbi = try transaction.openDBI(Self.metaDBIName, create: true, dupSort: false) else {
            throw LyreError.internalError()
        }
        return dbi
    }

    // MARK: Tables

    /// Creates a table (its records and index DBIs and its catalog entry).
    /// - Throws: `LyreError.tableExists` when it exists.
    package mutating func createTable(
        _ name: String, primaryKey: String, schemaDefined: Bool = false, audit: Bool = true,
        expiration: Int? = nil, declaredAttributes: [AttributeDefinition] = []
    ) throws -> TableDefinition {
        if catalog.tables[name] != nil { throw LyreError.tableExists(catalog.name, name) }
        try writeIndexesDirectly()
        guard let records = try transaction.openDBI(TableDefinition.recordsDBIName(name), create: true, dupSort: false)
        else { throw LyreError.internalError() }
        let index = try transaction.openIndex(of: name).index
        // A DBI left from an earlier table of the same name would have been deleted with it;
        // empty both anyway so a new table never sees old rows.
        try transaction.drop(records, delete: false)
        try transaction.drop(index, delete: false)
        try removeExpiries(of: name)
        var attributes: [AttributeDefinition]
        if schemaDefined {
            attributes = declaredAttributes
            if !attributes.contains(where: { $0.name == primaryKey }) {
                attributes.insert(AttributeDefinition(name: primaryKey, id: 0, isPrimaryKey: true), at: 0)
            }
            for i in attributes.indices {
                attributes[i].id = UInt16(i)
                attributes[i].isPrimaryKey = attributes[i].name == primaryKey
            }
        } else {
            attributes = [
                AttributeDefinition(name: primaryKey, id: 0, indexed: true, isPrimaryKey: true),
                AttributeDefinition(name: TableDefinition.createdTime, id: 1),
                AttributeDefinition(name: TableDefinition.updatedTime, id: 2),
            ]
        }
        let table = TableDefinition(
            database: catalog.name, name: name, primaryKey: primaryKey, schemaDefined: schemaDefined,
            audit: audit, expiration: expiration, attributes: attributes, createdTime: now,
            records: records, index: index)
        catalog.tables[name] = table
        dirtyTables.insert(name)
        droppedTables.remove(name)
        gather(CommittedChange(table: name, kind: .schema(.createTable(table.catalogEntry))))
        return table
    }

    /// Drops a table with its records and indexes. With replication on, the drop leaves a
    /// drop marker (`DropMarkers`: records older than it arriving later are ignored) and is
    /// replicated.
    package mutating func dropTable(_ name: String) throws {
        guard catalog.tables[name] != nil else { throw LyreError.tableNotFound(catalog.name, name) }
        if keepsTombstones { try DropMarkers.put(DropMarkers.tableKey(name), at: now, in: self) }
        try removeTable(name)
        gather(CommittedChange(table: name, kind: .schema(.dropTable)))
    }

    /// Removes a table with its records and indexes (no marker, nothing gathered).
    mutating func removeTable(_ name: String) throws {
        guard let table = catalog.tables[name] else { throw LyreError.tableNotFound(catalog.name, name) }
        try writeIndexesDirectly()
        try transaction.drop(table.records, delete: true)
        try transaction.drop(table.index, delete: true)
        try dropAuditLog(of: name)
        try removeExpiries(of: name)
        catalog.tables[name] = nil
        catalog.lastUpdated[name] = nil
        dirtyTables.remove(name)
        droppedTables.insert(name)
        sequences[name] = nil
    }

    /// Adds attributes that the table does not have yet. Returns the names actually added.
    @discardableResult
    package mutating func addAttributes(_ names: some Sequence<String>, to tableName: String, indexed: Bool = true) throws -> [String] {
        guard var table = catalog.tables[tableName] else { throw LyreError.tableNotFound(catalog.name, tableName) }
        var added: [String] = []
        for name in names where table.attribute(name) == nil {
            guard table.nextAttributeID < UInt16.max else {
                throw LyreError.badRequest("Table '\(table.database).\(table.name)' cannot have more attributes")
            }
            table.appendAttribute(AttributeDefinition(name: name, id: table.nextAttributeID, indexed: indexed))
            table.nextAttributeID += 1
            added.append(name)
        }
        if !added.isEmpty {
            catalog.tables[tableName] = table
            dirtyTables.insert(tableName)
        }
        return added
    }

    /// Adds declared attributes (their types and index flags kept, new ids) a table lacks: the
    /// rest of a schema-defined table's definition, received in pieces. Returns how many.
    mutating func addDeclaredAttributes(_ attributes: [AttributeDefinition], to tableName: String) throws -> Int {
        guard var table = catalog.tables[tableName] else { throw LyreError.tableNotFound(catalog.name, tableName) }
        var added = 0
        for var attribute in attributes where table.attribute(attribute.name) == nil {
            guard table.nextAttributeID < UInt16.max else {
                throw LyreError.badRequest("Table '\(table.database).\(table.name)' cannot have more attributes")
            }
            attribute.id = table.nextAttributeID
            attribute.isPrimaryKey = false
            table.appendAttribute(attribute)
            table.nextAttributeID += 1
            added += 1
        }
        if added > 0 {
            catalog.tables[tableName] = table
            dirtyTables.insert(tableName)
        }
        return added
    }

    /// `create_attribute`: adds one attribute (replicated, unlike the attributes a record
    /// write adds, which travel with the records). Returns whether it was added.
    package mutating func createAttribute(_ name: String, in tableName: String, indexed: Bool) throws -> Bool {
        guard !(try addAttributes([name], to: tableName, indexed: indexed)).isEmpty else { return false }
        gather(CommittedChange(table: tableName, kind: .schema(.createAttribute(name, indexed: indexed))))
        return true
    }

    /// Removes an attribute from the catalog, its index entries, and (when asked) from every
    /// record. With replication on, the drop leaves a drop marker (the attribute is taken
    /// out of older records arriving later) and is replicated.
    package mutating func dropAttribute(_ name: String, from tableName: String, removeFromRecords: Bool) throws {
        guard let table = catalog.tables[tableName] else { throw LyreError.tableNotFound(catalog.name, tableName) }
        guard table.attribute(name) != nil else { return }
        if keepsTombstones { try DropMarkers.put(DropMarkers.attributeKey(tableName, name), at: now, in: self) }
        try removeAttribute(name, from: tableName, removeFromRecords: removeFromRecords)
        gather(CommittedChange(table: tableName, kind: .schema(.dropAttribute(name))))
    }

    /// `dropAttribute` without marker or gathering.
    mutating func removeAttribute(_ name: String, from tableName: String, removeFromRecords: Bool) throws {
        guard var table = catalog.tables[tableName] else { throw LyreError.tableNotFound(catalog.name, tableName) }
        guard let attribute = table.attribute(name) else { return }
        try writeIndexesDirectly()
        try deleteIndexEntries(of: attribute, in: table)
        if removeFromRecords {
            try rewriteRecords(of: table) { record in
                guard record[name] != nil else { return false }
                record.removeValue(forKey: name)
                return true
            }
        }
        table.removeAttribute(named: name)
        catalog.tables[tableName] = table
        dirtyTables.insert(tableName)
    }

    /// Marks a table as written in this group (for `last_updated_record`).
    package mutating func touch(_ tableName: String) {
        touchedTables.insert(tableName)
    }

    /// Writes the changed catalog entries and timestamps. Called once before commit.
    mutating func finish() throws {
        try finishIndexChanges()
        guard !(dirtyTables.isEmpty && droppedTables.isEmpty && touchedTables.isEmpty && sequences.isEmpty) else { return }
        let catalogDBI = try catalogDBI()
        for name in droppedTables {
            try transaction.delete(catalogDBI, Array(("table:" + name).utf8))
        }
        for name in dirtyTables {
            guard let table = catalog.tables[name] else { continue }
            _ = try transaction.put(catalogDBI, Array(("table:" + name).utf8), RecordCodec.encode(table.catalogEntry))
        }
        if !touchedTables.isEmpty {
            let meta = try metaDBI()
            for name in touchedTables where catalog.tables[name] != nil {
                catalog.lastUpdated[name] = now
                var value: [UInt8] = []
                withUnsafeBytes(of: now.bitPattern.bigEndian) { value.append(contentsOf: $0) }
                _ = try transaction.put(meta, Array(("updated:" + name).utf8), value)
            }
        }
    }
}
