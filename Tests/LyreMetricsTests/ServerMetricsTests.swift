import LyreMetrics
import Testing

@Suite struct ServerMetricsTests {
    static func text(_ metrics: ServerMetrics, _ snapshot: ServerMetrics.Snapshot = .init()) -> String {
        String(decoding: metrics.exposition(snapshot), as: UTF8.self)
    }

    static func lines(_ text: String, _ prefix: String) -> [String] {
        text.split(separator: "\n").map(String.init).filter { $0.hasPrefix(prefix) }
    }

    @Test func requestsAreCountedByOperationAndStatusAndTimedByOperation() {
        let metrics = ServerMetrics()
        metrics.requestFinished(operation: "search_by_id", status: 200, duration: .microseconds(80))
        metrics.requestFinished(operation: "search_by_id", status: 200, duration: .milliseconds(3))
        metrics.requestFinished(operation: "search_by_id", status: 404, duration: .microseconds(50))
        metrics.requestFinished(operation: "insert", status: 200, duration: .milliseconds(2))
        let text = Self.text(metrics)
        #expect(Self.lines(text, "lyre_requests_total{").sorted() == [
            #"lyre_requests_total{operation="insert",status="200"} 1"#,
            #"lyre_requests_total{operation="search_by_id",status="200"} 2"#,
            #"lyre_requests_total{operation="search_by_id",status="404"} 1"#,
        ])
        #expect(text.contains("# TYPE lyre_requests_total counter"))
        #expect(text.contains("# HELP lyre_requests_total "))
        #expect(text.contains(#"lyre_request_duration_seconds_bucket{operation="search_by_id",le="0.0001"} 2"#), "\(text)")
        #expect(text.contains(#"lyre_request_duration_seconds_bucket{operation="search_by_id",le="0.005"} 3"#))
        #expect(text.contains(#"lyre_request_duration_seconds_count{operation="search_by_id"} 3"#))
        #expect(text.contains(#"lyre_request_duration_seconds_count{operation="insert"} 1"#))
    }

    @Test func connectionsAndGroupCommitsAreExposed() {
        let metrics = ServerMetrics()
        metrics.connectionOpened()
        metrics.connectionOpened()
        metrics.connectionClosed()
        metrics.groupCommitted(writes: 3, duration: .milliseconds(2))
        metrics.groupCommitted(writes: 40, duration: .milliseconds(7))
        let text = Self.text(metrics)
        #expect(Self.lines(text, "lyre_open_connections ") == ["lyre_open_connections 1.0"])
        #expect(Self.lines(text, "lyre_writer_group_commits_total ") == ["lyre_writer_group_commits_total 2"])
        #expect(text.contains(#"lyre_writer_group_writes_bucket{le="4.0"} 1"#), "\(text)")
        #expect(text.contains(#"lyre_writer_group_writes_bucket{le="64.0"} 2"#))
        #expect(text.contains("lyre_writer_group_writes_sum 43.0"))
        #expect(text.contains(#"lyre_writer_commit_duration_seconds_bucket{le="0.0025"} 1"#))
    }

    @Test func snapshotGaugesFollowTablesAndJobsAndForgetDroppedOnes() {
        let metrics = ServerMetrics()
        let first = Self.text(metrics, .init(
            tables: [.init(database: "dev", table: "dog", records: 3, bytes: 8192),
                     .init(database: "dev", table: "cat", records: 0, bytes: 4096)],
            indexBacklog: 7, jobs: [("COMPLETE", 2), ("ERROR", 0)]))
        #expect(Self.lines(first, "lyre_table_records{") == [
            #"lyre_table_records{database="dev",table="dog"} 3.0"#, #"lyre_table_records{database="dev",table="cat"} 0.0"#,
        ] || Self.lines(first, "lyre_table_records{") == [
            #"lyre_table_records{database="dev",table="cat"} 0.0"#, #"lyre_table_records{database="dev",table="dog"} 3.0"#,
        ])
        #expect(first.contains(#"lyre_table_size_bytes{database="dev",table="dog"} 8192.0"#))
        #expect(first.contains("lyre_index_backlog_changes 7.0"))
        #expect(first.contains(#"lyre_jobs{status="COMPLETE"} 2.0"#))
        #expect(first.contains("# TYPE process_cpu_seconds_total counter"))
        let second = Self.text(metrics, .init(tables: [.init(database: "dev", table: "dog", records: 4, bytes: 8192)]))
        #expect(!second.contains(#"table="cat""#))
        #expect(!second.contains("lyre_jobs{"))
        #expect(second.contains(#"lyre_table_records{database="dev",table="dog"} 4.0"#))
    }

    @Test func requestPeriodsAreTakenOnceWithCountsFailuresAndQuantiles() throws {
        let metrics = ServerMetrics()
        for i in 1...100 { metrics.requestFinished(operation: "sql", status: i % 10 == 0 ? 500 : 200, duration: .milliseconds(i)) }
        let periods = metrics.takeRequestPeriods()
        let sql = try #require(periods["sql"])
        #expect(sql.count == 100)
        #expect(sql.failures == 10)
        #expect(abs(sql.quantile(0.5) - 0.050) < 1e-9)
        #expect(abs(sql.quantile(0.99) - 0.099) < 1e-9)
        #expect(abs(sql.maximumSeconds - 0.1) < 1e-9)
        #expect(metrics.takeRequestPeriods().isEmpty, "taking resets the period")
    }

    @Test func processUsageReadsResidentMemoryAndCPUTime() {
        let usage = ProcessUsage.current()
        #expect(usage.residentBytes > 1_000_000)
        #expect(usage.cpuSeconds > 0)
    }
}
