internal import CLMDB
package import Dispatch
import Foundation
import LyreCore
import Synchronization

/// Index changes of small writes, kept in a backlog and written to the tables' index DBIs
/// in large batches.
///
/// Why: a group commit of single-record inserts adds one entry per indexed attribute, and
/// for attributes with many values those entries land on as many different index leaves
/// (a group of ~25 records with values spread over 20 and 90 values dirtied ~50 leaves).
/// Each dirty leaf is one scattered page to write and sync: that, not the records, set the
/// rate of durable small writes. The backlog is one append-only DBI of the same
/// environment (`__index_backlog`, key = sequence number, value = one group's changes per
/// table), so a group's index changes cost one or two pages; once it holds
/// `IndexBacklog.limit` changes they are applied together, sorted, and each index leaf is
/// written once for many entries (docs/architecture.md, "The index backlog").
///
/// The backlog is written in the same transaction as the records, so it is exactly as
/// durable as they are; nothing is recovered at start: it is applied when next needed.
/// Readers never see it: `Database.read` checks its snapshot and, when the backlog is not
/// empty, has the writer apply it (and write indexes directly for a while) before reading
/// (`IndexReadSignal`). Changes inside the writer that read or replace whole indexes (drop
/// a table or an attribute) apply it first.
///
/// Value layout: `name length (2, big-endian) · table name · changes`, each change
/// `kind (1: put, 2: delete) · entry length (2) · primary-key length (2) · entry`
/// (the entry as `TableIndex` stores it: value key · primary key).
package enum IndexBacklog {
    static let dbiName = "__index_backlog"
    /// Changes kept before they are applied in one batch.
    package static let limit = 16384
    /// A group that reaches this many changes writes them (and the backlog) directly, from
    /// then on: they already share leaves, and storing them twice would only cost (bulk loads).
    package static let largeGroup = 1024
    /// A quiet writer applies a non-empty backlog after this long without jobs, so an idle
    /// database settles with its indexes complete.
    package static let idleDelay = DispatchTimeInterval.milliseconds(50)

    enum Kind: UInt8 {
        case put = 1
        case delete = 2
    }

    /// Entries (groups' change lists) of the backlog DBI in the snapshot of `txn`.
    static func entries(_ dbi: DBI, in txn: OpaquePointer) -> Int {
        var stat = MDB_stat()
        guard mdb_stat(txn, dbi.raw, &stat) == 0 else { return 0 }
        return Int(stat.ms_entries)
    }

    /// Opens (creating) the backlog DBI and reads its state.
    static func load(_ transaction: WriteTransaction) throws -> IndexBacklogState {
        guard let dbi = try transaction.openDBI(dbiName, create: true, dupSort: false) else {
            throw LyreError.internalError()
        }
        var state = IndexBacklogState(dbi: dbi)
        var changes = IndexChanges()
        try transaction.withCursor(dbi) { cursor in
            var entry = try cursor.first()
            while let e = entry {
                try decode(e.value, into: &changes)
                state.nextSequence = e.key.reduce(0) { $0 << 8 | UInt64($1) } &+ 1
                entry = try cursor.next()
            }
        }
        state.count = changes.count
        return state
    }

    /// Decodes one backlog value into `changes`.
    static func decode(_ value: UnsafeRawBufferPointer, into changes: inout IndexChanges) throws {
        guard value.count >= 2 else { throw LyreError.internalError(BacklogCorrupt()) }
        let nameLength = Int(value[0]) << 8 | Int(value[1])
        guard value.count >= 2 + nameLength else { throw LyreError.internalError(BacklogCorrupt()) }
        let table = String(decoding: UnsafeRawBufferPointer(rebasing: value[2..<(2 + nameLength)]), as: UTF8.self)
        var i = 2 + nameLength
        while i < value.count {
            guard i + 5 <= value.count, let kind = Kind(rawValue: value[i]) else { throw LyreError.internalError(BacklogCorrupt()) }
            let length = Int(value[i + 1]) << 8 | Int(value[i + 2])
            let primaryKeyLength = Int(value[i + 3]) << 8 | Int(value[i + 4])
            i += 5
            guard i + length <= value.count, primaryKeyLength <= length else { throw LyreError.internalError(BacklogCorrupt()) }
            changes.add(kind, table: table, entry: UnsafeRawBufferPointer(rebasing: value[i..<(i + length)]),
                        primaryKeyLength: primaryKeyLength)
            i += length
        }
    }
}

struct BacklogCorrupt: Error, Sendable, CustomStringConvertible {
    var description: String { "the index backlog is unreadable" }
}

/// The state of a database's index backlog as of one commit (part of `DatabaseCatalog`).
package struct IndexBacklogState: Sendable {
    /// The backlog DBI.
    var dbi: DBI
    /// Changes it holds.
    package var count = 0
    /// Key of its next value.
    var nextSequence: UInt64 = 0
}

/// Index changes in the order they were made: entries in one byte buffer, each change
/// naming its table by position in `tableNames`.
struct IndexChanges {
    struct Change {
        var table: Int
        var kind: IndexBacklog.Kind
        var offset: Int
        var length: Int
        var primaryKeyLength: Int
    }

    private(set) var bytes: [UInt8] = []
    private(set) var changes: [Change] = []
    private(set) var tableNames: [String] = []

    var count: Int { changes.count }
    var isEmpty: Bool { changes.isEmpty }

    mutating func add(_ kind: IndexBacklog.Kind, table: String, entry: UnsafeRawBufferPointer, primaryKeyLength: Int) {
        let t: Int
        if let last = tableNames.indices.last, tableNames[last] == table {
            t = last
        } else if let i = tableNames.firstIndex(of: table) {
            t = i
        } else {
            t = tableNames.count
            tableNames.append(table)
        }
        changes.append(Change(table: t, kind: kind, offset: bytes.count, length: entry.count, primaryKeyLength: primaryKeyLength))
        bytes.append(contentsOf: entry)
    }

    /// The backlog value holding the changes of `tableNames[table]`, in order.
    func value(ofTable table: Int) -> [UInt8] {
        let name = Array(tableNames[table].utf8)
        var out = [UInt8(name.count >> 8), UInt8(name.count & 0xFF)] + name
        for c in changes where c.table == table {
            out.append(c.kind.rawValue)
            out.append(UInt8(c.length >> 8))
            out.append(UInt8(c.length & 0xFF))
            out.append(UInt8(c.primaryKeyLength >> 8))
            out.append(UInt8(c.primaryKeyLength & 0xFF))
            out.append(contentsOf: bytes[c.offset..<(c.offset + c.length)])
        }
        return out
    }

    /// Appends every change of `other`, in order.
    mutating func append(_ other: IndexChanges) {
        other.bytes.withUnsafeBytes { raw in
            for c in other.changes {
                add(c.kind, table: other.tableNames[c.table],
                    entry: UnsafeRawBufferPointer(rebasing: raw[c.offset..<(c.offset + c.length)]),
                    primaryKeyLength: c.primaryKeyLength)
            }
        }
    }

    /// Calls `body` with every change grouped by table and sorted by (entry, order made):
    /// each index leaf is then visited once, and a put and a delete of one entry keep their order.
    func forEachSorted(_ body: (String, IndexBacklog.Kind, UnsafeRawBufferPointer, Int) throws -> Void) rethrows {
        try bytes.withUnsafeBytes { raw in
            let base = raw.baseAddress
            var order = Array(changes.indices)
            order.sort { i, j in
                let a = changes[i], b = changes[j]
                if a.table != b.table { return a.table < b.table }
                let c = memcmp(base! + a.offset, base! + b.offset, min(a.length, b.length))
                if c != 0 { return c < 0 }
                if a.length != b.length { return a.length < b.length }
                return i < j
            }
            for i in order {
                let c = changes[i]
                try body(tableNames[c.table], c.kind, UnsafeRawBufferPointer(rebasing: raw[c.offset..<(c.offset + c.length)]),
                         c.primaryKeyLength)
            }
        }
    }
}

/// Tells the writer of one database that its indexes are being read: while they are, index
/// changes are written directly (a backlog would only be applied again for each read).
final class IndexReadSignal: Sendable {
    /// Uptime (ms) until which the writer writes indexes directly.
    private let directUntil = Atomic<UInt64>(0)
    /// How long one read keeps the writer writing indexes directly.
    static let directPeriod: UInt64 = 1000

    static func uptimeMilliseconds() -> UInt64 { DispatchTime.now().uptimeNanoseconds / 1_000_000 }

    func indexesRead() {
        directUntil.store(Self.uptimeMilliseconds() + Self.directPeriod, ordering: .releasing)
    }

    /// Whether a group starting now may defer its index changes.
    var mayDefer: Bool { Self.uptimeMilliseconds() >= directUntil.load(ordering: .acquiring) }
}

extension WriteContext {
    // MARK: Index changes

    /// Adds (`put`) or removes an index entry of `table`: into this group's deferred
    /// changes while it defers them, else directly (after the backlog, to keep the order).
    func changeIndex(_ kind: IndexBacklog.Kind, of table: TableDefinition, entry: UnsafeRawBufferPointer, primaryKeyLength: Int) throws {
        if indexState.defers {
            indexState.changes.add(kind, table: table.name, entry: entry, primaryKeyLength: primaryKeyLength)
            if indexState.changes.count >= IndexBacklog.largeGroup { try writeIndexesDirectly() }
            return
        }
        try applyIndexBacklog()
        try transaction.changeIndexEntry(kind, table.index, entry, primaryKeyLength: primaryKeyLength)
    }

    func changeIndex(_ kind: IndexBacklog.Kind, of table: TableDefinition, valueKey: [UInt8], primaryKey: [UInt8]) throws {
        try (valueKey + primaryKey).withUnsafeBytes {
            try changeIndex(kind, of: table, entry: $0, primaryKeyLength: primaryKey.count)
        }
    }

    /// Applies the backlog and this group's deferred changes now, and writes index changes
    /// directly for the rest of the group. Called before anything reads or replaces a
    /// whole index, and by readers that found a backlog.
    package func writeIndexesDirectly() throws {
        indexState.defers = false
        try applyIndexBacklog()
    }

    /// Writes every pending index change (the stored backlog, then this group's), sorted
    /// by entry so that each index leaf is visited once, and empties the backlog.
    func applyIndexBacklog() throws {
        let backlog = indexState.backlog
        guard backlog.count > 0 || !indexState.changes.isEmpty else { return }
        var all = IndexChanges()
        if backlog.count > 0 {
            try transaction.withCursor(backlog.dbi) { cursor in
                var entry = try cursor.first()
                while let e = entry {
                    try IndexBacklog.decode(e.value, into: &all)
                    entry = try cursor.next()
                }
            }
            try transaction.drop(backlog.dbi, delete: false)
            indexState.backlog.count = 0
        }
        all.append(indexState.changes)
        indexState.changes = IndexChanges()
        try all.forEachSorted { tableName, kind, entry, primaryKeyLength in
            // A table dropped since is not in the catalog; its changes went with it.
            guard let table = catalog.tables[tableName] else { return }
            try transaction.changeIndexEntry(kind, table.index, entry, primaryKeyLength: primaryKeyLength)
        }
    }

    /// At the end of the group: stores this group's deferred changes in the backlog, or
    /// applies everything once the backlog is full.
    mutating func finishIndexChanges() throws {
        if !indexState.changes.isEmpty {
            if indexState.backlog.count + indexState.changes.count >= IndexBacklog.limit {
                try applyIndexBacklog()
            } else {
                for table in indexState.changes.tableNames.indices {
                    var key: [UInt8] = []
                    withUnsafeBytes(of: indexState.backlog.nextSequence.bigEndian) { key.append(contentsOf: $0) }
                    _ = try transaction.put(indexState.backlog.dbi, key, indexState.changes.value(ofTable: table), append: true)
                    indexState.backlog.nextSequence &+= 1
                }
                indexState.backlog.count += indexState.changes.count
                indexState.changes = IndexChanges()
            }
        }
        catalog.indexBacklog = indexState.backlog
    }
}

/// The index-change state of one write group (a reference, so that the non-mutating
/// record writers can defer changes).
final class IndexChangeState {
    /// Whether this group defers index changes to the backlog.
    var defers: Bool
    /// The stored backlog.
    var backlog: IndexBacklogState
    var changes = IndexChanges()

    init(defers: Bool, backlog: IndexBacklogState) {
        self.defers = defers
        self.backlog = backlog
    }
}

extension WriteTransaction {
    /// Adds or removes one index entry in `dbi`.
    func changeIndexEntry(_ kind: IndexBacklog.Kind, _ dbi: DBI, _ entry: UnsafeRawBufferPointer, primaryKeyLength: Int) throws {
        switch kind {
        case .put: try putIndexEntry(dbi, entry, primaryKeyLength: primaryKeyLength)
        case .delete: try deleteIndexEntry(dbi, entry)
        }
    }
}
