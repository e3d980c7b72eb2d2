import LyreCore

/// What a database keeps about itself for replication in its `__meta` DBI, beside the
/// tables' last writes (`updated:`) and the replication positions (`replicated:`):
/// - `created`: when the database was created (8 big-endian bytes of the double, ms). A file
///   written before it was kept has none (`DatabaseCatalog.replicationCreatedTime`).
/// - `schema-copied:<peer>`: this database's part of `peer`'s schema (its tables and markers)
///   has been copied here (`SchemaCopy`); a database this node begins to take later (a new
///   subscription to one of its tables) lacks it, and gets a copy of that part then.
/// Both live in the database's own file, so a drop (which deletes the file) forgets them.
extension WriteContext {
    static let createdKey = "created"

    private static func schemaCopiedKey(_ peer: String) -> [UInt8] { Array("schema-copied:".utf8) + Array(peer.utf8) }

    /// Keeps `time` as the database's creation time.
    mutating func noteDatabaseCreated(at time: Double) throws {
        _ = try transaction.put(metaDBI(), Array(Self.createdKey.utf8), DropMarkers.encode(time))
        catalog.createdTime = time
    }

    /// Forgets the creation time, as in a file written before it was kept (tests).
    mutating func forgetDatabaseCreated() throws {
        _ = try transaction.delete(metaDBI(), Array(Self.createdKey.utf8))
        catalog.createdTime = nil
    }

    func isSchemaCopied(from peer: String) throws -> Bool {
        try transaction.get(metaDBI(), Self.schemaCopiedKey(peer)) != nil
    }

    func noteSchemaCopied(from peer: String) throws {
        _ = try transaction.put(metaDBI(), Self.schemaCopiedKey(peer), [1])
    }
}

extension Database {
    /// Keeps `time` (ms) as the database's creation time (blocking).
    package func noteCreated(at time: Double? = nil) throws {
        try writeSync { ctx in try ctx.noteDatabaseCreated(at: time ?? ctx.now) }
    }

    /// Whether this database's part of `peer`'s schema was copied here (blocking).
    package func isSchemaCopied(from peer: String) throws -> Bool {
        try writeSync { ctx in try ctx.isSchemaCopied(from: peer) }
    }

    /// Notes that this database's part of `peer`'s schema was copied here (blocking).
    package func noteSchemaCopied(from peer: String) throws {
        try writeSync { ctx in try ctx.noteSchemaCopied(from: peer) }
    }
}
