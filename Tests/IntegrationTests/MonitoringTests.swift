import Foundation
import LyreCore
import LyreTestSupport
import Testing

/// `GET /metrics`, the analytics operations and `explain` on the real binary (issue 19).
@Suite struct MonitoringTests {
    /// A root whose configuration file holds `yaml` (read at the first start).
    static func root(_ yaml: String) throws -> String {
        let root = TestApplication.temporaryRoot()
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try yaml.write(toFile: root + "/harperdb-config.yaml", atomically: true, encoding: .utf8)
        return root
    }

    /// Runs `body` against a server on a fresh root whose configuration file holds `yaml`
    /// (nil: the defaults); the server stops and the root goes when it returns.
    static func withServer(_ yaml: String? = nil, _ body: (LyreProcess) async throws -> Void) async throws {
        let root = try yaml.map(Self.root) ?? TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let lyre = try await LyreProcess(root: root, port: LyreProcess.freePort())
        defer { lyre.terminate() }
        try await body(lyre)
    }

    /// One `GET /metrics` answer: its status and headers, its text, and its samples by series.
    struct Scrape {
        let response: TestResponse
        var status: Int { response.status }
        var text: String { response.text }

        /// The value of the sample line `series` (name with its labels, as exposed), nil if absent.
        subscript(_ series: String) -> Double? {
            for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
                return Double(line.dropFirst(series.count + 1))
            }
            return nil
        }
    }

    static func scrape(_ lyre: LyreProcess, authorization: String? = TestApplication.adminAuthorization) async throws -> Scrape {
        Scrape(response: try await HTTPClient.request(port: lyre.port, method: "GET", path: "/metrics",
                                                      headers: authorization.map { ["Authorization: \($0)"] } ?? [], body: []))
    }

    static let dogs = """
        {"operation":"insert","database":"dev","table":"dog","records":[{"id":1,"name":"Penny","age":5},{"id":2,"name":"Harper","age":3},{"id":3,"name":"Billy","age":9}]}
        """

    @Test func metricsCountRequestsByOperationAndStatusAndReadTableSizesFromStorage() async throws {
        try await Self.withServer { lyre async throws in
            #expect(try await lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#).status == 200)
            #expect(try await lyre.post(Self.dogs).status == 200)
            for _ in 0..<2 {
                #expect(try await lyre.post(#"{"operation":"search_by_id","database":"dev","table":"dog","ids":[1],"get_attributes":["*"]}"#).status == 200)
            }
            #expect(try await lyre.post(#"{"operation":"search_by_id","database":"dev","table":"cat","ids":[1],"get_attributes":["*"]}"#).status == 404)
            #expect(try await lyre.post(#"{"operation":"no_such_operation_\#(UUID().uuidString)"}"#).status == 400)

            let scrape = try await Self.scrape(lyre)
            #expect(scrape.status == 200)
            #expect(scrape.response.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
            let text = scrape.text
            #expect(scrape[#"lyre_requests_total{operation="search_by_id",status="200"}"#] == 2, "\(text)")
            #expect(scrape[#"lyre_requests_total{operation="search_by_id",status="404"}"#] == 1)
            #expect(scrape[#"lyre_requests_total{operation="insert",status="200"}"#] == 1)
            #expect(scrape[#"lyre_requests_total{operation="unknown",status="400"}"#] == 1,
                    "unknown operation names share one label")
            #expect(!text.contains("no_such_operation"))
            #expect(scrape[#"lyre_request_duration_seconds_count{operation="search_by_id"}"#] == 3)
            #expect(text.contains("# TYPE lyre_request_duration_seconds histogram"))
            #expect(scrape[#"lyre_table_records{database="dev",table="dog"}"#] == 3)
            #expect((scrape[#"lyre_table_size_bytes{database="dev",table="dog"}"#] ?? 0) > 0)
            #expect((scrape["lyre_writer_group_commits_total"] ?? 0) >= 2, "create_table and insert commit")
            #expect((scrape["lyre_writer_group_writes_count"] ?? 0) >= 2)
            #expect((scrape["lyre_writer_commit_duration_seconds_count"] ?? 0) >= 2)
            #expect((scrape["lyre_open_connections"] ?? 0) >= 1, "the scrape's own connection")
            #expect(scrape["lyre_index_backlog_changes"] != nil)
            #expect(scrape[#"lyre_jobs{status="COMPLETE"}"#] == 0)
            #expect((scrape["process_resident_memory_bytes"] ?? 0) > 1_000_000)
            #expect((scrape["process_cpu_seconds_total"] ?? 0) > 0)

            // Dropping the table drops its series.
            #expect(try await lyre.post(#"{"operation":"drop_table","database":"dev","table":"dog"}"#).status == 200)
            let after = try await Self.scrape(lyre)
            #expect(!after.text.contains(#"table="dog""#))
            #expect(after[#"lyre_requests_total{operation="search_by_id",status="200"}"#] == 2)
        }
    }

    @Test func metricsNeedASuperUsersCredentialsByDefault() async throws {
        try await Self.withServer { lyre async throws in
            #expect(try await Self.scrape(lyre, authorization: nil).status == 401)
            #expect(try await Self.scrape(lyre, authorization: TestApplication.basic("admin", "wrong")).status == 401)
            #expect(try await lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#).status == 200)
            #expect(try await lyre.post(#"{"operation":"add_role","role":"reader","permission":{"dev":{"tables":{"dog":{"read":true,"insert":false,"update":false,"delete":false,"attribute_permissions":[]}}}}}"#).status == 200)
            #expect(try await lyre.post(#"{"operation":"add_user","role":"reader","username":"rita","password":"pw","active":true}"#).status == 200)
            let refused = try await Self.scrape(lyre, authorization: TestApplication.basic("rita", "pw"))
            #expect(refused.status == 403, "\(refused)")
            let token = try await lyre.post(#"{"operation":"create_authentication_tokens","username":"admin","password":"password"}"#)
            let bearer = try #require(token.json["operation_token"]?.stringValue)
            #expect(try await Self.scrape(lyre, authorization: "Bearer " + bearer).status == 200)
        }
    }

    @Test func metricsAuthorizeLocalOpensTheEndpointToLoopbackScrapers() async throws {
        try await Self.withServer("metrics:\n  authorizeLocal: true\n") { lyre async throws in
            let open = try await Self.scrape(lyre, authorization: nil)
            #expect(open.status == 200)
            #expect(open.text.contains("lyre_open_connections"))
            // The operations themselves still need credentials.
            #expect(try await lyre.post(#"{"operation":"describe_all"}"#, authorization: "").status == 401)
        }
    }

    @Test func metricsEnabledFalseRemovesTheEndpoint() async throws {
        try await Self.withServer("metrics:\n  enabled: false\n") { lyre async throws in
            #expect(try await Self.scrape(lyre).status == 404)
            #expect(try await lyre.post(#"{"operation":"describe_all"}"#).status == 200)
        }
    }

    @Test func restartAppliesMetricsAndAnalyticsSettingsChangedBySetConfiguration() async throws {
        // Started with an hourly period: a sample within the test can only come from the
        // period the restart applies.
        try await Self.withServer("analytics:\n  aggregatePeriod: 3600\n") { lyre async throws in
            #expect(try await Self.scrape(lyre).status == 200)
            #expect(try await Self.scrape(lyre, authorization: nil).status == 401)
            let resourceUsage = #"{"operation":"get_analytics","metric":"resource-usage"}"#

            // Off, and analytics every second kept 2 s: in force after the restart.
            let off = try await lyre.post(#"{"operation":"set_configuration","metrics_enabled":false,"analytics_aggregatePeriod":1,"analytics_retention":"2s"}"#)
            #expect(off.status == 200, "\(off)")
            #expect(try await lyre.post(#"{"operation":"restart"}"#).status == 200)
            try await ClusteringTests.waitFor("GET /metrics to answer 404 after the restart") {
                try await Self.scrape(lyre).status == 404
            }
            var first: Double?
            try await ClusteringTests.waitFor("samples every second (the new period)") {
                first = try await lyre.post(resourceUsage).json.arrayValue?.first?["id"]?.doubleValue
                return first != nil
            }
            let firstSample = try #require(first)
            try await ClusteringTests.waitFor("the first sample deleted (the new retention)") {
                let oldest = try await lyre.post(resourceUsage).json.arrayValue?.first?["id"]?.doubleValue
                return oldest.map { $0 > firstSample } == true
            }

            // On again, open to loopback scrapers: requests and group commits are measured again.
            let on = try await lyre.post(#"{"operation":"set_configuration","metrics_enabled":true,"metrics_authorizeLocal":true}"#)
            #expect(on.status == 200, "\(on)")
            #expect(try await lyre.post(#"{"operation":"restart"}"#).status == 200)
            try await ClusteringTests.waitFor("GET /metrics to answer 200 without credentials after the restart") {
                try await Self.scrape(lyre, authorization: nil).status == 200
            }
            let before = try await Self.scrape(lyre, authorization: nil)
            #expect(try await lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#).status == 200)
            #expect(try await lyre.post(Self.dogs).status == 200)
            #expect(try await lyre.post(#"{"operation":"search_by_id","database":"dev","table":"dog","ids":[1],"get_attributes":["*"]}"#).status == 200)
            let after = try await Self.scrape(lyre, authorization: nil)
            #expect(after[#"lyre_requests_total{operation="search_by_id",status="200"}"#] == 1, "\(after.text)")
            #expect((after["lyre_writer_group_commits_total"] ?? 0) >= (before["lyre_writer_group_commits_total"] ?? 0) + 2)
            #expect((after["lyre_open_connections"] ?? 0) >= 1, "connections opened while metrics were off are counted too")
            let durations = try await Self.analytics(lyre, #"""
                {"operation":"get_analytics","metric":"duration","conditions":[{"attribute":"path","value":"search_by_id"}]}
                """#, atLeast: 1)
            #expect(durations.first?["count"] == 1, "the aggregator reads the re-enabled instruments: \(durations)")
        }
    }

    /// get_analytics until it answers at least `count` records whose last satisfies `until`
    /// (aggregated every second here).
    static func analytics(_ lyre: LyreProcess, _ body: String, atLeast count: Int,
                          until: (Value) -> Bool = { _ in true }) async throws -> [Value] {
        var records: [Value] = []
        for _ in 0..<150 {
            records = try await lyre.post(body).json.arrayValue ?? []
            if records.count >= count, let last = records.last, until(last) { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        return records
    }

    @Test func analyticsAreAggregatedEveryPeriodAndQueriedByTimeAttributesAndConditions() async throws {
        try await Self.withServer("analytics:\n  aggregatePeriod: 1\n") { lyre async throws in
            let names = try await lyre.post(#"{"operation":"list_metrics"}"#).json
            #expect(names == ["resource-usage", "table-size", "database-size", "utilization", "storage-volume", "duration", "success"])
            #expect(try await lyre.post(#"{"operation":"list_metrics","metric_types":["custom"]}"#).json == [])
            #expect(try await lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#).status == 200)
            #expect(try await lyre.post(Self.dogs).status == 200)
            #expect(try await lyre.post(#"{"operation":"search_by_id","database":"dev","table":"dog","ids":[1],"get_attributes":["*"]}"#).status == 200)

            let usage = try await Self.analytics(lyre, #"{"operation":"get_analytics","metric":"resource-usage"}"#, atLeast: 2)
            #expect(usage.count >= 2)
            #expect(usage.allSatisfy { $0["metric"] == "resource-usage" && ($0["rss"]?.intValue ?? 0) > 0 })
            let ids = usage.compactMap { $0["id"]?.doubleValue }
            #expect(ids == ids.sorted(), "oldest first")

            // start_time / end_time select by the record's time (its id).
            let first = try #require(ids.first)
            let windowed = try await lyre.post(#"{"operation":"get_analytics","metric":"resource-usage","start_time":\#(first + 0.5),"end_time":\#(Date().timeIntervalSince1970 * 1000 + 60_000)}"#).json
            #expect((windowed.arrayValue?.count ?? 0) >= usage.count - 1)
            #expect(windowed.arrayValue?.contains { $0["id"]?.doubleValue == first } == false)
            let none = try await lyre.post(#"{"operation":"get_analytics","metric":"resource-usage","end_time":\#(first - 1)}"#).json
            #expect(none == [])

            // conditions (search_by_conditions syntax) and get_attributes.
            let sizes = try await Self.analytics(lyre, #"""
                {"operation":"get_analytics","metric":"table-size","get_attributes":["table","record_count"],
                 "conditions":[{"attribute":"database","comparator":"equals","value":"dev"},{"attribute":"table","value":"dog"}]}
                """#, atLeast: 1) { $0["record_count"] == 3 }
            #expect(sizes.last == ["table": "dog", "record_count": 3], "samples after the insert count its records: \(sizes)")
            let operations = try await Self.analytics(lyre, #"""
                {"operation":"get_analytics","metric":"duration","conditions":[{"attribute":"path","value":"search_by_id"}]}
                """#, atLeast: 1)
            #expect(operations.first?["count"] == 1)
            #expect(operations.first?["type"] == "operation")

            let described = try await lyre.post(#"{"operation":"describe_metric","metric":"table-size"}"#).json
            let attributes = described["attributes"]?.arrayValue ?? []
            #expect(attributes.contains(["name": "record_count", "type": "number"]))
            #expect(attributes.contains(["name": "table", "type": "string"]))
            #expect(try await lyre.post(#"{"operation":"describe_metric","metric":"nothing-recorded"}"#).json == [:])

            // Bad input: 400, clear messages.
            let missing = try await lyre.post(#"{"operation":"get_analytics"}"#)
            #expect(missing.status == 400)
            #expect(missing.json["error"] == "'metric' is required")
            let badTime = try await lyre.post(#"{"operation":"get_analytics","metric":"resource-usage","start_time":"yesterday"}"#)
            #expect(badTime.status == 400)
            #expect(badTime.json["error"] == "'start_time' must be a number (milliseconds since 1970)")
            let badCondition = try await lyre.post(#"{"operation":"get_analytics","metric":"table-size","conditions":[{"attribute":"table","comparator":"near","value":"x"}]}"#)
            #expect(badCondition.status == 400)
        }
    }

    @Test func analyticsOperationsAreOpenToAnyAuthenticatedRole() async throws {
        try await Self.withServer { lyre async throws in
            #expect(try await lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#).status == 200)
            #expect(try await lyre.post(#"{"operation":"add_role","role":"reader","permission":{"dev":{"tables":{"dog":{"read":true,"insert":false,"update":false,"delete":false,"attribute_permissions":[]}}}}}"#).status == 200)
            #expect(try await lyre.post(#"{"operation":"add_user","role":"reader","username":"rita","password":"pw","active":true}"#).status == 200)
            let rita = TestApplication.basic("rita", "pw")
            #expect(try await lyre.post(#"{"operation":"list_metrics"}"#, authorization: rita).status == 200)
            #expect(try await lyre.post(#"{"operation":"get_analytics","metric":"resource-usage"}"#, authorization: rita).status == 200)
            #expect(try await lyre.post(#"{"operation":"list_metrics"}"#, authorization: "").status == 401)
        }
    }

    @Test func analyticsRetentionDeletesOldRecordsContinuously() async throws {
        try await Self.withServer("analytics:\n  aggregatePeriod: 1\n  retention: 2s\n") { lyre async throws in
            // After more periods than retention keeps, the oldest record is never older than it.
            var oldest: Double?
            var count = 0
            for _ in 0..<60 {
                try await Task.sleep(for: .milliseconds(250))
                let records = try await lyre.post(#"{"operation":"get_analytics","metric":"resource-usage"}"#).json.arrayValue ?? []
                count += records.isEmpty ? 0 : 1
                oldest = records.first?["id"]?.doubleValue
                if count >= 24 { break }
            }
            let now = Date().timeIntervalSince1970 * 1000
            let age = now - (try #require(oldest))
            #expect(age < 5_000, "records older than analytics.retention (2 s) plus a period are deleted (oldest is \(age) ms old)")
            let all = try await lyre.post(#"{"operation":"get_analytics","metric":"resource-usage"}"#).json.arrayValue ?? []
            #expect(all.count <= 4, "about 2 records a retention of 2 s keeps at 1 s periods, not the \(count / 4)+ written")
        }
    }

    @Test func explainOnNoSQLSearchesAnswersThePlanInEXPLAINSELECTsShape() async throws {
        try await Self.withServer { lyre async throws in
            #expect(try await lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#).status == 200)
            #expect(try await lyre.post(Self.dogs).status == 200)

            let byValue = try await lyre.post(#"{"operation":"search_by_value","database":"dev","table":"dog","attribute":"name","value":"Penny","explain":true}"#)
            #expect(byValue.status == 200)
            #expect(byValue.json["table"] == "dev.dog")
            #expect(byValue.json["access"] == ["type": "index_equals", "attribute": "name", "values": ["Penny"]], "\(byValue)")
            #expect(byValue.json["estimated_rows"] == 1)
            #expect(byValue.json["joins"] == [])
            #expect(byValue.json["planner"]?.stringValue != nil)

            let sql = try await lyre.post(#"{"operation":"sql","sql":"EXPLAIN SELECT * FROM dev.dog WHERE name = 'Penny'"}"#)
            #expect(sql.json["access"] == byValue.json["access"], "the same access path as EXPLAIN SELECT")

            let byConditions = try await lyre.post(#"""
                {"operation":"search_by_conditions","database":"dev","table":"dog","explain":true,
                 "conditions":[{"attribute":"age","comparator":"between","value":[3,5]}]}
                """#)
            #expect(byConditions.status == 200)
            #expect(byConditions.json["access"] == ["type": "index_range", "attribute": "age", "from": 3, "to": 5], "\(byConditions)")
            #expect(byConditions.json["estimated_rows"] == 2)
            #expect(byConditions.json["filter"] == "age between [3,5]")

            let star = try await lyre.post(#"{"operation":"search_by_value","database":"dev","table":"dog","attribute":"name","value":"*","explain":true}"#)
            #expect(star.json["access"] == ["type": "full_scan"])

            // explain false (or absent) still answers records; anything else is a 400.
            let records = try await lyre.post(#"{"operation":"search_by_value","database":"dev","table":"dog","attribute":"name","value":"Penny","explain":false}"#)
            #expect(records.json.arrayValue?.count == 1)
            let bad = try await lyre.post(#"{"operation":"search_by_conditions","database":"dev","table":"dog","explain":"yes","conditions":[{"attribute":"age","value":3}]}"#)
            #expect(bad.status == 400)
            #expect(bad.json["error"] == "'explain' must be a boolean")
        }
    }
}
