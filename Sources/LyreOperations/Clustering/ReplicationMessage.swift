import LyreCore
import LyreStorage

/// Names in NATS: stream names and subject tokens allow no `.`, `*`, `>` or whitespace, so
/// every character outside `[A-Za-z0-9]` of a node, database or table name is written
/// `_XX` (its UTF-8 bytes in hex): plain names stay readable and distinct names stay distinct.
enum NATSNames {
    static func token(_ name: String) -> String {
        var out = ""
        for byte in name.utf8 {
            if (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "_" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    /// The stream of one table's changes made on `node` (held by `node`'s JetStream).
    static func stream(node: String, database: String, table: String) -> String {
        "\(token(node))-\(token(database))-\(token(table))"
    }

    /// The subject `node` publishes one table's changes to (Harper: `txn.<db>.<table>.<node>`).
    static func subject(node: String, database: String, table: String) -> String {
        "\(token(node)).txn.\(token(database)).\(token(table))"
    }

    /// The stream of `node`'s schema changes (every database's: every node that knows
    /// `node` reads it). One `-`: a table's stream name has two, so the names never meet.
    static func schemaStream(node: String) -> String {
        "\(token(node))-schema"
    }

    /// The subject `node` publishes its schema changes to.
    static func schemaSubject(node: String) -> String {
        "\(token(node)).schema"
    }

    /// Where `node` serves full copies of its tables (`TableCopy`), apart from the other
    /// requests: its requests and replies are `RecordCodec` (exact types), not JSON.
    static func copySubject(node: String) -> String {
        "\(token(node)).__copy__"
    }

    /// Where `node` answers other nodes' requests (Harper: `<node>.__request__`).
    static func requestSubject(node: String) -> String {
        "\(token(node)).__request__"
    }
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}

/// One replicated change on the wire: a table's records written, or its keys deleted, by
/// one committed group of the origin node. Encoded with `RecordCodec` (exact types and
/// doubles, unlike JSON text); `origin` and the transaction id travel as headers.
struct ReplicationMessage: Sendable {
    var database: String
    var table: String
    var primaryKey: String
    /// The origin group's commit time (ms since the epoch).
    var timestamp: Double
    var change: CommittedChange

    /// Records the storage writer encoded already (`CommittedChange.encodedRecords`) are
    /// copied in as they are, not encoded again; the bytes are the same either way.
    func encoded() -> [UInt8] {
        var capacity = 96 + database.utf8.count + table.utf8.count
        for record in change.encodedRecords ?? [] { capacity += record.count + 5 }
        var builder = RecordCodec.Builder(entryCount: 6, capacity: capacity)
        builder.append("database", .string(database))
        builder.append("table", .string(table))
        builder.append("primary_key", .string(primaryKey))
        builder.append("timestamp", .double(timestamp))
        switch change.kind {
        case .put(let records):
            builder.append("operation", .string("put"))
            if let encoded = change.encodedRecords, encoded.count == records.count {
                builder.append("records", encodedRecords: encoded)
            } else {
                builder.append("records", .array(records.map(Value.object)))
            }
        case .delete(let ids):
            builder.append("operation", .string("delete"))
            builder.append("ids", .array(ids))
        case .schema(let change):
            builder.append("operation", .string("schema"))
            builder.append("schema", .object(change.value))
        }
        return builder.bytes
    }

    init(database: String, table: String, primaryKey: String, timestamp: Double, change: CommittedChange) {
        self.database = database
        self.table = table
        self.primaryKey = primaryKey
        self.timestamp = timestamp
        self.change = change
    }

    /// - Throws: when the bytes are not a replication message.
    init(decoding bytes: [UInt8]) throws {
        let object = try RecordCodec.decode(bytes)
        guard let database = object["database"]?.stringValue, let table = object["table"]?.stringValue,
              let timestamp = object["timestamp"]?.doubleValue, let operation = object["operation"]?.stringValue
        else { throw LyreError.internalError() }
        self.database = database
        self.table = table
        primaryKey = object["primary_key"]?.stringValue ?? "id"
        self.timestamp = timestamp
        switch operation {
        case "put": change = CommittedChange(table: table, kind: .put((object["records"]?.arrayValue ?? []).compactMap(\.objectValue)))
        case "delete": change = CommittedChange(table: table, kind: .delete(object["ids"]?.arrayValue ?? []))
        case "schema":
            guard let value = object["schema"]?.objectValue, let schema = SchemaChange(value) else { throw LyreError.internalError() }
            change = CommittedChange(table: table, kind: .schema(schema))
        default: throw LyreError.internalError()
        }
    }
}
