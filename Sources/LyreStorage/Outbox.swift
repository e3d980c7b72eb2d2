import LyreCore

/// Committed changes waiting to be handed on (replication's publisher): one entry per group,
/// written in the group's own transaction, removed once acknowledged. DBI `__outbox`; key:
/// 8 big-endian bytes, the group's commit time in µs or one more than the last key (unique
/// and increasing, also across restarts); value: the group (`RecordCodec`).
enum Outbox {
    static let dbiName = "__outbox"

    /// Records the writer encoded already (`CommittedChange.encodedRecords`) are copied in as
    /// they are, not encoded again on the writer thread; the bytes are the same either way.
    static func encode(_ changes: [CommittedChange], timestamp: Double) -> [UInt8] {
        var capacity = 64
        for change in changes {
            capacity += 32
            for record in change.encodedRecords ?? [] { capacity += record.count + 5 }
        }
        var builder = RecordCodec.Builder(entryCount: 2, capacity: capacity)
        builder.append("timestamp", .double(timestamp))
        builder.appendKey("changes")
        let array = builder.openArray(count: changes.count)
        for change in changes {
            let entry = builder.openObject(count: 2)
            builder.append("table", .string(change.table))
            switch change.kind {
            case .put(let records):
                builder.appendKey("put")
                if let encoded = change.encodedRecords, encoded.count == records.count {
                    builder.appendArray(ofEncodedRecords: encoded)
                } else {
                    builder.appendValue(.array(records.map(Value.object)))
                }
            case .delete(let ids): builder.append("delete", .array(ids))
            case .schema(let change): builder.append("schema", .object(change.value))
            }
            builder.close(entry)
        }
        builder.close(array)
        return builder.bytes
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, database: String, key: UInt64) throws -> CommittedGroup {
        let object = try RecordCodec.decode(bytes)
        let changes = (object["changes"]?.arrayValue ?? []).compactMap { value -> CommittedChange? in
            guard let entry = value.objectValue, let table = entry["table"]?.stringValue else { return nil }
            if let records = entry["put"]?.arrayValue { return CommittedChange(table: table, kind: .put(records.compactMap(\.objectValue))) }
            if let ids = entry["delete"]?.arrayValue { return CommittedChange(table: table, kind: .delete(ids)) }
            if let schema = entry["schema"]?.objectValue, let change = SchemaChange(schema) {
                return CommittedChange(table: table, kind: .schema(change))
            }
            return nil
        }
        return CommittedGroup(database: database, timestamp: object["timestamp"]?.doubleValue ?? 0, changes: changes, outboxKey: key)
    }

    static func key(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }

    static func value(of key: UnsafeRawBufferPointer) -> UInt64 {
        var v: UInt64 = 0
        for b in key.prefix(8) { v = v << 8 | UInt64(b) }
        return v
    }
}

extension WriteContext {
    private func outboxDBI() throws -> DBI {
        guard let dbi = try transaction.openDBI(Outbox.dbiName, create: true, dupSort: false) else { throw LyreError.internalError() }
        return dbi
    }

    /// Writes this group's `changes` to the outbox; returns their key.
    mutating func keepInOutbox(_ changes: [CommittedChange]) throws -> UInt64 {
        let dbi = try outboxDBI()
        let last = try transaction.withCursor(dbi) { try $0.last().map { Outbox.value(of: $0.key) } } ?? 0
        let key = max(last + 1, UInt64(max(0, now * 1000)))
        _ = try transaction.put(dbi, Outbox.key(key), Outbox.encode(changes, timestamp: now))
        return key
    }

    /// Removes the outbox's entries with keys up to `key`.
    package mutating func removeOutbox(upTo key: UInt64) throws {
        let dbi = try outboxDBI()
        let keys = try transaction.withCursor(dbi) { cursor in
            var keys: [[UInt8]] = []
            var entry = try cursor.first()
            while let e = entry, Outbox.value(of: e.key) <= key {
                keys.append(Array(e.key))
                entry = try cursor.next()
            }
            return keys
        }
        for k in keys { _ = try transaction.delete(dbi, k) }
    }

    /// Every group in the outbox, oldest first.
    package func outboxGroups() throws -> [CommittedGroup] {
        let dbi = try outboxDBI()
        let database = catalog.name
        return try transaction.withCursor(dbi) { cursor in
            var groups: [CommittedGroup] = []
            var entry = try cursor.first()
            while let e = entry {
                groups.append(try Outbox.decode(e.value, database: database, key: Outbox.value(of: e.key)))
                entry = try cursor.next()
            }
            return groups
        }
    }
}
