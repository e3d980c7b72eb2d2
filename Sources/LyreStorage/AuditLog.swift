package import LyreCore
import LyreCompression

/// The audit log of one table: one entry per write request that touched it, stored in the
/// table's own DBI (`a/<table>`) of the database's environment and written in the same
/// transaction as the change it describes, so an entry exists exactly when its change does.
///
/// Key: the entry's timestamp (ms since the epoch, fractional) as 8 big-endian bytes of the
/// IEEE-754 bit pattern — for positive doubles that orders like the number. Timestamps are
/// unique per table: an entry written in the same group commit as an earlier one (same
/// `now`) gets the previous timestamp plus 1 µs. Value: the entry encoded with `RecordCodec`,
/// or, when that is at least `AuditValue.compressionThreshold` bytes and LZ4 makes it smaller,
/// `AuditValue.compressedTag · u32 LE (encoded size) · LZ4 block` (see `AuditValue`).
///
/// ```swift
/// let admin = AuditDescriptor(operation: "insert", username: "admin")
/// try await db.write { ctx in try ctx.write(records, mode: .insert, to: "dog", audit: admin) }
/// let entries = try db.read { txn in try txn.auditEntries(of: db.table("dog")!) }
/// ```
package struct AuditDescriptor: Sendable {
    /// `insert`, `update`, `upsert` or `delete` (the client operation).
    package var operation: String
    package var username: String

    package init(operation: String, username: String) {
        self.operation = operation
        self.username = username
    }
}

/// One decoded audit entry.
package struct AuditEntry: Sendable {
    package var timestamp: Double
    package var operation: String
    package var username: String
    package var hashValues: [Value]
    /// Written records (absent for deletes).
    package var records: [JSONObject]?
    /// Records before the write (absent for inserts).
    package var originalRecords: [JSONObject]?

    init(timestamp: Double, stored: JSONObject) {
        self.timestamp = timestamp
        operation = stored["operation"]?.stringValue ?? ""
        username = stored["user_name"]?.stringValue ?? ""
        hashValues = stored["hash_values"]?.arrayValue ?? []
        records = stored["records"]?.arrayValue?.compactMap(\.objectValue)
        originalRecords = stored["original_records"]?.arrayValue?.compactMap(\.objectValue)
    }
}

enum AuditKey {
    static func dbiName(_ table: String) -> String { "a/" + table }

    static func encode(_ timestamp: Double) -> [UInt8] {
        withUnsafeBytes(of: timestamp.bitPattern.bigEndian) { Array($0) }
    }

    static func decode(_ key: UnsafeRawBufferPointer) -> Double {
        var bits: UInt64 = 0
        for b in key.prefix(8) { bits = bits << 8 | UInt64(b) }
        return Double(bitPattern: bits)
    }
}

/// An audit entry's stored value (issue 18, bytes per record). A bulk write's entry holds
/// every record it wrote, whose attribute names repeat in each one, so LZ4 shrinks it about
/// six times, and the load got faster, not slower (Benchmarks/README.md, session 10);
/// entries below the threshold (a single-record write's) stay plain, so a durable small write
/// pays nothing. Entries written before compression existed start with `RecordCodec`'s
/// version byte (1) and read as they are.
enum AuditValue {
    /// First byte of a compressed entry (never a `RecordCodec` version byte).
    static let compressedTag: UInt8 = 0x4C
    /// Entries of fewer encoded bytes are stored plain.
    static let compressionThreshold = 1024
    /// Larger entries are stored plain: their size would not fit the 4-byte field.
    static let maximumEncodedSize = Int(UInt32.max)

    static func stored(_ encoded: [UInt8]) -> [UInt8] {
        guard encoded.count >= compressionThreshold, encoded.count <= maximumEncodedSize,
              let block = LZ4Block.compress(encoded) else { return encoded }
        var value: [UInt8] = []
        value.reserveCapacity(5 + block.count)
        value.append(compressedTag)
        let size = UInt32(encoded.count)
        for shift in stride(from: 0, to: 32, by: 8) { value.append(UInt8(truncatingIfNeeded: size >> UInt32(shift))) }
        value.append(contentsOf: block)
        return value
    }

    /// The entry a stored value holds. - Throws: `LyreError.internalError` on malformed bytes.
    static func decode(_ value: UnsafeRawBufferPointer) throws -> JSONObject {
        guard value.first == compressedTag else { return try RecordCodec.decode(value) }
        guard value.count > 5 else { throw LyreError.internalError() }
        var size = 0
        for i in 0..<4 { size |= Int(value[1 + i]) << (8 * i) }
        // LZ4 expands at most ~255 times: a larger size is corrupt, and is refused before
        // anything that size is allocated.
        guard size <= (value.count - 5) * 256 else { throw LyreError.internalError() }
        do {
            let encoded = try LZ4Block.decompress(UnsafeRawBufferPointer(rebasing: value[5...]), originalSize: size)
            return try RecordCodec.decode(encoded)
        } catch let error as LZ4BlockError {
            throw LyreError.internalError(error)
        }
    }
}

extension WriteContext {
    /// Writes `records` like `write(_:mode:to:)` and, when `audit` is given, records the write
    /// as one audit entry (the stored records, and the replaced ones unless inserting).
    package mutating func write(
        _ records: [JSONObject], mode: WriteMode, to tableName: String, audit: AuditDescriptor?
    ) throws -> RecordWriteResult {
        let result = try write(records, mode: mode, to: tableName)
        if let audit {
            try appendAudit(audit, to: tableName, hashValues: result.written, encodedRecords: result.storedEncodings,
                            originalRecords: mode == .insert ? nil : result.previous.compactMap { $0 })
        }
        return result
    }

    /// Deletes like `delete(ids:from:)` and, when `audit` is given, records the deletion as one
    /// audit entry with the deleted records as `original_records`.
    package mutating func delete(
        ids: [Value], from tableName: String, audit: AuditDescriptor?
    ) throws -> (deleted: [Value], skipped: [Value], records: [JSONObject]) {
        let result = try delete(ids: ids, from: tableName)
        if let audit {
            try appendAudit(audit, to: tableName, hashValues: result.deleted, encodedRecords: nil, originalRecords: result.records)
        }
        return result
    }

    /// Appends one audit entry for a write to `tableName` in this transaction.
    /// - Parameters:
    ///   - descriptor: the client operation and the writer's username.
    ///   - hashValues: primary keys written, in write order (nothing is logged when empty).
    ///   - records: the records as stored, in their stored encoding — copied into the entry,
    ///     not encoded again (`nil` for deletes).
    ///   - originalRecords: the records before the write (`nil` for inserts).
    /// - Returns: the entry's timestamp, or `nil` when nothing was logged.
    /// - Throws: storage failures (the whole write then fails).
    @discardableResult
    package mutating func appendAudit(
        _ descriptor: AuditDescriptor, to tableName: String, hashValues: [Value],
        encodedRecords records: [[UInt8]]?, originalRecords: [JSONObject]?
    ) throws -> Double? {
        guard !hashValues.isEmpty, var table = catalog.tables[tableName] else { return nil }
        let dbi: DBI
        if let open = table.auditLog {
            dbi = open
        } else {
            guard let opened = try transaction.openDBI(AuditKey.dbiName(tableName), create: true, dupSort: false) else {
                throw LyreError.internalError()
            }
            dbi = opened
            table.auditLog = opened
            catalog.tables[tableName] = table
        }
        var timestamp = now
        let last = try auditTimestamps[tableName]
            ?? transaction.withCursor(dbi) { cursor in try cursor.last().map { AuditKey.decode($0.key) } }
        if let last, last >= timestamp { timestamp = last + 0.001 }
        auditTimestamps[tableName] = timestamp
        let originals = originalRecords.flatMap { $0.isEmpty ? nil : $0 }
        var entry = RecordCodec.Builder(entryCount: 3 + (records == nil ? 0 : 1) + (originals == nil ? 0 : 1),
                                        capacity: 64 + (records?.reduce(0) { $0 + $1.count + 5 } ?? 0))
        entry.append("operation", .string(descriptor.operation))
        entry.append("user_name", .string(descriptor.username))
        entry.append("hash_values", .array(hashValues))
        if let records { entry.append("records", encodedRecords: records) }
        if let originals { entry.append("original_records", .array(originals.map(Value.object))) }
        _ = try transaction.put(dbi, AuditKey.encode(timestamp), AuditValue.stored(entry.bytes))
        return timestamp
    }

    /// Deletes the audit entries of `tableName` older than `timestamp` (ms).
    /// - Returns: how many entries were removed.
    package mutating func deleteAudit(of tableName: String, before timestamp: Double) throws -> Int {
        guard let table = catalog.tables[tableName] else { throw LyreError.tableNotFound(catalog.name, tableName) }
        guard let dbi = try table.auditLog ?? transaction.openDBI(AuditKey.dbiName(tableName), create: false, dupSort: false) else {
            return 0
        }
        // Keys first, then deletes: a cursor left on a deleted last entry has no "current".
        var keys: [[UInt8]] = []
        try transaction.withCursor(dbi) { cursor in
            var entry = try cursor.first()
            while let e = entry, AuditKey.decode(e.key) < timestamp {
                keys.append(Array(e.key))
                entry = try cursor.next()
            }
        }
        for key in keys { try transaction.delete(dbi, key) }
        return keys.count
    }

    /// Deletes up to `limit` of the oldest audit entries of `tableName` older than `timestamp`
    /// (ms): one bounded step of `logging.auditRetention`. - Returns: how many were removed.
    package mutating func deleteAudit(of tableName: String, before timestamp: Double, limit: Int) throws -> Int {
        guard let dbi = catalog.tables[tableName]?.auditLog else { return 0 }
        var keys: [[UInt8]] = []
        try transaction.withCursor(dbi) { cursor in
            var entry = try cursor.first()
            while let e = entry, keys.count < limit, AuditKey.decode(e.key) < timestamp {
                keys.append(Array(e.key))
                entry = try cursor.next()
            }
        }
        for key in keys { try transaction.delete(dbi, key) }
        return keys.count
    }

    /// Deletes a table's audit DBI (called by `dropTable`).
    func dropAuditLog(of tableName: String) throws {
        if let dbi = try transaction.openDBI(AuditKey.dbiName(tableName), create: false, dupSort: false) {
            try transaction.drop(dbi, delete: true)
        }
    }
}

extension WriteTransaction {
    /// The audit DBI of a table if it exists (used when the catalog is loaded).
    func openAuditLog(_ tableName: String) throws -> DBI? {
        try openDBI(AuditKey.dbiName(tableName), create: false, dupSort: false)
    }
}

extension ReadTransaction {
    /// Audit entries of a table in timestamp order, with `from <= timestamp <= to`,
    /// at most `limit`. Tables without entries give `[]`.
    package func auditEntries(of table: TableDefinition, from: Double? = nil, to: Double? = nil, limit: Int? = nil) throws -> [AuditEntry] {
        guard let dbi = table.auditLog else { return [] }
        var entries: [AuditEntry] = []
        try withCursor(dbi) { cursor in
            var entry = if let from, from > 0 { try cursor.seek(atOrAfter: AuditKey.encode(from)) } else { try cursor.first() }
            while let e = entry {
                if let limit, entries.count >= limit { return }
                let timestamp = AuditKey.decode(e.key)
                if let to, timestamp > to { return }
                entries.append(AuditEntry(timestamp: timestamp, stored: try AuditValue.decode(e.value)))
                entry = try cursor.next()
            }
        }
        return entries
    }

    /// The timestamp of a table's oldest audit entry, nil when it has none.
    package func oldestAuditTimestamp(of table: TableDefinition) throws -> Double? {
        guard let dbi = table.auditLog else { return nil }
        return try withCursor(dbi) { cursor in try cursor.first().map { AuditKey.decode($0.key) } }
    }

    /// Number of audit entries and pages used by a table's audit log.
    package func auditStatistics(of table: TableDefinition) throws -> (entries: Int, pages: Int) {
        guard let dbi = table.auditLog else { return (0, 0) }
        return (try count(dbi), try pageCount(dbi))
    }
}
