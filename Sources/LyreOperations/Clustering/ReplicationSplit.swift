import LyreCore
import LyreStorage

/// A replication message cut to fit NATS's `max_payload`, the largest message a server
/// accepts (nats.c refuses a larger publish before sending it, every time: a message over it
/// held back everything the publisher had queued after it, forever).
///
/// A message that fits is sent whole, under its usual id. Otherwise its records (or deleted
/// keys) go in consecutive parts, each under the limit and each id suffixed with the range it
/// holds (`-<start>-<end>`), so a part sent again after a failure or a restart is the same
/// message under the same id; a `create_table` goes in pieces of its attributes, those after
/// the first marked `continued`, as a schema copy splits a definition (`SchemaCopy`). Every
/// part applies on its own: records and deletes by last-writer-wins, pieces as a
/// `create_table` received does. A single record (or key, or attribute) larger than the limit
/// by itself cannot be sent at all: it is left out and named in `refused`, and the rest goes.
struct ReplicationSplit {
    /// One message to publish; `idSuffix` is appended to the message's id ("" when whole).
    struct Part {
        var message: ReplicationMessage
        var bytes: [UInt8]
        var idSuffix: String
    }

    /// What was left out, alone larger than the limit.
    struct Refused: Equatable {
        var description: String
        var bytes: Int
    }

    private(set) var parts: [Part] = []
    private(set) var refused: [Refused] = []

    /// Bytes an array element may take beyond its own encoding (a tag and a length).
    static let elementOverhead = 16

    /// - Parameter limit: the most bytes a part's data may have (the server's `max_payload`
    ///   less room for the headers).
    init(_ message: ReplicationMessage, limit: Int) {
        let whole = message.encoded()
        guard whole.count > limit else {
            parts = [Part(message: message, bytes: whole, idSuffix: "")]
            return
        }
        let place = "\(message.database).\(message.table)"
        switch message.change.kind {
        case .put(let records):
            let encoded = message.change.encodedRecords.flatMap { $0.count == records.count ? $0 : nil }
            let sizes = records.indices.map { encoded?[$0].count ?? RecordCodec.encode(records[$0]).count }
            cut(message, sizes: sizes, limit: limit,
                describe: { "record \(records[$0][message.primaryKey].map { JSON.string($0) } ?? "#\($0)") of \(place)" }) { start, end in
                CommittedChange(table: message.change.table, kind: .put(Array(records[start..<end])),
                                encodedRecords: encoded.map { Array($0[start..<end]) })
            }
        case .delete(let ids):
            cut(message, sizes: ids.map { RecordCodec.encode(JSONObject([("k", $0)])).count }, limit: limit,
                describe: { "the deletion of \(JSON.string(ids[$0])) of \(place)" }) { start, end in
                CommittedChange(table: message.change.table, kind: .delete(Array(ids[start..<end])))
            }
        case .schema(.createTable(let definition)):
            let attributes = definition["attributes"]?.arrayValue ?? []
            cut(message, sizes: attributes.map { RecordCodec.encode(JSONObject([("a", $0)])).count }, limit: limit,
                describe: { "attribute \(attributes[$0]["name"]?.stringValue ?? "#\($0)") of \(place)'s definition" }) { start, end in
                var piece = definition
                piece["attributes"] = .array(Array(attributes[start..<end]))
                if start > 0 { piece["continued"] = .bool(true) }
                return CommittedChange(table: message.change.table, kind: .schema(.createTable(piece)))
            }
        case .schema(let change):
            // Names and times only: never near a limit of at least 1 MiB; said if it were.
            refused = [Refused(description: "schema change \(change.value["op"]?.stringValue ?? "?") of \(place)", bytes: whole.count)]
        }
    }

    /// Parts of consecutive elements (`sizes`: each one's encoded bytes), each part as large
    /// as fits; an element too large alone goes to `refused`.
    private mutating func cut(_ message: ReplicationMessage, sizes: [Int], limit: Int, describe: (Int) -> String,
                              change: (Int, Int) -> CommittedChange) {
        var empty = message
        empty.change = change(0, 0)
        let room = limit - empty.encoded().count
        var start = 0
        while start < sizes.count {
            var end = start
            var used = 0
            while end < sizes.count, used + sizes[end] + Self.elementOverhead <= room {
                used += sizes[end] + Self.elementOverhead
                end += 1
            }
            if end == start {
                refused.append(Refused(description: describe(start), bytes: sizes[start]))
                start += 1
                continue
            }
            var part = message
            part.change = change(start, end)
            parts.append(Part(message: part, bytes: part.encoded(), idSuffix: "-\(start)-\(end)"))
            start = end
        }
    }
}
