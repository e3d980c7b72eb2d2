import Foundation
import LyreCore
import LyreTestSupport
import Testing

/// A real Prometheus (Debian's `prometheus`, installed by scripts/bootstrap) scrapes a real
/// Lyre on loopback with Basic credentials, and its query API sees Lyre's series (issue 19 §3).
@Suite struct PrometheusScrapeTests {
    /// The first sample's value of an instant query, nil while Prometheus has none.
    static func query(_ port: Int, _ expression: String) async throws -> Double? {
        let encoded = expression.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? expression
        let response = try await HTTPClient.request(port: port, method: "GET", path: "/api/v1/query?query=" + encoded,
                                                    headers: [], body: [])
        guard response.status == 200, response.json["status"] == "success",
              let first = response.json["data"]?["result"]?.arrayValue?.first,
              let value = first["value"]?.arrayValue, value.count == 2 else { return nil }
        return value[1].stringValue.flatMap(Double.init)
    }

    static func prometheusExecutable() -> String? {
        for path in ["/usr/bin/prometheus", "/usr/local/bin/prometheus"] where FileManager.default.isExecutableFile(atPath: path) {
            return path
        }
        return nil
    }

    @Test func aRealPrometheusScrapesLyreAndItsQueryAPISeesUpAndLyreSeries() async throws {
        let executable = try #require(Self.prometheusExecutable(), "prometheus is installed by scripts/bootstrap")
        let root = TestApplication.temporaryRoot()
        let workspace = TestApplication.temporaryRoot() + "-prometheus"
        defer {
            try? FileManager.default.removeItem(atPath: root)
            try? FileManager.default.removeItem(atPath: workspace)
        }
        let lyre = try await LyreProcess(root: root, port: LyreProcess.freePort())
        defer { lyre.terminate() }
        #expect(try await lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#).status == 200)
        #expect(try await lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":1,"name":"Penny"}]}"#).status == 200)
        for _ in 0..<5 {
            #expect(try await lyre.post(#"{"operation":"search_by_id","database":"dev","table":"dog","ids":[1],"get_attributes":["*"]}"#).status == 200)
        }

        try FileManager.default.createDirectory(atPath: workspace + "/data", withIntermediateDirectories: true)
        let config = """
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
              - job_name: lyre
                metrics_path: /metrics
                basic_auth:
                  username: \(TestApplication.adminUsername)
                  password: \(TestApplication.adminPassword)
                static_configs:
                  - targets: ["127.0.0.1:\(lyre.port)"]
            """
        try config.write(toFile: workspace + "/prometheus.yml", atomically: true, encoding: .utf8)
        let prometheusPort = LyreProcess.freePort()
        let prometheus = try Subprocess([
            executable,
            "--config.file=" + workspace + "/prometheus.yml",
            "--storage.tsdb.path=" + workspace + "/data",
            "--web.listen-address=127.0.0.1:\(prometheusPort)",
        ])
        defer { prometheus.terminate() }

        var up: Double?
        var requests: Double?
        for _ in 0..<150 where up != 1 || requests == nil {
            try await Task.sleep(for: .milliseconds(200))
            #expect(prometheus.isRunning, "prometheus exited early")
            if !prometheus.isRunning { break }
            up = try? await Self.query(prometheusPort, #"up{job="lyre"}"#)
            requests = try? await Self.query(prometheusPort, #"lyre_requests_total{operation="search_by_id",status="200"}"#)
        }
        #expect(up == 1, "Prometheus's scrape of Lyre succeeded")
        #expect(requests == 5, "the search_by_id counter as Prometheus stored it")
        let records = try await Self.query(prometheusPort, #"lyre_table_records{database="dev",table="dog"}"#)
        #expect(records == 1)
    }
}
