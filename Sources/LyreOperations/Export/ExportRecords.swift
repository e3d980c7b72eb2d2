import LyreCore
import LyreQuery
import LyreSQL
import LyreStorage

/// The records of an export's search (`export_local`, `export_to_s3`), a batch at a time,
/// each batch read in its own short read transaction, so neither the result nor a read
/// transaction is held while the export writes or uploads (docs/architecture.md, "S3").
///
/// - A search that reads the records DBI in primary-key order (`search_by_value` of `*`, a
///   `search_by_conditions` on the primary key or without an index, a one-table `SELECT`
///   without `ORDER BY`, `GROUP BY`, aggregates or `DISTINCT` over such a path) resumes
///   after the last key it visited (`ResumableScan`): memory is one batch.
/// - A NoSQL search in another order (an attribute's index, a sort) gathers its result's
///   primary keys in one read transaction (its order, offset and limit), then reads the
///   records by key in batches: memory is the keys and one batch.
/// - Anything else (`search_by_id` / `search_by_hash`, whose size the request's ids bound;
///   a `SELECT` that sorts, groups, joins or deduplicates; `explain`) runs whole through the
///   registry, as the operation itself would answer, and is handed out in batches.
///
/// Records come out exactly as the search would answer them (the same transcoding and
/// projection), so an export's bytes are those of serializing the search's answer.
struct ExportRecords {
    private enum Source {
        case whole([Value])
        case scan(PreparedSearch, QueryPlan)
        case keys(PreparedSearch, [Value])
        case rows(SelectExecutor, QueryPlan, Database)
    }

    private let source: Source
    private let offset: Int
    private let limit: Int?
    private var position = ResumableScan.Position.start
    private var index = 0
    private var skipped = 0
    private var emitted = 0
    private var sinceRelease = (bytes: 0, batches: 0)

    /// Records visited per read transaction of a scan (at most).
    static let visitsPerBatch = 2_000
    /// Records a batch of `whole` or `keys` holds.
    static let recordsPerBatch = 1_000
    /// A batch of a scan ends once its JSON reaches this size.
    static let batchBytes = 1 << 20
    /// Bytes (or batches) read between two releases of the pages the reads mapped (see "The
    /// mapped file and RSS"): a batch's records may be much larger than its JSON when a
    /// filter skipped most of them, hence the batch count too.
    static let releaseInterval = (bytes: 8 << 20, batches: 4)

    private init(_ source: Source, offset: Int = 0, limit: Int? = nil) {
        self.source = source
        self.offset = offset
        self.limit = limit
    }

    /// How the records are read: `scan` (resumed after a key), `keys` (gathered first),
    /// `rows` (SQL, resumed after a key) or `whole` (the search's answer). For tests and logs.
    var kind: String {
        switch source {
        case .whole: "whole"
        case .scan: "scan"
        case .keys: "keys"
        case .rows: "rows"
        }
    }

    /// The number of records, when known before reading them.
    var knownCount: Int? {
        switch source {
        case .whole(let values): values.count
        case .keys(_, let keys): keys.count
        case .scan, .rows: nil
        }
    }

    /// Checks and prepares `search` for `user` as the registry would run it (the same
    /// operation permission check, then the search's own validation and rights).
    /// - Throws: what the search would answer with, and `JobInterruption.shutdown`.
    static func prepare(_ search: JSONObject, app: Application, user: User, gate: StorageGate) async throws -> ExportRecords {
        guard let operation = search["operation"]?.stringValue, let name = OperationName.named(operation) else {
            throw LyreError.badRequest("search_operation.operation missing")
        }
        guard app.registry[name] != nil else { throw LyreError.operationNotSupported(operation) }
        try Authorization.checkOperation(name, body: search, user: user)
        let context = OperationContext(app: app, user: user)
        let request = Request(operation: name, body: search)
        switch name.canonical {
        case .searchByValue, .searchByConditions:
            let prepared = try gate.read {
                name.canonical == .searchByValue
                    ? try SearchOperations.prepareByValue(request, context)
                    : try SearchOperations.prepareByConditions(request, context)
            }
            guard !prepared.explain else { break }
            let plan = try gate.read { try prepared.db.read { txn in try QueryPlanner.plan(prepared.query, table: prepared.table, in: txn) } }
            if ResumableScan.supports(plan) { return ExportRecords(.scan(prepared, plan), offset: plan.offset, limit: plan.limit) }
            let keys = try gate.read {
                try prepared.db.read { txn in try QueryExecutor.primaryKeys(plan, table: prepared.table, in: txn) }
            }
            return ExportRecords(.keys(prepared, keys))
        case .sql:
            guard let executor = try SQLOperation.rowByRowSelect(search, user: user, storage: app.storage) else { break }
            let plan = try gate.read { try executor.accessPlan() }
            guard ResumableScan.supports(plan) else { break }
            return ExportRecords(.rows(executor, plan, executor.select.tables[0].database),
                                 offset: executor.select.offset, limit: executor.select.limit.map { max(0, $0) })
        default:
            break
        }
        let found = try await gate.readAsync { try await EmbeddedSearch.run(search, app: app, user: user) }
        return ExportRecords(.whole(found.arrayValue ?? [found]))
    }

    /// Back to the first record (for a second pass).
    mutating func rewind() {
        position = .start
        index = 0
        skipped = 0
        emitted = 0
    }

    /// The next batch (possibly empty, when a scan's records did not match), nil at the end.
    /// - Throws: storage and search failures, `JobInterruption.shutdown`.
    mutating func next(_ gate: StorageGate) throws -> [Value]? {
        switch source {
        case .whole(let values):
            guard index < values.count else { return nil }
            let end = min(values.count, index + Self.recordsPerBatch)
            defer { index = end }
            return Array(values[index..<end])
        case .keys(let search, let keys):
            guard index < keys.count else { return nil }
            let start = index, end = min(keys.count, index + Self.recordsPerBatch)
            let json = try gate.read {
                try search.db.read(completeIndexes: false) { txn in
                    var out: [UInt8] = [UInt8(ascii: "[")]
                    for key in keys[start..<end] {
                        guard let bytes = KeyCodec.encode(key), let record = try txn.get(search.table.records, bytes) else { continue }
                        if out.count > 1 { out.append(UInt8(ascii: ",")) }
                        try RecordCodec.writeJSON(record, attributes: search.projection.attributes, into: &out)
                    }
                    out.append(UInt8(ascii: "]"))
                    return out
                }
            }
            index = end
            try release(search.db, after: json.count, gate)
            return try JSON.parse(json).arrayValue ?? []
        case .scan(let search, let plan):
            guard position != .end else { return nil }
            var skips = self.skipped, count = self.emitted
            let offset = self.offset, limit = self.limit, from = self.position
            let (json, next) = try gate.read {
                try search.db.read { txn in
                    var out: [UInt8] = [UInt8(ascii: "[")]
                    var first = true
                    let next = try ResumableScan.run(plan, table: search.table, in: txn, from: from,
                                                     visits: Self.visitsPerBatch) { _, record in
                        if skips < offset {
                            skips += 1
                            return true
                        }
                        if let limit, count >= limit { return false }
                        if !first { out.append(UInt8(ascii: ",")) }
                        first = false
                        try RecordCodec.writeJSON(record, attributes: search.projection.attributes, into: &out)
                        count += 1
                        return out.count < Self.batchBytes
                    }
                    out.append(UInt8(ascii: "]"))
                    return (out, next)
                }
            }
            skipped = skips
            emitted = count
            position = limit.map { count >= $0 } == true ? .end : next
            try release(search.db, after: json.count, gate)
            return try JSON.parse(json).arrayValue ?? []
        case .rows(let executor, let plan, let db):
            guard position != .end else { return nil }
            let from = position
            let (rows, next) = try gate.read { try executor.rows(plan, from: from, visits: Self.visitsPerBatch) }
            var batch: [Value] = []
            batch.reserveCapacity(rows.count)
            for row in rows {
                if skipped < offset {
                    skipped += 1
                    continue
                }
                if let limit, emitted >= limit { break }
                emitted += 1
                batch.append(.object(row))
            }
            position = limit.map { emitted >= $0 } == true ? .end : next
            try release(db, after: 0, gate)
            return batch
        }
    }

    /// Drops the page-table entries the batches' reads left (every `releaseInterval`), outside
    /// any read transaction: a scan of the whole table would otherwise keep every page it
    /// touched mapped (and counted in the RSS) while the export runs.
    private mutating func release(_ db: Database, after bytes: Int, _ gate: StorageGate) throws {
        sinceRelease.bytes += bytes
        sinceRelease.batches += 1
        guard sinceRelease.bytes >= Self.releaseInterval.bytes || sinceRelease.batches >= Self.releaseInterval.batches else { return }
        sinceRelease = (0, 0)
        _ = try gate.read { db.releaseMappedPages() }
    }
}
