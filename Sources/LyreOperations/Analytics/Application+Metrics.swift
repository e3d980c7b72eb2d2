import LyreCore
import LyreMetrics
import LyreQuery
import LyreStorage

/// `GET /metrics` and request measurement: the operation layer's side of `LyreMetrics`.
extension Application {
    /// The operation label of a request whose body had no readable operation.
    static let unparsedOperation = "invalid_request"
    /// The label of an operation name Lyre does not know (one label, so clients cannot
    /// create series at will).
    static let unknownOperation = "unknown"

    /// Counts and times `outcome` once its response exists.
    func measured(_ outcome: Outcome, operation: String, started: ContinuousClock.Instant,
                  metrics: ServerMetrics) -> Outcome {
        switch outcome {
        case .immediate(let response):
            metrics.requestFinished(operation: operation, status: response.status, duration: .now - started)
            return outcome
        case .deferred(let run):
            return .deferred {
                let response = await run()
                metrics.requestFinished(operation: operation, status: response.status, duration: .now - started)
                return response
            }
        case .callback(let start):
            return .callback { respond in
                start { makeResponse in
                    respond {
                        let response = makeResponse()
                        metrics.requestFinished(operation: operation, status: response.status,
                                                duration: .now - started)
                        return response
                    }
                }
            }
        }
    }

    /// Makes this application's registry the process's swift-metrics backend (once per
    /// process: `lyre run` calls it). With metrics off, it happens when a restart turns
    /// them on.
    public func bootstrapSwiftMetrics() {
        swiftMetrics.withLock { state in
            state.wanted = true
            if metricsOn.load(ordering: .relaxed), !state.bootstrapped {
                instruments.bootstrapSwiftMetrics()
                state.bootstrapped = true
            }
        }
    }

    /// Applies `metrics.enabled` and `analytics.*` (at start and on every `restart`, as
    /// Harper's restart re-reads them): measuring requests and group commits starts or
    /// stops, and the aggregator follows a new period or retention. Counters keep their
    /// values across an off-and-on (the process lives on; Prometheus sees no reset).
    func applyObservability(_ configuration: Configuration) {
        swiftMetrics.withLock { state in
            let enabled = configuration.metricsEnabled
            metricsOn.store(enabled, ordering: .relaxed)
            storage.setCommitStatistics(enabled ? CommitMetrics(metrics: instruments) : nil)
            if enabled, state.wanted, !state.bootstrapped {
                instruments.bootstrapSwiftMetrics()
                state.bootstrapped = true
            }
        }
        analytics.schedule(period: configuration.analyticsAggregatePeriod, retention: configuration.analyticsRetention)
    }

    /// Counts an opened / closed Operations API connection (`lyre_open_connections`), also
    /// with metrics off, so the gauge is right when a restart turns them on.
    public func connectionOpened() { instruments.connectionOpened() }
    public func connectionClosed() { instruments.connectionClosed() }

    /// `GET /metrics`: the Prometheus text exposition. A super user's credentials (Basic or
    /// Bearer) are required, unless `metrics.authorizeLocal` is on and the request comes
    /// from a loopback address (or the domain socket). 404 with `metrics.enabled` off.
    public func metricsExposition(_ request: IncomingRequest) -> Outcome {
        guard let metrics else { return .immediate(response(for: LyreError(.notFound, status: 404, "Not found"))) }
        let configuration = self.configuration
        if configuration.metricsAuthorizeLocal, request.viaDomainSocket || Self.isLoopback(request.remoteAddress) {
            return .immediate(exposition(metrics))
        }
        if let header = request.authorization, Authenticator.isBearer(header) {
            return .deferred { [self] in
                do {
                    let user = try await authenticator.bearer(header, operation: nil)
                    try Self.checkMetricsAccess(user)
                    return exposition(metrics)
                } catch {
                    return response(for: error)
                }
            }
        }
        do {
            let user = try authenticator.authenticate(request, body: JSONObject(), authorizeLocal: configuration.authorizeLocal)
            try Self.checkMetricsAccess(user)
            return .immediate(exposition(metrics))
        } catch {
            return .immediate(response(for: error))
        }
    }

    private static func checkMetricsAccess(_ user: User) throws {
        guard user.method != .none else { throw LyreError.mustLogin }
        guard user.isSuperUser else {
            throw LyreError.unauthorized(access: [.string("GET /metrics is restricted to 'super_user' roles")])
        }
    }

    static func isLoopback(_ address: String?) -> Bool {
        guard let address else { return false }
        return address.hasPrefix("127.") || address == "::1" || address.hasPrefix("::ffff:127.")
    }

    private func exposition(_ metrics: ServerMetrics) -> OutgoingResponse {
        OutgoingResponse(status: 200, body: .binary(metrics.exposition(metricsSnapshot())),
                         headers: [("Content-Type", ServerMetrics.contentType)])
    }

    /// What storage already knows: each table's entry count and B-tree bytes (`mdb_stat`),
    /// the index backlogs, and jobs by status (from the status index: exact up to 1024 per
    /// status, estimated above, never a scan of the job table).
    func metricsSnapshot() -> ServerMetrics.Snapshot {
        var snapshot = ServerMetrics.Snapshot()
        for name in storage.databaseNames {
            guard let db = storage.database(name) else { continue }
            snapshot.indexBacklog += db.indexBacklogCount
            let catalog = db.catalog
            try? db.read(completeIndexes: false) { txn in
                for tableName in catalog.tableNames {
                    guard let table = catalog.tables[tableName] else { continue }
                    let records = try txn.statistics(table.records)
                    let index = try txn.statistics(table.index)
                    snapshot.tables.append(.init(database: name, table: tableName, records: records.entries,
                                                 bytes: records.bytes + index.bytes))
                }
            }
        }
        if let system = storage.database(StorageEngine.systemDatabase), let jobs = system.table(SystemDatabase.jobTable) {
            for status in JobStatus.allCases {
                let query = Query(filter: .condition(Condition("status", .equals, .string(status.rawValue))))
                let count = (try? system.read { txn in try QueryPlanner.plan(query, table: jobs, in: txn).estimate }) ?? 0
                snapshot.jobs.append((status.rawValue, count))
            }
        }
        return snapshot
    }
}

/// Hands the storage writers' group commits to the metrics.
struct CommitMetrics: CommitStatistics {
    let metrics: ServerMetrics

    func committed(_ writes: Int, _ duration: Duration) {
        metrics.groupCommitted(writes: writes, duration: duration)
    }
}
