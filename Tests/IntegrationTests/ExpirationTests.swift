import Foundation
import LyreCore
import LyreTestSupport
import Testing

/// Issue 18 on the real binary: table expiration on every read path, renewal by writes and
/// across a restart; `logging.auditRetention`; `storage.compactOnStart`.
@Suite struct ExpirationTests {
    private func startedLyre() async throws -> (String, LyreProcess) {
        let root = TestApplication.temporaryRoot()
        return (root, try await LyreProcess(root: root, port: LyreProcess.freePort()))
    }

    private func ok(_ lyre: LyreProcess, _ json: String) async throws {
        let r = try await lyre.post(json)
        #expect(r.status == 200, "\(json) → \(r)")
    }

    /// Waits (polling) until `check` holds, up to `seconds`.
    private func eventually(seconds: Double, _ check: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await check() { return true }
            try await Task.sleep(for: .milliseconds(200))
        }
        return try await check()
    }

    /// Runs `export_local` of `search` into `folder` and returns the file's text.
    private func export(_ lyre: LyreProcess, _ search: String, folder: String) async throws -> String? {
        let started = try await lyre.post(#"{"operation":"export_local","format":"json","path":"\#(folder)/","filename":"out","search_operation":\#(search)}"#)
        guard let id = started.json["job_id"]?.stringValue else { return nil }
        for _ in 0..<200 {
            let job = try await lyre.post(#"{"operation":"get_job","id":"\#(id)"}"#)
            if job.json[0]?["status"]?.stringValue == "COMPLETE" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try? String(contentsOfFile: folder + "/out.json", encoding: .utf8)
    }

    @Test func expiredRecordsLeaveEveryReadPath_andAWriteRenewsThem() async throws {
        let (root, lyre) = try await startedLyre()
        defer {
            lyre.terminate()
            try? FileManager.default.removeItem(atPath: root)
        }
        try await ok(lyre, #"{"operation":"create_table","database":"dev","table":"cache","primary_key":"id","expiration":20}"#)
        let insertSent = Date()
        try await ok(lyre, #"{"operation":"insert","database":"dev","table":"cache","records":[{"id":1,"color":"red"},{"id":2,"color":"red"},{"id":3,"color":"red"}]}"#)
        let inserted = Date()
        #expect(try await lyre.post(#"{"operation":"search_by_value","database":"dev","table":"cache","search_attribute":"color","search_value":"red","get_attributes":["id"]}"#).json.arrayValue?.count == 3)
        try await Task.sleep(for: .seconds(12))
        let updateSent = Date()
        try await ok(lyre, #"{"operation":"update","database":"dev","table":"cache","records":[{"id":3,"color":"red"}]}"#)
        let updateAcknowledged = Date()
        // Records 1 and 2 expire 20 s after the insert; record 3, 20 s after its update (32 s).
        try await Task.sleep(until: .now + .seconds(max(0.1, 21 - Date().timeIntervalSince(inserted))))

        let folder = root + "/export"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let answers = [
            try await lyre.post(#"{"operation":"search_by_id","database":"dev","table":"cache","ids":[1,2,3],"get_attributes":["id"]}"#).text,
            try await lyre.post(#"{"operation":"search_by_value","database":"dev","table":"cache","search_attribute":"color","search_value":"red","get_attributes":["id"]}"#).text,
            try await lyre.post(#"{"operation":"search_by_conditions","database":"dev","table":"cache","get_attributes":["id"],"conditions":[{"search_attribute":"id","search_type":"less_than","search_value":10}]}"#).text,
            try await lyre.post(#"{"operation":"sql","sql":"SELECT id FROM dev.cache"}"#).text,
            try await lyre.post(#"{"operation":"sql","sql":"SELECT COUNT(*) AS id FROM dev.cache"}"#).text
                .replacingOccurrences(of: #"[{"id":1}]"#, with: #"[{"id":3}]"#),
            try await lyre.post(#"{"operation":"describe_table","database":"dev","table":"cache"}"#).json["record_count"] == 1
                ? #"[{"id":3}]"# : "describe_table: record_count is not 1",
            try await export(lyre, #"{"operation":"search_by_value","database":"dev","table":"cache","search_attribute":"color","search_value":"*","get_attributes":["id"]}"#, folder: folder) ?? "no export",
        ]
        // Unless this machine was so slow that the update came after record 3 had expired, or
        // the reads ended after its renewed expiry, every read path shows record 3 alone.
        if updateAcknowledged.timeIntervalSince(insertSent) < 20, Date().timeIntervalSince(updateSent) < 20 {
            #expect(answers == Array(repeating: #"[{"id":3}]"#, count: answers.count))
        } else {
            for answer in answers.prefix(4) { #expect(!answer.contains(#""id":1"#) && !answer.contains(#""id":2"#)) }
        }
        #expect(try await lyre.post(#"{"operation":"describe_table","database":"dev","table":"cache"}"#).json["expiration"] == "20s")
    }

    @Test func aRestartKeepsWhatExpiresWhen() async throws {
        let (root, lyre) = try await startedLyre()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await ok(lyre, #"{"operation":"create_table","database":"dev","table":"cache","primary_key":"id","expiration":3}"#)
        try await ok(lyre, #"{"operation":"create_table","database":"dev","table":"kept","primary_key":"id"}"#)
        try await ok(lyre, #"{"operation":"insert","database":"dev","table":"cache","records":[{"id":1},{"id":2}]}"#)
        try await ok(lyre, #"{"operation":"insert","database":"dev","table":"kept","records":[{"id":1}]}"#)
        lyre.kill()
        let restarted = try await LyreProcess(root: root, port: LyreProcess.freePort())
        defer { restarted.terminate() }
        // What expires when was kept in the file: the records go 3 s after their insert.
        let gone = try await eventually(seconds: 15) {
            try await restarted.post(#"{"operation":"describe_table","database":"dev","table":"cache"}"#).json["record_count"] == 0
        }
        #expect(gone)
        #expect(try await restarted.post(#"{"operation":"search_by_id","database":"dev","table":"kept","ids":[1],"get_attributes":["id"]}"#).text == #"[{"id":1}]"#)
    }

    @Test func auditRetentionCutsOldEntriesAndReadAuditLogKeepsWorking() async throws {
        let (root, lyre) = try await startedLyre()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await ok(lyre, #"{"operation":"set_configuration","logging_auditRetention":"6s"}"#)
        #expect(try await lyre.post(#"{"operation":"get_configuration"}"#).json["logging"]?["auditRetention"] == "6s")
        lyre.terminate()
        let restarted = try await LyreProcess(root: root, port: LyreProcess.freePort())
        defer { restarted.terminate() }
        try await ok(restarted, #"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#)
        try await ok(restarted, #"{"operation":"insert","database":"dev","table":"dog","records":[{"id":1,"name":"old"}]}"#)
        try await Task.sleep(for: .seconds(4))
        let secondSent = Date()
        try await ok(restarted, #"{"operation":"insert","database":"dev","table":"dog","records":[{"id":2,"name":"new"}]}"#)
        func keys() async throws -> [Value] {
            let log = try await restarted.post(#"{"operation":"read_audit_log","database":"dev","table":"dog"}"#)
            return log.json.arrayValue?.compactMap { $0["hash_values"]?[0] } ?? []
        }
        // The first entry goes 6 s after its write (the sweeper looks every second).
        let cut = try await eventually(seconds: 15) { try await !keys().contains(1) }
        #expect(cut)
        let left = try await keys()
        if Date().timeIntervalSince(secondSent) < 6 { #expect(left == [2]) }
        let byKey = try await restarted.post(#"{"operation":"read_audit_log","database":"dev","table":"dog","search_type":"hash_value","search_values":[1,2]}"#)
        #expect(byKey.status == 200, "\(byKey)")
        #expect(try await restarted.post(#"{"operation":"set_configuration","logging_auditRetention":"a while"}"#).status == 400)
    }

    /// A server whose database `dev` has 100 live records left of 10,000 (no audit log, which
    /// would keep every deleted record).
    private func churnedLyre() async throws -> (String, LyreProcess) {
        let (root, first) = try await startedLyre()
        try await ok(first, #"{"operation":"set_configuration","logging_auditLog":false}"#)
        first.terminate()
        let lyre = try await LyreProcess(root: root, port: LyreProcess.freePort())
        try await ok(lyre, #"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#)
        let filler = String(repeating: "x", count: 400)
        for batch in 0..<20 {
            let records = (0..<500).map { #"{"id":\#(batch * 500 + $0),"n":\#($0 % 10),"note":"\#(filler)"}"# }.joined(separator: ",")
            try await ok(lyre, #"{"operation":"insert","database":"dev","table":"dog","records":[\#(records)]}"#)
        }
        try await ok(lyre, #"{"operation":"delete","database":"dev","table":"dog","ids":[\#((0..<9_900).map(String.init).joined(separator: ","))]}"#)
        return (root, lyre)
    }

    private func checkData(_ lyre: LyreProcess) async throws {
        #expect(try await lyre.post(#"{"operation":"sql","sql":"SELECT COUNT(*) AS n FROM dev.dog WHERE id < 10000"}"#).text == #"[{"n":100}]"#)
        let search = try await lyre.post(#"{"operation":"search_by_value","database":"dev","table":"dog","search_attribute":"n","search_value":3,"get_attributes":["id"]}"#)
        let ids = search.json.arrayValue?.compactMap { $0["id"]?.intValue }.filter { $0 < 10_000 }.sorted()
        #expect(ids == [9_903, 9_913, 9_923, 9_933, 9_943, 9_953, 9_963, 9_973, 9_983, 9_993])
    }

    @Test func compactDatabaseCompactsOnlineWhileReadsAndWritesGoOn() async throws {
        let (root, lyre) = try await churnedLyre()
        defer {
            lyre.terminate()
            try? FileManager.default.removeItem(atPath: root)
        }
        // Clients write and read all through the compaction; every request must succeed.
        let load = Task {
            var failures: [String] = []
            var id = 100_000
            while !Task.isCancelled {
                let w = try await lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":\#(id),"n":3}]}"#)
                let r = try await lyre.post(#"{"operation":"search_by_id","database":"dev","table":"dog","ids":[9999],"get_attributes":["id"]}"#)
                if w.status != 200 { failures.append("\(w)") }
                if r.text != #"[{"id":9999}]"# { failures.append("\(r)") }
                id += 1
            }
            return (failures, id - 100_000)
        }
        try await Task.sleep(for: .milliseconds(300))
        let compacted = try await lyre.post(#"{"operation":"compact_database","database":"dev"}"#)
        try await Task.sleep(for: .milliseconds(300))
        load.cancel()
        let (failures, written) = try await load.value
        #expect(compacted.status == 200, "\(compacted)")
        #expect(compacted.json["message"] == "Compacted database 'dev'")
        let before = try #require(compacted.json["size_before"]?.intValue)
        let after = try #require(compacted.json["size_after"]?.intValue)
        #expect(after * 3 < before, "\(before) → \(after)")
        #expect(failures == [])
        #expect(written > 0)
        try await checkData(lyre)
        let count = try await lyre.post(#"{"operation":"sql","sql":"SELECT COUNT(*) AS n FROM dev.dog"}"#)
        #expect(count.json[0]?["n"]?.intValue == Int64(100 + written), "\(count)")
        #expect(try await lyre.post(#"{"operation":"compact_database","database":"nowhere"}"#).status == 404)
        // Without a database, Harper's default one (`data`), as every operation does.
        #expect(try await lyre.post(#"{"operation":"compact_database"}"#).json["message"] == "Compacted database 'data'")
    }

    @Test func restartWithCompactOnStartCompactsTheOpenDatabases() async throws {
        let (root, lyre) = try await churnedLyre()
        defer {
            lyre.terminate()
            try? FileManager.default.removeItem(atPath: root)
        }
        let path = root + "/database/dev.mdb"
        let before = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        try await ok(lyre, #"{"operation":"set_configuration","storage_compactOnStart":true,"storage_compactOnStartKeepBackup":true}"#)
        try await ok(lyre, #"{"operation":"restart"}"#)
        let shrunk = try await eventually(seconds: 30) {
            ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? before) * 3 < before
        }
        #expect(shrunk)
        #expect(FileManager.default.fileExists(atPath: root + "/backup/dev.mdb"))
        // The listener restarts after the compaction.
        try await Task.sleep(for: .seconds(1))
        let back = try await eventually(seconds: 30) { (try? await lyre.post(#"{"operation":"describe_all"}"#))?.status == 200 }
        #expect(back)
        try await checkData(lyre)
        try await ok(lyre, #"{"operation":"insert","database":"dev","table":"dog","records":[{"id":"after","n":3}]}"#)
    }

    @Test func compactOnStartShrinksAChurnedFileAndKeepsTheData() async throws {
        let (root, lyre) = try await churnedLyre()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await ok(lyre, #"{"operation":"set_configuration","storage_compactOnStart":true,"storage_compactOnStartKeepBackup":true}"#)
        lyre.terminate()
        let path = root + "/database/dev.mdb"
        let before = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)

        let restarted = try await LyreProcess(root: root, port: LyreProcess.freePort())
        defer { restarted.terminate() }
        let after = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(after * 4 < before, "compacted \(before) → \(after) bytes")
        let backup = try FileManager.default.attributesOfItem(atPath: root + "/backup/dev.mdb")[.size] as? Int
        #expect(backup == before)
        try await checkData(restarted)
        try await ok(restarted, #"{"operation":"insert","database":"dev","table":"dog","records":[{"id":"after","n":3}]}"#)
    }
}
