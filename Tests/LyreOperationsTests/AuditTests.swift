import LyreCore
import LyreTestSupport
import Testing

@Suite struct AuditTests {
    func audited() async throws -> Harness {
        let h = try Harness { $0.auditLog = true }
        _ = await h.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#)
        return h
    }

    /// logs-config-system.md §2.1: SQL statements are audited under the operation names.
    @Test func sqlWritesAreAuditedAsInsertUpdateAndDelete() async throws {
        let h = try await audited()
        for statement in ["INSERT INTO dev.dog (id, name) VALUES (1, 'a'), (2, 'b')",
                          "UPDATE dev.dog SET name = 'A' WHERE id = 1",
                          "DELETE FROM dev.dog WHERE id = 2"] {
            #expect(await h.post(#"{"operation":"sql","sql":"\#(statement)"}"#).status == 200)
        }
        let entries = await h.post(#"{"operation":"read_audit_log","schema":"dev","table":"dog"}"#).json.arrayValue ?? []
        #expect(entries.count == 3)
        guard entries.count == 3 else { return }
        #expect(entries[0].withoutTimes == (try JSON.parse(#"{"operation":"insert","user_name":"admin","hash_values":[1,2],"records":[{"id":1,"name":"a"},{"id":2,"name":"b"}]}"#)))
        #expect(entries[1]["operation"] == "update")
        #expect(entries[1]["hash_values"] == .array([.int(1)]))
        #expect(entries[1]["original_records"].map { JSON.string($0) }?.contains(#""name":"a""#) == true)
        #expect(entries[2].withoutTimes == (try JSON.parse(#"{"operation":"delete","user_name":"admin","hash_values":[2],"original_records":[{"id":2,"name":"b"}]}"#)))
    }

    /// The spec's worked example (§2.2): 8 entries, grouping by user and by hash value.
    @Test func workedExampleGroupsEntries() async throws {
        let h = try await audited()
        let writes = [
            #"{"operation":"insert","database":"dev","table":"dog","records":[{"id":1,"name":"a"},{"id":2,"name":"b"}]}"#,
            #"{"operation":"insert","database":"dev","table":"dog","records":[{"id":3,"name":"c"}]}"#,
            #"{"operation":"update","database":"dev","table":"dog","records":[{"id":1,"name":"A"},{"id":2,"name":"B"}]}"#,
            #"{"operation":"insert","database":"dev","table":"dog","records":[{"id":"blerrrrr","name":"x"}]}"#,
            #"{"operation":"update","database":"dev","table":"dog","records":[{"id":"blerrrrr","name":"y"}]}"#,
            #"{"operation":"delete","database":"dev","table":"dog","ids":[3,1]}"#,
            #"{"operation":"insert","database":"dev","table":"dog","records":[{"id":4,"name":"d"}]}"#,
            #"{"operation":"upsert","database":"dev","table":"dog","records":[{"id":4,"name":"D"},{"id":5,"name":"e"},{"name":"new"}]}"#,
        ]
        for write in writes { #expect(await h.post(write).status == 200) }

        let all = await h.post(#"{"operation":"read_audit_log","schema":"dev","table":"dog"}"#)
        #expect(all.status == 200)
        let entries = all.json.arrayValue ?? []
        #expect(entries.count == 8)
        let times = entries.compactMap { $0["timestamp"]?.doubleValue }
        #expect(times == times.sorted() && Set(times).count == 8)
        #expect(entries[0].withoutTimes == (try JSON.parse(#"{"operation":"insert","user_name":"admin","hash_values":[1,2],"records":[{"id":1,"name":"a"},{"id":2,"name":"b"}]}"#)))
        #expect(entries[2].withoutTimes == (try JSON.parse(#"{"operation":"update","user_name":"admin","hash_values":[1,2],"records":[{"id":1,"name":"A"},{"id":2,"name":"B"}],"original_records":[{"id":1,"name":"a"},{"id":2,"name":"b"}]}"#)))
        #expect(entries[5].withoutTimes == (try JSON.parse(#"{"operation":"delete","user_name":"admin","hash_values":[3,1],"original_records":[{"id":3,"name":"c"},{"id":1,"name":"A"}]}"#)))
        let upsert = entries[7]
        #expect(upsert["operation"] == "upsert")
        #expect(upsert["records"]?.arrayValue?.count == 3)
        #expect(upsert["records"]?.arrayValue?[2]["id"]?.isNumber == true)

        let byUser = await h.post(#"{"operation":"read_audit_log","schema":"dev","table":"dog","search_type":"username","search_values":["admin"]}"#)
        #expect(byUser.json["admin"]?.arrayValue?.count == 8)

        let byHash = await h.post(#"{"operation":"read_audit_log","schema":"dev","table":"dog","search_type":"hash_value","search_values":[1,"blerrrrr"]}"#)
        #expect(byHash.json["1"]?.arrayValue?.count == 3)
        #expect(byHash.json["blerrrrr"]?.arrayValue?.count == 2)
        // Only that key's record in the hash_value form.
        #expect(byHash.json["1"]?.arrayValue?[0]["records"]?.withoutTimes == (try JSON.parse(#"[{"id":1,"name":"a"}]"#)))
    }

    @Test func timestampRangeAndLimit() async throws {
        let h = try await audited()
        for i in 1...3 { _ = await h.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":\#(i)}]}"#) }
        let all = await h.post(#"{"operation":"read_audit_log","database":"dev","table":"dog"}"#).json.arrayValue ?? []
        let t2 = all[1]["timestamp"]!.doubleValue!
        let from = await h.post(#"{"operation":"read_audit_log","schema":"dev","table":"dog","search_type":"timestamp","search_values":[\#(t2)]}"#)
        #expect(from.json.arrayValue?.count == 2)
        let window = await h.post(#"{"operation":"read_audit_log","schema":"dev","table":"dog","search_type":"timestamp","search_values":[\#(t2),\#(t2)]}"#)
        #expect(window.json.arrayValue?.count == 1)
        let limited = await h.post(#"{"operation":"read_audit_log","schema":"dev","table":"dog","limit":2}"#)
        #expect(limited.json.arrayValue?.count == 2)
    }

    @Test func errors() async throws {
        let off = try Harness { $0.auditLog = false }
        let disabled = await off.post(#"{"operation":"read_audit_log","schema":"data","table":"dog"}"#)
        #expect(disabled.status == 400)
        #expect(disabled.text == #"{"error":"To use this operation audit log must be enabled in harperdb-config.yaml"}"#)

        let h = try await audited()
        let noSchema = await h.post(#"{"operation":"read_audit_log","table":"dog"}"#)
        #expect(noSchema.status == 400 && noSchema.text == #"{"error":"database is required"}"#)
        let noTable = await h.post(#"{"operation":"read_audit_log","schema":"dev"}"#)
        #expect(noTable.status == 400 && noTable.text == #"{"error":"table is required"}"#)
        let missing = await h.post(#"{"operation":"read_audit_log","schema":"dev","table":"cat"}"#)
        #expect(missing.status == 404)
        let badType = await h.post(#"{"operation":"read_audit_log","schema":"dev","table":"dog","search_type":"color"}"#)
        #expect(badType.status == 400 && badType.text == #"{"error":"Invalid searchType 'color'"}"#)
    }

    @Test func unauditedTableAndDisabledLogWriteNothing() async throws {
        let h = try Harness { $0.auditLog = true }
        _ = await h.post(#"{"operation":"create_table","table":"quiet","primary_key":"id","audit":false}"#)
        _ = await h.post(#"{"operation":"insert","table":"quiet","records":[{"id":1}]}"#)
        let quiet = await h.post(#"{"operation":"read_audit_log","schema":"data","table":"quiet"}"#)
        #expect(quiet.text == "[]")
    }

    @Test func transactionLogShape() async throws {
        let h = try await audited()
        _ = await h.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":1,"dog_name":"Penny"}]}"#)
        _ = await h.post(#"{"operation":"update","database":"dev","table":"dog","records":[{"id":1,"dog_name":"Penny B"}]}"#)
        let log = await h.post(#"{"operation":"read_transaction_log","schema":"dev","table":"dog","limit":10}"#)
        #expect(log.status == 200)
        let entries = log.json.arrayValue ?? []
        #expect(entries.count == 2)
        #expect(entries[0]["operation"] == "insert" && entries[0]["user"] == "admin")
        #expect(entries[1]["records"]?.arrayValue?[0]["dog_name"] == "Penny B")
        #expect(entries[0].objectValue?.keys.prefix(4) == ["operation", "user", "timestamp", "records"])
        let bad = await h.post(#"{"operation":"read_transaction_log","schema":"dev","table":"dog","from":"soon","limit":0}"#)
        #expect(bad.text == #"{"error":"'from' must be in timestamp or number of milliseconds format. 'limit' must be greater than or equal to 1"}"#)
    }

    /// Runs a job-starting request and waits for the job to end; returns its `get_job` record.
    private func finishedJob(_ h: Harness, _ json: String) async throws -> Value {
        let started = await h.post(json)
        #expect(started.json["message"]?.stringValue?.hasPrefix("Starting job with id ") == true, "\(started)")
        let id = try #require(started.json["job_id"]?.stringValue)
        return try await waitForJob(id, post: { await h.post($0) })
    }

    @Test func deleteBeforeRunsAsAJobAndReportsItsCount() async throws {
        let h = try await audited()
        for i in 1...3 { _ = await h.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":\#(i)}]}"#) }
        let all = await h.post(#"{"operation":"read_audit_log","schema":"dev","table":"dog"}"#).json.arrayValue ?? []
        let t3 = all[2]["timestamp"]!.doubleValue!
        let deleted = try await finishedJob(h, #"{"operation":"delete_audit_logs_before","schema":"dev","table":"dog","timestamp":\#(t3)}"#)
        #expect(deleted["status"] == "COMPLETE")
        #expect(deleted["result"]?["deleted_count"] == 2)
        let left = await h.post(#"{"operation":"read_audit_log","schema":"dev","table":"dog"}"#)
        #expect(left.json.arrayValue?.count == 1)
        let txn = try await finishedJob(h, #"{"operation":"delete_transaction_logs_before","schema":"dev","table":"dog","timestamp":"\#(t3 + 1)"}"#)
        #expect(txn["result"]?["deleted_count"] == 1, "\(txn)")
        let missingTable = try await finishedJob(h, #"{"operation":"delete_audit_logs_before","schema":"dev","table":"cat","timestamp":1}"#)
        #expect(missingTable["status"] == "ERROR")
        #expect(missingTable["message"] == "Table 'dev.cat' does not exist")
        let missing = await h.post(#"{"operation":"delete_audit_logs_before","schema":"dev"}"#)
        #expect(missing.text == #"{"error":"'table' is required. 'timestamp' is required"}"#)
    }

    @Test func dropTableDropsItsAuditLog() async throws {
        let h = try await audited()
        _ = await h.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":1}]}"#)
        _ = await h.post(#"{"operation":"drop_table","database":"dev","table":"dog"}"#)
        _ = await h.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#)
        let fresh = await h.post(#"{"operation":"read_audit_log","schema":"dev","table":"dog"}"#)
        #expect(fresh.text == "[]")
    }
}
