import CoreMetrics
import LyreCore
import Prometheus
import Synchronization

/// Lyre's instruments and their Prometheus exposition (`GET /metrics`), built on
/// swift-prometheus's collector registry (the swift-metrics backend): no Prometheus type
/// leaves this target.
///
/// Hot path: ``requestFinished(operation:status:duration:)`` takes one uncontended lock of
/// the calling thread's shard (`ThreadSharded`) to find the cached instruments of its
/// operation and status and to add to the analytics period, then one atomic add (the
/// counter) and the histogram's short lock. Everything that storage already counts
/// (records, bytes, backlog, jobs) is read only when scraped, from a ``Snapshot``.
///
/// ```swift
/// let metrics = ServerMetrics()
/// metrics.requestFinished(operation: "search_by_id", status: 200, duration: .microseconds(80))
/// let text = metrics.exposition(ServerMetrics.Snapshot())
/// ```
public final class ServerMetrics: Sendable {
    /// The exposition format's media type (Prometheus text format 0.0.4).
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Upper bounds of `lyre_request_duration_seconds` (100 µs to 10 s: reads answer in tens of µs).
    static let requestBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .microseconds(2500),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]
    /// Upper bounds of `lyre_writer_commit_duration_seconds` (a commit with its sync).
    static let commitBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .microseconds(2500),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
    ]
    /// Upper bounds of `lyre_writer_group_size` (the writer groups at most 4096 writes).
    static let groupBuckets: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096]

    let registry = PrometheusCollectorRegistry()
    private static var requestCounterName: MetricNameDescriptor { MetricNameDescriptor(
        namespace: "lyre", metricName: "requests", unitName: "total",
        helpText: "Operations API requests answered, by operation and HTTP status") }
    private static var requestDurationName: MetricNameDescriptor { MetricNameDescriptor(
        namespace: "lyre", metricName: "request_duration", unitName: "seconds",
        helpText: "Time from a request's arrival at the operation layer to its response, by operation") }
    private let shards: ThreadSharded<Shard>
    private let connections: Prometheus.Gauge
    private let groupCommits: Prometheus.Counter
    private let groupSize: ValueHistogram
    private let commitDuration: DurationHistogram
    private let indexBacklog: Prometheus.Gauge
    private let residentMemory: Prometheus.Gauge
    private let cpuSeconds: Prometheus.Counter
    /// CPU seconds already added to `cpuSeconds` (the counter only grows by deltas).
    private let cpuReported = Mutex<Double>(0)
    /// Label sets of the gauges set per scrape, so a dropped table or a finished status disappears.
    private let scraped = Mutex<[Prometheus.Gauge]>([])

    /// The instruments of one operation and status, and that operation's analytics period.
    struct Instruments {
        let counter: Prometheus.Counter
        let duration: DurationHistogram
    }

    /// One operation's state in a shard: its analytics period and its instruments by status
    /// (a short list: an operation answers with one or two statuses).
    struct OperationState {
        var period = RequestPeriod()
        var byStatus: [(status: Int, instruments: Instruments)] = []
    }

    struct Shard {
        /// One hash of the operation name per request finds both.
        var operations: [String: OperationState] = [:]
    }

    public init() {
        shards = ThreadSharded(count: 16) { Shard() }
        connections = registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "lyre", metricName: "open_connections", unitName: "",
            helpText: "Open Operations API connections"))
        groupCommits = registry.makeCounter(descriptor: MetricNameDescriptor(
            namespace: "lyre", metricName: "writer_group_commits", unitName: "total",
            helpText: "Write transactions committed by the storage writers (one per group of writes)"))
        groupSize = registry.makeValueHistogram(descriptor: MetricNameDescriptor(
            namespace: "lyre", metricName: "writer_group", unitName: "writes",
            helpText: "Writes committed together in one group (one transaction, one sync)"), buckets: Self.groupBuckets)
        commitDuration = registry.makeDurationHistogram(descriptor: MetricNameDescriptor(
            namespace: "lyre", metricName: "writer_commit_duration", unitName: "seconds",
            helpText: "Time from a group's transaction begin to its commit and sync"), buckets: Self.commitBuckets)
        indexBacklog = registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "lyre", metricName: "index_backlog", unitName: "changes",
            helpText: "Index changes waiting in the backlogs of all databases"))
        residentMemory = registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "process", metricName: "resident_memory", unitName: "bytes",
            helpText: "Resident memory size of the server process"))
        cpuSeconds = registry.makeCounter(descriptor: MetricNameDescriptor(
            namespace: "process", metricName: "cpu_seconds", unitName: "total",
            helpText: "User and system CPU time spent by the server process"))
    }

    // MARK: - Recording (hot path)

    /// Counts one answered request. `operation` must come from a bounded set (the caller
    /// maps unknown operation names to one value), as every distinct value is a series.
    public func requestFinished(operation: String, status: Int, duration: Duration) {
        let instruments = shards.mine.state.withLock { shard -> Instruments in
            shard.operations[operation, default: OperationState()].instruments(duration, status: status) {
                Instruments(
                    counter: registry.makeCounter(descriptor: Self.requestCounterName,
                                                  labels: [("operation", operation), ("status", String(status))]),
                    duration: registry.makeDurationHistogram(descriptor: Self.requestDurationName,
                                                             labels: [("operation", operation)], buckets: Self.requestBuckets))
            }
        }
        instruments.counter.increment()
        instruments.duration.record(duration)
    }

    public func connectionOpened() { connections.increment() }
    public func connectionClosed() { connections.decrement() }

    /// One committed write group: how many writes it held and how long it took with its sync.
    public func groupCommitted(writes: Int, duration: Duration) {
        groupCommits.increment()
        groupSize.record(Double(writes))
        commitDuration.record(duration)
    }

    // MARK: - Analytics periods

    /// The requests of the period since the last call, by operation (and resets it).
    public func takeRequestPeriods() -> [String: RequestPeriod] {
        var merged: [String: RequestPeriod] = [:]
        for shard in shards.shards {
            let periods = shard.state.withLock { state -> [(String, RequestPeriod)] in
                var taken: [(String, RequestPeriod)] = []
                for index in state.operations.indices where state.operations.values[index].period.count > 0 {
                    taken.append((state.operations.keys[index], state.operations.values[index].period))
                    state.operations.values[index].period = RequestPeriod()
                }
                return taken
            }
            for (operation, period) in periods { merged[operation, default: RequestPeriod()].merge(period) }
        }
        return merged
    }

    // MARK: - Exposition

    /// What storage and the job table know at scrape time.
    public struct Snapshot: Sendable {
        public struct Table: Sendable {
            public var database: String
            public var table: String
            public var records: Int
            public var bytes: Int
            public init(database: String, table: String, records: Int, bytes: Int) {
                self.database = database
                self.table = table
                self.records = records
                self.bytes = bytes
            }
        }

        public var tables: [Table]
        /// Index changes waiting in all databases' backlogs.
        public var indexBacklog: Int
        /// Jobs in `system.hdb_job` by status (`COMPLETE`, `IN_PROGRESS`, ...).
        public var jobs: [(status: String, count: Int)]

        public init(tables: [Table] = [], indexBacklog: Int = 0, jobs: [(status: String, count: Int)] = []) {
            self.tables = tables
            self.indexBacklog = indexBacklog
            self.jobs = jobs
        }
    }

    /// The Prometheus text exposition of every instrument, with `snapshot`'s gauges and the
    /// process's resident memory and CPU time as of now.
    public func exposition(_ snapshot: Snapshot) -> [UInt8] {
        indexBacklog.set(Double(snapshot.indexBacklog))
        let usage = ProcessUsage.current()
        residentMemory.set(Double(usage.residentBytes))
        cpuReported.withLock { reported in
            if usage.cpuSeconds > reported {
                cpuSeconds.increment(by: usage.cpuSeconds - reported)
                reported = usage.cpuSeconds
            }
        }
        let recordsName = MetricNameDescriptor(namespace: "lyre", metricName: "table_records", unitName: "",
                                               helpText: "Records in a table (from the B-tree's entry count)")
        let bytesName = MetricNameDescriptor(namespace: "lyre", metricName: "table_size", unitName: "bytes",
                                             helpText: "Bytes of a table's records and indexes (B-tree pages)")
        let jobsName = MetricNameDescriptor(namespace: "lyre", metricName: "jobs", unitName: "",
                                            helpText: "Jobs in system.hdb_job by status")
        var gauges: [Prometheus.Gauge] = []
        for table in snapshot.tables {
            let labels = [("database", table.database), ("table", table.table)]
            let records = registry.makeGauge(descriptor: recordsName, labels: labels)
            records.set(Double(table.records))
            let bytes = registry.makeGauge(descriptor: bytesName, labels: labels)
            bytes.set(Double(table.bytes))
            gauges += [records, bytes]
        }
        for (status, count) in snapshot.jobs {
            let gauge = registry.makeGauge(descriptor: jobsName, labels: [("status", status)])
            gauge.set(Double(count))
            gauges.append(gauge)
        }
        scraped.withLock { previous in
            let kept = Set(gauges.map(ObjectIdentifier.init))
            for gauge in previous where !kept.contains(ObjectIdentifier(gauge)) { registry.unregisterGauge(gauge) }
            previous = gauges
        }
        return registry.emitToBuffer()
    }

    /// Makes this registry the process's swift-metrics backend, so libraries that report
    /// through swift-metrics show up on `GET /metrics` too. Once per process (the executable).
    public func bootstrapSwiftMetrics() {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }
}

/// The requests of one operation during one analytics period: count, failures (status
/// 400 and up), duration sum and extremes, and a bounded sample for percentiles.
extension ServerMetrics.OperationState {
    /// Adds one request to the period and gives its status's instruments (made by `make`
    /// the first time).
    mutating func instruments(_ duration: Duration, status: Int,
                              make: () -> ServerMetrics.Instruments) -> ServerMetrics.Instruments {
        period.add(duration, failed: status >= 400)
        for entry in byStatus where entry.status == status { return entry.instruments }
        let made = make()
        byStatus.append((status, made))
        return made
    }
}

public struct RequestPeriod: Sendable {
    /// At most this many durations are kept per operation, shard and period (reservoir sampling).
    static let sampleLimit = 256

    public private(set) var count = 0
    public private(set) var failures = 0
    public private(set) var totalSeconds = 0.0
    public private(set) var minimumSeconds = Double.infinity
    public private(set) var maximumSeconds = 0.0
    public private(set) var samples: [Double] = []

    public init() {}

    mutating func add(_ duration: Duration, failed: Bool) {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
        count += 1
        if failed { failures += 1 }
        totalSeconds += seconds
        minimumSeconds = min(minimumSeconds, seconds)
        maximumSeconds = max(maximumSeconds, seconds)
        if samples.count < Self.sampleLimit {
            samples.append(seconds)
        } else {
            // Reservoir sampling with a cheap deterministic mix of the count.
            let slot = Int((UInt64(count) &* 0x9E37_79B9_7F4A_7C15) >> 33) % count
            if slot < Self.sampleLimit { samples[slot] = seconds }
        }
    }

    mutating func merge(_ other: RequestPeriod) {
        count += other.count
        failures += other.failures
        totalSeconds += other.totalSeconds
        minimumSeconds = min(minimumSeconds, other.minimumSeconds)
        maximumSeconds = max(maximumSeconds, other.maximumSeconds)
        samples += other.samples
    }

    /// The `p` quantile (0...1) of the sampled durations, in seconds (0 when empty).
    public func quantile(_ p: Double) -> Double {
        guard !samples.isEmpty else { return 0 }
        let sorted = samples.sorted()
        let index = min(sorted.count - 1, max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1))
        return sorted[index]
    }
}
