import Dispatch
import LyreCore
package import LyreStorage

/// `storage.compactAfterLoadRows` (Lyre's own, docs/compatibility.md): a bulk load that made
/// up most of its database is followed by a compaction of that database, in the background.
///
/// Why: a load's index entries land in thousands of gaps between the entries already there,
/// and LMDB splits a full leaf in the middle, so a loaded index ends about half full
/// (docs/architecture.md, "Bytes per record"). Compaction rebuilds the file with full leaves
/// (`Database.compact`) while reads and writes go on: 1M rows, 847 MiB → 524 MiB in 1.6 s
/// (Benchmarks/README.md). It rewrites the whole file, so it runs only when the load wrote at
/// least half of the database's records: its cost is then at most about twice the load's own
/// data, however large the database is.
///
/// The job is `COMPLETE` when its records are written, as before; the compaction follows it
/// on a thread of its own (a compaction already running, or shutdown, ends it with nothing
/// changed, logged).
package enum LoadCompaction {
    /// Whether a load that wrote `rows` records into `db` is followed by a compaction.
    package static func warranted(rows: Int, minimumRows: Int, db: Database) -> Bool {
        guard minimumRows > 0, rows >= minimumRows else { return false }
        guard let total = try? db.read(completeIndexes: false, { txn in
            try db.catalog.tables.values.reduce(0) { $0 + (try txn.count($1.records)) }
        }) else { return false }
        return rows >= total - rows
    }

    /// Compacts `database` in the background when `warranted`.
    static func afterLoad(_ app: Application, database: String, rows: Int) {
        guard let db = app.storage.database(database),
              warranted(rows: rows, minimumRows: app.configuration.compactAfterLoadRows, db: db) else { return }
        let logger = app.logger
        DispatchQueue.global(qos: .utility).async {
            do {
                let (before, after) = try db.compact()
                logger.notice("storage.compactAfterLoadRows: database '\(database)' compacted after a load of \(rows) records, from \(before) to \(after) bytes")
            } catch {
                logger.warning("storage.compactAfterLoadRows: database '\(database)' not compacted after a load of \(rows) records: \(error)")
            }
        }
    }
}
