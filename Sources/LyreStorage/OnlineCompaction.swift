internal import CLMDB
import Foundation
import LyreCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The names of an environment's open DBI handles, kept as the writer opens them: an online
/// compaction opens the same names at the same handles in the compacted file, and its
/// journal names the DBIs its changes went to.
final class DBINames: Sendable {
    private let names = Mutex<[MDB_dbi: String]>([:])

    func opened(_ dbi: DBI, _ name: String) { names.withLock { $0[dbi.raw] = name } }
    func dropped(_ dbi: DBI) { _ = names.withLock { $0.removeValue(forKey: dbi.raw) } }
    func name(of dbi: DBI) -> String? { names.withLock { $0[dbi.raw] } }
    /// Every (handle, name), by handle.
    var all: [(handle: MDB_dbi, name: String)] { names.withLock { $0.map { ($0.key, $0.value) } }.sorted { $0.handle < $1.handle } }
}

/// The changes of one write transaction while an online compaction copies the file,
/// by DBI name. Kept only if the transaction commits.
final class TransactionJournal: @unchecked Sendable {
    // @unchecked: used by the writer thread only (one transaction at a time), then handed to
    // the compaction's journal under its lock.
    enum Change {
        case put(String, [UInt8], [UInt8])
        case delete(String, [UInt8])
        case drop(String, delete: Bool)
    }

    let names: DBINames
    private(set) var changes: [Change] = []
    private(set) var bytes = 0
    /// A change to a DBI whose name is unknown: the compaction cannot replay it.
    private(set) var unreplayable = false

    init(names: DBINames) { self.names = names }

    func put(_ dbi: DBI, _ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) {
        guard let name = names.name(of: dbi) else { unreplayable = true; return }
        changes.append(.put(name, Array(key), Array(value)))
        bytes += key.count + value.count + 32
    }

    func delete(_ dbi: DBI, _ key: UnsafeRawBufferPointer) {
        guard let name = names.name(of: dbi) else { unreplayable = true; return }
        changes.append(.delete(name, Array(key)))
        bytes += key.count + 32
    }

    func drop(_ dbi: DBI, delete: Bool) {
        guard let name = names.name(of: dbi) else { unreplayable = true; return }
        changes.append(.drop(name, delete: delete))
        bytes += 32
    }
}

/// The committed changes since an online compaction began copying, in commit order.
final class CompactionJournal: Sendable {
    private struct State {
        var changes: [TransactionJournal.Change] = []
        var bytes = 0
        var unreplayable = false
    }
    private let state = Mutex(State())
    /// More than this in memory and the compaction gives up (the copy took too long for the writes).
    static let maximumBytes = 512 << 20

    func append(_ journal: TransactionJournal) {
        state.withLock { s in
            if journal.unreplayable { s.unreplayable = true }
            guard !s.unreplayable, s.bytes <= Self.maximumBytes else { return }
            s.changes += journal.changes
            s.bytes += journal.bytes
        }
    }

    /// The changes, or nil when they cannot be replayed (an unknown DBI, or too many).
    func take() -> [TransactionJournal.Change]? {
        state.withLock { s in s.unreplayable || s.bytes > Self.maximumBytes ? nil : s.changes }
    }

    var bytes: Int { state.withLock { $0.bytes } }
}

/// Why an online compaction stopped without changing anything.
package struct CompactionAborted: Error, Sendable, CustomStringConvertible {
    package let reason: String
    package var description: String { reason }
}

extension Environment {
    /// Opens, in a write transaction of this (freshly opened, compacted) environment, the DBIs
    /// of `slots` at the same handles as in the environment they were copied from, then
    /// replays `changes` (committed there since the copy began). Handles LMDB assigns in
    /// order, lowest free first, so a gap is held by a placeholder DBI that is deleted
    /// before the commit. - Throws: `CompactionAborted` when a handle cannot be matched.
    func replay(slots: [(handle: MDB_dbi, name: String)], changes: [TransactionJournal.Change]) throws {
        var pointer: OpaquePointer?
        try check(mdb_txn_begin(env, nil, 0, &pointer), "mdb_txn_begin")
        guard let txn = pointer else { throw CompactionAborted(reason: "no transaction") }
        let transaction = WriteTransaction(txn: txn, names: dbiNames)
        do {
            var placeholders: [DBI] = []
            for slot in slots {
                while true {
                    // The first free handle: a placeholder until the slot's own is reached.
                    let probe = "__compaction/\(placeholders.count)"
                    if let next = nextFreeHandle(), next >= slot.handle { break }
                    guard let dbi = try transaction.openDBI(probe, create: true, dupSort: false) else {
                        throw CompactionAborted(reason: "placeholder DBI")
                    }
                    placeholders.append(dbi)
                }
                guard let dbi = try transaction.openDBI(slot.name, create: true, dupSort: false), dbi.raw == slot.handle else {
                    throw CompactionAborted(reason: "DBI '\(slot.name)' did not get handle \(slot.handle)")
                }
            }
            for change in changes {
                switch change {
                case .put(let name, let key, let value):
                    guard let dbi = try transaction.openDBI(name, create: true, dupSort: false) else { continue }
                    _ = try transaction.put(dbi, key, value)
                case .delete(let name, let key):
                    guard let dbi = try transaction.openDBI(name, create: false, dupSort: false) else { continue }
                    try transaction.delete(dbi, key)
                case .drop(let name, let delete):
                    guard let dbi = try transaction.openDBI(name, create: false, dupSort: false) else { continue }
                    try transaction.drop(dbi, delete: delete)
                }
            }
            for slot in slots {
                guard let dbi = try transaction.openDBI(slot.name, create: false, dupSort: false), dbi.raw == slot.handle else {
                    throw CompactionAborted(reason: "DBI '\(slot.name)' moved from handle \(slot.handle) during the compaction")
                }
            }
            for dbi in placeholders { try transaction.drop(dbi, delete: true) }
            try check(mdb_txn_commit(txn), "mdb_txn_commit")
        } catch {
            mdb_txn_abort(txn)
            throw error
        }
    }

    /// The handle the next `mdb_dbi_open` of a new name gets (lowest unused), found by
    /// asking LMDB for the count of handles in use: `mdb_dbi_open` assigns sequentially in
    /// a freshly opened environment with no handle closed, which is what `replay` runs on.
    private func nextFreeHandle() -> MDB_dbi? {
        dbiNames.all.last.map { $0.handle + 1 } ?? 2
    }
}
