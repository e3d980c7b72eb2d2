import Foundation
import LyreCore
import LyreTestSupport
import Testing

/// `storage.compactAfterLoadRows` (Lyre's own, issue 18 item 2): a bulk load that wrote most of
/// its database is followed by a compaction of that database, in the background, so the
/// loaded index does not stay half empty. Observed through `POST /`: the log line
/// (`read_log`), the database's size (`describe_table`), and every record still found by
/// key, by value (the index) and by SQL.
@Suite struct LoadCompactionTests {
    /// `rows` CSV rows whose indexed values land all over the index (as `csv-load.sh`'s do).
    static func csv(rows: Range<Int>) -> String {
        var text = "id,name,city,score,grp\n"
        for i in rows { text += "\(i),name \(i),City \(i % 97),\(Double(i % 1000) / 8),C\(i % 500)\n" }
        return text
    }

    static func load(_ lyre: LyreProcess, rows: Range<Int>) async throws {
        // The CSV holds no quote or backslash: only its line ends need escaping in JSON.
        let data = csv(rows: rows).replacingOccurrences(of: "\n", with: "\\n")
        let started = try await lyre.post(#"{"operation":"csv_data_load","database":"dev","table":"items","data":"\#(data)"}"#)
        let id = try #require(started.json["job_id"]?.stringValue, "\(started)")
        var status: Value?
        for _ in 0..<3_000 {
            status = try await lyre.post(#"{"operation":"get_job","id":"\#(id)"}"#).json[0]?["status"]
            if status != "IN_PROGRESS" { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(status == "COMPLETE")
    }

    /// The log's `storage.compactAfterLoadRows` lines, oldest first.
    static func compactionLines(_ lyre: LyreProcess) async throws -> [String] {
        let log = try await lyre.post(#"{"operation":"read_log","limit":1000,"order":"asc"}"#).json
        return (log.arrayValue ?? []).compactMap { $0["message"]?.stringValue }.filter { $0.contains("storage.compactAfterLoadRows") }
    }

    @Test func aLoadThatIsMostOfItsDatabaseIsFollowedByACompactionThatKeepsEveryRecord() async throws {
        let root = TestApplication.temporaryRoot()
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try "storage:\n  compactAfterLoadRows: 3000\n".write(toFile: root + "/harperdb-config.yaml", atomically: true, encoding: .utf8)
        let lyre = try await LyreProcess(root: root, port: LyreProcess.freePort())
        defer { lyre.terminate() }
        #expect(try await lyre.post(#"{"operation":"create_table","database":"dev","table":"items","primary_key":"id"}"#).status == 200)

        // Below the configured minimum: written, not followed by a compaction (the decision
        // is the same function the unit tests cover; here the log says nothing of it).
        try await Self.load(lyre, rows: 0..<1_000)
        // 24,000 rows in three batches: far more than half of the 25,000 records.
        try await Self.load(lyre, rows: 1_000..<25_000)
        var lines: [String] = []
        for _ in 0..<1_500 {
            lines = try await Self.compactionLines(lyre)
            if !lines.isEmpty { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(lines.count == 1, "\(lines)")
        let line = try #require(lines.first)
        #expect(line.hasPrefix("storage.compactAfterLoadRows: database 'dev' compacted after a load of 24000 records, from "), "\(line)")
        // "from <before> to <after> bytes": the rebuilt file is smaller.
        let sizes = line.split(separator: " ").compactMap { Int($0) }
        #expect(sizes.count == 3 && sizes[2] < sizes[1], "\(line)")

        let described = try await lyre.post(#"{"operation":"describe_table","database":"dev","table":"items"}"#).json
        #expect(described["record_count"] == 25_000)
        #expect(described["db_size"]?.intValue.map { Int($0) <= sizes[2] + 65_536 } == true, "\(described)")
        let count = try await lyre.post(#"{"operation":"sql","sql":"SELECT COUNT(*) AS n FROM dev.items WHERE grp = 'C7'"}"#).json
        #expect(count == [["n": 50]])
        let byValue = try await lyre.post(#"{"operation":"search_by_value","database":"dev","table":"items","attribute":"city","value":"City 3","get_attributes":["id"]}"#).json
        #expect(byValue.arrayValue?.count == (0..<25_000).filter { $0 % 97 == 3 }.count)
        let byID = try await lyre.post(#"{"operation":"search_by_id","database":"dev","table":"items","ids":[0,999,24999],"get_attributes":["id","name","score"]}"#).json
        #expect(byID == [["id": 0, "name": "name 0", "score": 0], ["id": 999, "name": "name 999", "score": 124.875],
                         ["id": 24_999, "name": "name 24999", "score": 124.875]])

        // Writes go on after the swap, on the new file.
        #expect(try await lyre.post(#"{"operation":"insert","database":"dev","table":"items","records":[{"id":25000,"grp":"C7"}]}"#).status == 200)
        #expect(try await lyre.post(#"{"operation":"sql","sql":"SELECT COUNT(*) AS n FROM dev.items WHERE grp = 'C7'"}"#).json == [["n": 51]])
    }

    @Test func compactAfterLoadRowsIsValidatedBySetConfiguration() async throws {
        let root = TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let lyre = try await LyreProcess(root: root, port: LyreProcess.freePort())
        defer { lyre.terminate() }
        let bad = try await lyre.post(#"{"operation":"set_configuration","storage_compactAfterLoadRows":-1}"#)
        #expect(bad.status == 400)
        #expect(bad.json == ["error": "HarperDB config file validation error: 'storage.compactAfterLoadRows' must be greater than or equal to 0"])
        #expect(try await lyre.post(#"{"operation":"set_configuration","storage_compactAfterLoadRows":0}"#).status == 200)
        let configuration = try await lyre.post(#"{"operation":"get_configuration"}"#).json
        #expect(configuration["storage"]?["compactAfterLoadRows"] == 0)
    }
}
