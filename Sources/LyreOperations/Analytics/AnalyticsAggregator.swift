import Foundation
import Logging
import LyreCore
import LyreMetrics
import LyreQuery
import LyreStorage
import Synchronization

/// Writes one analytics sample of every builtin metric into `system.hdb_analytics` every
/// `analytics.aggregatePeriod` seconds, and deletes records older than
/// `analytics.retention` right after, at most ``deleteBatch`` × ``deleteBatchesPerPeriod``
/// records a period (one write transaction per batch), so the table stays bounded and no
/// single write holds the system database's writer for long.
///
/// Samples are aggregated in memory (per-operation counters in `ServerMetrics`, process and
/// storage figures read at the end of each period), so Lyre keeps no per-second
/// `hdb_raw_analytics` table (docs/compatibility.md).
///
/// A record's `id` is its time in milliseconds since 1970 (fractions keep the records of one
/// period apart), so `start_time`/`end_time` and retention are primary-key ranges.
final class AnalyticsAggregator: Sendable {
    static let table = "hdb_analytics"
    /// Builtin metric names (`list_metrics`).
    static let builtinMetrics = ["resource-usage", "table-size", "database-size", "utilization", "storage-volume",
                                 "duration", "success"]
    static let deleteBatch = 1000
    static let deleteBatchesPerPeriod = 20
    /// Records written per period at most (tables beyond it are left out of `table-size`).
    static let maximumRecordsPerPeriod = 1000

    private let storage: StorageEngine
    /// The per-operation periods (empty while `metrics.enabled` is off: nothing is recorded).
    private let metrics: ServerMetrics
    private let logger: Logger
    /// The running loop and the period and retention it was started with.
    private let task = Mutex<(task: Task<Void, Never>, period: Double, retention: Duration)?>(nil)
    /// The previous period's end: when and how much CPU time the process had used.
    private let previous = Mutex<(time: ContinuousClock.Instant, cpuSeconds: Double)?>(nil)

    init(storage: StorageEngine, metrics: ServerMetrics, logger: Logger) {
        self.storage = storage
        self.metrics = metrics
        self.logger = logger
    }

    /// Aggregates every `period` seconds from now on, keeping `retention`: starts the loop,
    /// or replaces a running one whose period or retention differ (`restart`); an unchanged
    /// loop keeps its rhythm.
    func schedule(period: Double, retention: Duration) {
        task.withLock { running in
            if let running, running.period == period, running.retention == retention { return }
            running?.task.cancel()
            if running == nil { previous.withLock { $0 = (.now, ProcessUsage.current().cpuSeconds) } }
            let started = Task.detached { [self] in
                while !Task.isCancelled {
                    do { try await Task.sleep(for: .seconds(period)) } catch { return }
                    await aggregate(retention: retention)
                }
            }
            running = (started, period, retention)
        }
    }

    func stop() {
        task.withLock { running in
            running?.task.cancel()
            running = nil
        }
    }

    /// One period: write the samples, then delete what retention no longer keeps.
    func aggregate(retention: Duration, now: Double = Date().timeIntervalSince1970 * 1000) async {
        guard let system = storage.database(StorageEngine.systemDatabase), system.table(Self.table) != nil else { return }
        let records = samples(at: now)
        do {
            _ = try await system.write { ctx in try ctx.write(records, mode: .upsert, to: Self.table) }
        } catch {
            logger.error("analytics could not be written: \(error)")
        }
        await enforceRetention(before: now - Double(retention.components.seconds) * 1000, in: system)
    }

    /// Deletes records whose `id` (time) is below `cutoff`, in bounded batches.
    func enforceRetention(before cutoff: Double, in system: Database) async {
        for _ in 0..<Self.deleteBatchesPerPeriod {
            guard let table = system.table(Self.table) else { return }
            let query = Query(filter: .condition(Condition("id", .lessThan, .double(cutoff))), limit: Self.deleteBatch)
            let ids: [Value]
            do {
                ids = try system.read { txn in
                    var ids: [Value] = []
                    let plan = try QueryPlanner.plan(query, table: table, in: txn)
                    try QueryExecutor.run(plan, table: table, in: txn) { bytes in
                        if let id = try RecordCodec.decode(bytes)["id"] { ids.append(id) }
                    }
                    return ids
                }
                if ids.isEmpty { return }
                _ = try await system.write { ctx in try ctx.delete(ids: ids, from: Self.table) }
            } catch {
                logger.error("analytics retention could not delete old records: \(error)")
                return
            }
            if ids.count < Self.deleteBatch { return }
        }
    }

    /// The records of the period ending now.
    func samples(at now: Double) -> [JSONObject] {
        let usage = ProcessUsage.current()
        let clock = ContinuousClock.now
        let (elapsed, cpu) = previous.withLock { previous -> (Double, Double) in
            defer { previous = (clock, usage.cpuSeconds) }
            guard let last = previous else { return (0, 0) }
            let d = clock - last.time
            return (Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18, usage.cpuSeconds - last.cpuSeconds)
        }
        let base = now.rounded(.down)
        let periodMilliseconds = Value.double((elapsed * 1000).rounded())
        var records: [JSONObject] = []
        func add(_ metric: String, _ fields: [(String, Value)]) {
            guard records.count < Self.maximumRecordsPerPeriod else { return }
            var o = JSONObject()
            o.appendUnchecked("id", .double(base + Double(records.count) / 1000))
            o.appendUnchecked("metric", .string(metric))
            o.appendUnchecked("period", periodMilliseconds)
            for (k, v) in fields { o.appendUnchecked(k, v) }
            records.append(o)
        }
        add("resource-usage", [
            ("rss", .int(Int64(usage.residentBytes))),
            ("cpu_time", .double(cpu)),
            ("cpu_utilization", .double(elapsed > 0 ? cpu / elapsed : 0)),
        ])
        let periods = metrics.takeRequestPeriods()
        let busy = periods.values.reduce(0) { $0 + $1.totalSeconds }
        add("utilization", [
            ("utilization", .double(elapsed > 0 ? busy / elapsed : 0)),
            ("requests", .int(Int64(periods.values.reduce(0) { $0 + $1.count }))),
        ])
        var volume = statvfs()
        if statvfs(storage.root, &volume) == 0 {
            let size = Int64(volume.f_blocks) * Int64(volume.f_frsize)
            let available = Int64(volume.f_bavail) * Int64(volume.f_frsize)
            add("storage-volume", [("path", .string(storage.root)), ("size", .int(size)), ("available", .int(available)),
                                   ("used", .int(size - Int64(volume.f_bfree) * Int64(volume.f_frsize)))])
        }
        for name in storage.databaseNames {
            guard let db = storage.database(name) else { continue }
            let file = storage.databaseDirectory + "/" + name + ".mdb"
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
            add("database-size", [("database", .string(name)), ("size", .int(Int64(size))),
                                  ("index_backlog", .int(Int64(db.indexBacklogCount)))])
            let catalog = db.catalog
            try? db.read(completeIndexes: false) { txn in
                for tableName in catalog.tableNames {
                    guard let table = catalog.tables[tableName] else { continue }
                    let records = try txn.statistics(table.records)
                    let index = try txn.statistics(table.index)
                    add("table-size", [("database", .string(name)), ("table", .string(tableName)),
                                       ("size", .int(Int64(records.bytes + index.bytes))),
                                       ("record_count", .int(Int64(records.entries)))])
                }
            }
        }
        for (operation, period) in periods.sorted(by: { $0.key < $1.key }) {
            let ms = { (seconds: Double) in Value.double((seconds * 1_000_000).rounded() / 1000) }
            add("duration", [
                ("path", .string(operation)), ("method", "POST"), ("type", "operation"),
                ("count", .int(Int64(period.count))),
                ("mean", ms(period.count > 0 ? period.totalSeconds / Double(period.count) : 0)),
                ("min", ms(period.count > 0 ? period.minimumSeconds : 0)), ("max", ms(period.maximumSeconds)),
                ("p50", ms(period.quantile(0.5))), ("p90", ms(period.quantile(0.9))),
                ("p95", ms(period.quantile(0.95))), ("p99", ms(period.quantile(0.99))),
            ])
            add("success", [
                ("path", .string(operation)), ("method", "POST"), ("type", "operation"),
                ("total", .int(Int64(period.count))), ("count", .int(Int64(period.count - period.failures))),
            ])
        }
        return records
    }
}
