package import LyreCore
internal import CLMDB
import Foundation

/// How a batch of records meets existing ones.
package enum WriteMode: String, Sendable {
    /// New records only; existing keys are skipped.
    case insert
    /// Existing records only, shallow-merged; missing keys are skipped.
    case update
    /// Insert or merge.
    case upsert
}

/// The outcome of writing a batch of records to one table.
package struct RecordWriteResult: Sendable {
    /// Primary keys written, in request order, with their JSON types.
    package var written: [Value] = []
    /// Primary keys skipped (duplicates on insert, missing on update).
    package var skipped: [Value] = []
    /// Attributes this write added to the table.
    package var newAttributes: [String] = []
    /// The records as stored, aligned with `written`.
    package var stored: [JSONObject] = []
    /// Their stored encodings (for the audit log), aligned with `written`.
    package var storedEncodings: [[UInt8]] = []
    /// The records before the write (nil when created), aligned with `written`.
    package var previous: [JSONObject?] = []
}

extension WriteContext {
    // MARK: Reading inside the write

    package func record(in table: TableDefinition, key: [UInt8]) throws -> JSONObject? {
        guard let bytes = try transaction.get(table.records, key) else { return nil }
        return try RecordCodec.decode(bytes)
    }

    // MARK: Record writes

    /// Writes `records` to `tableName` with insert/update/upsert semantics: keys generated
    /// where missing (insert/upsert), timestamps maintained, new attributes added and
    /// every attribute indexed — all inside this transaction.
    /// - Throws: `LyreError` for invalid primary keys; the caller's whole request then fails.
    package mutating func write(_ records: [JSONObject], mode: WriteMode, to tableName: String) throws -> RecordWriteResult {
        guard var table = catalog.tables[tableName] else { throw LyreError.tableNotFound(catalog.name, tableName) }
        var result = RecordWriteResult()
        // New attributes first (dynamic tables), in first-seen order.
        if !table.schemaDefined, let names = Self.unknownAttributes(in: records, of: table) {
            result.newAttributes = try addAttributes(names, to: tableName)
            table = catalog.tables[tableName]!
        }
        let timestamps = table.maintainsTimestamps
        // Index entries of records this call creates are gathered and written in key order
        // at the end (see `IndexEntries`); before a record that replaces another they are
        // flushed, so its old entries are there to remove.
        var created = IndexEntries()
        var appender = RecordAppender()
        for var record in records {
            var keyValue = record[table.primaryKey] ?? .null
            let missingKey = keyValue.isNull || keyValue == .string("")
            if missingKey {
                if mode == .update {
                    throw LyreError.validation("a valid hash attribute must be provided with update record, check log for more info")
                }
                keyValue = try generateKey(for: table)
                record[table.primaryKey] = keyValue
            }
            let key = try Self.encodePrimaryKey(keyValue)
            // An insert needs no read: a put that refuses to overwrite tells a taken key.
            let existing = mode == .insert ? nil : try self.record(in: table, key: key)
            var stored: JSONObject
            switch (mode, existing) {
            case (.insert, .some), (.update, .none):
                result.skipped.append(keyValue)
                continue
            case (.insert, .none), (.upsert, .none):
                stored = record
                if timestamps {
                    stored[TableDefinition.createdTime] = .double(now)
                    stored[TableDefinition.updatedTime] = .double(now)
                }
            case (.update, .some(let old)), (.upsert, .some(let old)):
                stored = old
                for entry in record where entry.key != TableDefinition.createdTime {
                    stored[entry.key] = entry.value
                }
                if timestamps {
                    stored[TableDefinition.createdTime] = old[TableDefinition.createdTime] ?? .double(now)
                    stored[TableDefinition.updatedTime] = .double(now)
                }
            }
            let encoded = RecordCodec.encode(stored)
            if existing == nil {
                guard try appender.put(key, encoded, in: table, transaction) else {
                    result.skipped.append(keyValue)
                    continue
                }
                created.add(stored, key: key, in: table)
            } else {
                try created.flush(into: self, table: table)
                try put(stored, encoded: encoded, key: key, previous: existing, in: table)
            }
            try renewExpiry(of: key, in: table)
            result.written.append(keyValue)
            result.stored.append(stored)
            result.storedEncodings.append(encoded)
            result.previous.append(existing)
        }
        try created.flush(into: self, table: table)
        if !result.written.isEmpty {
            touch(tableName)
            if changes != nil { gather(CommittedChange(table: tableName, kind: .put(result.stored), encodedRecords: result.storedEncodings)) }
        }
        return result
    }

    /// Deletes records by primary key. Returns the deleted and the skipped (absent) keys.
    package mutating func delete(ids: [Value], from tableName: String) throws -> (deleted: [Value], skipped: [Value], records: [JSONObject]) {
        guard let table = catalog.tables[tableName] else { throw LyreError.tableNotFound(catalog.name, tableName) }
        var deleted: [Value] = []
        var skipped: [Value] = []
        var records: [JSONObject] = []
        for id in ids {
            guard let key = KeyCodec.encode(id), key.count <= KeyCodec.maximumKeySize,
                  let old = try record(in: table, key: key) else {
                skipped.append(id)
                continue
            }
            try removeIndexEntries(of: old, key: key, in: table)
            try transaction.delete(table.records, key)
            try removeExpiry(of: key, in: table)
            if keepsTombstones { try Tombstones.put(tableName, key: key, at: now, in: self) }
            deleted.append(id)
            records.append(old)
        }
        if !deleted.isEmpty {
            touch(tableName)
            if changes != nil { gather(CommittedChange(table: tableName, kind: .delete(deleted))) }
        }
        return (deleted, skipped, records)
    }

    /// The attribute names of `records` that `table` lacks, in first-seen order (nil: none).
    package static func unknownAttributes(in records: [JSONObject], of table: TableDefinition) -> [String]? {
        // The usual case, a few records of known attributes, is checked without hashing names.
        if records.count <= 16, table.attributes.count <= 32,
           records.allSatisfy({ $0.entries.allSatisfy { table.attribute($0.key) != nil } }) {
            return nil
        }
        var names: [String] = []
        var seen = Set(table.attributeNames)
        for record in records {
            for entry in record where seen.insert(entry.key).inserted { names.append(entry.key) }
        }
        return names.isEmpty ? nil : names
    }

    /// Stores `record` (`encoded` when its encoding is at hand) under `key`, updating only
    /// the index entries that changed.
    package func put(_ record: JSONObject, encoded: [UInt8]? = nil, key: [UInt8], previous: JSONObject?,
                     in table: TableDefinition) throws {
        _ = try transaction.put(table.records, key, encoded ?? RecordCodec.encode(record))
        // The records' own attributes are walked, each looked up in the table (by name, in
        // constant time): walking the table's attributes and looking each up in the records
        // cost attributes × entries, minutes for a table of thousands (session 11).
        let old = previous.map(RecordLookup.init)
        for entry in record.entries {
            guard let attribute = table.attribute(entry.key), attribute.indexed, !attribute.isPrimaryKey else { continue }
            try changeIndex(of: attribute, from: old?[entry.key], to: entry.value, key: key, in: table)
        }
        guard let previous else { return }
        let new = RecordLookup(record)
        for entry in previous.entries where new[entry.key] == nil {
            guard let attribute = table.attribute(entry.key), attribute.indexed, !attribute.isPrimaryKey else { continue }
            try changeIndex(of: attribute, from: entry.value, to: nil, key: key, in: table)
        }
    }

    /// Replaces one attribute's index entries for a record (the entries both values share stay).
    private func changeIndex(of attribute: AttributeDefinition, from oldValue: Value?, to newValue: Value?,
                             key: [UInt8], in table: TableDefinition) throws {
        if newValue == oldValue { return }
        let oldKeys = oldValue.map { TableIndex.keys(attribute.id, $0) } ?? []
        let newKeys = newValue.map { TableIndex.keys(attribute.id, $0) } ?? []
        for k in oldKeys where !newKeys.contains(k) { try changeIndex(.delete, of: table, valueKey: k, primaryKey: key) }
        for k in newKeys where !oldKeys.contains(k) { try changeIndex(.put, of: table, valueKey: k, primaryKey: key) }
    }

    func removeIndexEntries(of record: JSONObject, key: [UInt8], in table: TableDefinition) throws {
        for entry in record.entries {
            guard let attribute = table.attribute(entry.key), attribute.indexed, !attribute.isPrimaryKey else { continue }
            for k in TableIndex.keys(attribute.id, entry.value) { try changeIndex(.delete, of: table, valueKey: k, primaryKey: key) }
        }
    }

    /// Deletes every index entry of one attribute (a prefix range of the index DBI).
    func deleteIndexEntries(of attribute: AttributeDefinition, in table: TableDefinition) throws {
        let prefix = TableIndex.prefix(attribute.id)
        try transaction.withCursor(table.index) { cursor in
            var entry = try cursor.seek(atOrAfter: prefix)
            while let e = entry, e.key.starts(with: prefix) {
                try cursor.deleteCurrent()
                entry = try cursor.current()
                if entry == nil { entry = try cursor.next() }
            }
        }
    }

    /// Rewrites every record for which `transform` returns true, keeping indexes in step.
    mutating func rewriteRecords(of table: TableDefinition, _ transform: (inout JSONObject) -> Bool) throws {
        var changes: [([UInt8], JSONObject, JSONObject)] = []
        try transaction.withCursor(table.records) { cursor in
            var entry = try cursor.first()
            while let e = entry {
                let old = try RecordCodec.decode(e.value)
                var new = old
                if transform(&new) { changes.append((Array(e.key), old, new)) }
                entry = try cursor.next()
            }
        }
        for (key, old, new) in changes { try put(new, key: key, previous: old, in: table) }
    }

    // MARK: Keys

    /// The storage key of a primary-key value.
    /// - Throws: `Invalid primary key type: <type>` for booleans/objects/arrays,
    ///   `Primary key size is too large: <n>` beyond `TableIndex.maximumPrimaryKeyLength` bytes
    ///   (an index entry holds the primary key beside a value within LMDB's key limit).
    package static func encodePrimaryKey(_ value: Value) throws -> [UInt8] {
        switch value {
        case .string, .int, .double:
            break
        default:
            throw LyreError.validation("Invalid primary key type: \(value.typeName)")
        }
        guard let key = KeyCodec.encode(value) else {
            throw LyreError.validation("Invalid primary key type: \(value.typeName)")
        }
        guard key.count <= TableIndex.maximumPrimaryKeyLength else {
            throw LyreError.validation("Primary key size is too large: \(key.count)")
        }
        return key
    }

    /// A new primary key: a UUID for tables whose key is typed `String`/`ID`, else the next integer.
    private mutating func generateKey(for table: TableDefinition) throws -> Value {
        if let type = table.attribute(table.primaryKey)?.type, type == "String" || type == "ID" {
            return .string(UUID().uuidString.lowercased())
        }
        let current = try sequences[table.name] ?? largestIntegerKey(in: table) ?? 0
        // A table whose largest key is Int64.max has no next integer (the addition trapped).
        let (next, overflow) = current.addingReportingOverflow(1)
        if overflow {
            throw LyreError.validation("Cannot generate a primary key: the table's largest integer key is \(current)")
        }
        sequences[table.name] = next
        return .int(next)
    }

    /// The largest integral numeric primary key of the table, found by seeking to the
    /// first non-number key and stepping back (numbers sort before strings).
    private func largestIntegerKey(in table: TableDefinition) throws -> Int64? {
        try transaction.withCursor(table.records) { cursor in
            var entry = try cursor.seek(atOrAfter: KeyCodec.encode(.string(""))!)
            entry = entry == nil ? try cursor.last() : try cursor.previous()
            while let e = entry {
                let v = try KeyCodec.decode(e.key)
                guard v.isNumber else { return nil }
                if let i = v.intValue { return i }
                if let d = v.doubleValue, d < Double(Int64.max), d >= Double(Int64.min) { return Int64(d.rounded(.down)) }
                entry = try cursor.previous()
            }
            return nil
        }
    }
}

extension WriteTransaction {
    /// Opens (creating when missing) a table's index DBI. An index written by an earlier
    /// Lyre as a DUPSORT DBI (one key per value, the primary keys as duplicates) is deleted
    /// and created afresh: `needsRebuild` then asks the caller for `rebuildIndex(of:)`.
    func openIndex(of table: String) throws -> (index: DBI, needsRebuild: Bool) {
        let name = TableDefinition.indexDBIName(table)
        // LMDB opens an existing DBI with the flags it was created with.
        guard let index = try openDBI(name, create: true, dupSort: false) else { throw LyreError.internalError() }
        var flags: UInt32 = 0
        try check(mdb_dbi_flags(txn, index.raw, &flags), "mdb_dbi_flags")
        guard flags & UInt32(MDB_DUPSORT) != 0 else { return (index, false) }
        try drop(index, delete: true)
        guard let fresh = try openDBI(name, create: true, dupSort: false) else { throw LyreError.internalError() }
        return (fresh, true)
    }

    /// Writes the index entries of every record of `table` (after its index DBI was emptied
    /// or created afresh), in batches sorted like a load's.
    func rebuildIndex(of table: TableDefinition) throws {
        var entries = IndexEntries()
        var pending = 0
        try withCursor(table.records) { cursor in
            var entry = try cursor.first()
            while let e = entry {
                entries.add(try RecordCodec.decode(e.value), key: Array(e.key), in: table)
                pending += 1
                if pending == 10_000 {
                    try entries.flush(into: self, table: table)
                    pending = 0
                }
                entry = try cursor.next()
            }
        }
        try entries.flush(into: self, table: table)
    }
}

/// Index entries (value key · primary key) of new records, written sorted.
///
/// A batch's records arrive in file order, and their entries (one per indexed attribute)
/// land all over the index B-tree. Put in key order, consecutive `mdb_put`s touch the same
/// few pages: the CSV load of `Benchmarks/csv-load.sh` spends noticeably less time in
/// LMDB's page search and splits. The entries are laid out whole in one byte buffer (no
/// array per entry) and sorted through offsets with `memcmp`.
struct IndexEntries {
    private var bytes: [UInt8] = []
    /// (offset, entry length, primary-key length) per entry.
    private var entries: [(offset: Int, length: Int, primaryKeyLength: Int)] = []

    mutating func add(_ record: JSONObject, key: [UInt8], in table: TableDefinition) {
        for entry in record.entries {
            guard let attribute = table.attribute(entry.key), attribute.indexed, !attribute.isPrimaryKey else { continue }
            let value = entry.value
            if case .array = value {
                for k in TableIndex.keys(attribute.id, value) { append(k, key) }
                continue
            }
            let start = bytes.count
            guard TableIndex.appendValueKey(attribute.id, value, into: &bytes) else { continue }
            bytes.append(contentsOf: key)
            entries.append((start, bytes.count - start, key.count))
        }
    }

    private mutating func append(_ valueKey: [UInt8], _ key: [UInt8]) {
        entries.append((bytes.count, valueKey.count + key.count, key.count))
        bytes.append(contentsOf: valueKey)
        bytes.append(contentsOf: key)
    }

    /// Adds the gathered entries through `context` (to the backlog while it defers index
    /// changes) in key order and empties the list.
    mutating func flush(into context: WriteContext, table: TableDefinition) throws {
        if entries.count >= IndexBacklog.largeGroup { try context.writeIndexesDirectly() }
        try flush { entry, primaryKeyLength in
            try context.changeIndex(.put, of: table, entry: entry, primaryKeyLength: primaryKeyLength)
        }
    }

    /// Writes the gathered entries straight to the index DBI in key order and empties the list.
    mutating func flush(into transaction: WriteTransaction, table: TableDefinition) throws {
        try flush { entry, primaryKeyLength in
            try transaction.putIndexEntry(table.index, entry, primaryKeyLength: primaryKeyLength)
        }
    }

    private mutating func flush(_ put: (UnsafeRawBufferPointer, Int) throws -> Void) throws {
        guard !entries.isEmpty else { return }
        defer {
            entries.removeAll(keepingCapacity: true)
            bytes.removeAll(keepingCapacity: true)
        }
        try bytes.withUnsafeBytes { raw in
            let base = raw.baseAddress!
            if entries.count > 1 {
                entries.sort { a, b in
                    let c = memcmp(base + a.offset, base + b.offset, min(a.length, b.length))
                    return c != 0 ? c < 0 : a.length < b.length
                }
            }
            for e in entries {
                try put(UnsafeRawBufferPointer(start: base + e.offset, count: e.length), e.primaryKeyLength)
            }
        }
    }
}

/// Puts new records so that keys that sort after every key of the table (a load in primary-key
/// order, increasing generated keys) go in with LMDB's `MDB_APPEND`: the last leaf is then
/// filled before a new one is started, where a plain put splits it in half — and a half-full
/// leaf stays half full when nothing is inserted before its keys again. Measured on the
/// 100,000-row CSV load: records DBI leaves 91 % full before (LMDB 0.9.24 leaves a record or
/// two of room per leaf), 96 % after — within one record of full (Benchmarks/README.md,
/// session 10). One call to `write`
/// looks up the table's last key once (one descent of the rightmost path) and keeps it up
/// to date.
struct RecordAppender {
    /// nil: not looked up yet; .some(nil): the table is empty.
    private var lastKey: [UInt8]??

    /// Puts `value` under `key` unless `key` is taken. - Returns: false when it is taken.
    mutating func put(_ key: [UInt8], _ value: [UInt8], in table: TableDefinition, _ transaction: WriteTransaction) throws -> Bool {
        if lastKey == nil {
            lastKey = .some(try transaction.withCursor(table.records) { cursor in try cursor.last().map { Array($0.key) } })
        }
        let appends = switch lastKey! {
        case nil: true
        case let last?: last.lexicographicallyPrecedes(key)
        }
        guard try transaction.put(table.records, key, value, noOverwrite: true, append: appends) else { return false }
        if appends { lastKey = .some(key) }
        return true
    }
}

/// A record's values by name: the record's own linear lookup while it is small, a dictionary
/// once it is wide (so comparing two wide versions of a record stays linear).
struct RecordLookup {
    private let record: JSONObject
    private let byName: [String: Value]?

    init(_ record: JSONObject) {
        self.record = record
        byName = record.count > 32 ? Dictionary(record.entries.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first }) : nil
    }

    subscript(name: String) -> Value? {
        if let byName { return byName[name] }
        return record[name]
    }
}
