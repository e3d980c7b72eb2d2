import Foundation
import LyreCore
import LyreTestSupport
import Testing

/// Records wider than 32 attributes take the keyed paths of session 11 (the table's attribute
/// dictionary, `RecordLookup`, `RecordCodec.transcodeMany`, `ExecutionRow`'s positions),
/// which made a table of 3,000 attributes usable (minutes per request before): they must
/// answer exactly what the narrow paths answer.
@Suite struct WideTableTests {
    @Test func wideRecordsInsertUpdateSearchAndSelectExactly() async throws {
        let root = TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let lyre = try await LyreProcess(root: root, port: LyreProcess.freePort())
        defer { lyre.terminate() }
        #expect(try await lyre.post(#"{"operation":"create_table","database":"dev","table":"wide","primary_key":"id"}"#).status == 200)
        func record(_ id: Int, _ shift: Int) -> String {
            "{\"id\":\(id)," + (0..<40).map { "\"a\($0)\":\($0 + shift)" }.joined(separator: ",") + "}"
        }
        let inserted = try await lyre.post(#"{"operation":"insert","database":"dev","table":"wide","records":["# + record(1, 0) + "," + record(2, 100) + "]}")
        #expect(inserted.status == 200)
        // An update that changes some values, drops none: old index entries go, new ones come.
        let updated = try await lyre.post(#"{"operation":"update","database":"dev","table":"wide","records":[{"id":1,"a5":500,"a39":null}]}"#)
        #expect(updated.status == 200)
        let byOld = try await lyre.post(#"{"operation":"search_by_value","database":"dev","table":"wide","search_attribute":"a5","search_value":5,"get_attributes":["id"]}"#)
        #expect(byOld.text == "[]")
        let byNew = try await lyre.post(#"{"operation":"search_by_value","database":"dev","table":"wide","search_attribute":"a5","search_value":500,"get_attributes":["id","a0","a38","a39"]}"#)
        #expect(byNew.text == #"[{"id":1,"a0":0,"a38":38,"a39":null}]"#)
        let many = (0..<40).reversed().map { "\"a\($0)\"" }.joined(separator: ",")
        let picked = try await lyre.post(#"{"operation":"search_by_id","database":"dev","table":"wide","ids":[2],"get_attributes":["# + many + "]}")
        let expected = "[{" + (0..<40).reversed().map { "\"a\($0)\":\($0 + 100)" }.joined(separator: ",") + "}]"
        #expect(picked.text == expected)
        let sql = try await lyre.post(#"{"operation":"sql","sql":"SELECT a39, a0, id FROM dev.wide WHERE a1 > 0 ORDER BY id"}"#)
        #expect(sql.text == #"[{"a39":null,"a0":0,"id":1},{"a39":139,"a0":100,"id":2}]"#)
        let all = try await lyre.post(#"{"operation":"sql","sql":"SELECT * FROM dev.wide WHERE id = 2"}"#)
        #expect(all.json[0]?["a17"] == 117)
        #expect(all.json[0]?.objectValue?.count == 43)  // id, a0…a39, __createdtime__, __updatedtime__
        // A delete removes every index entry of the wide record.
        #expect(try await lyre.post(#"{"operation":"delete","database":"dev","table":"wide","ids":[2]}"#).status == 200)
        let gone = try await lyre.post(#"{"operation":"search_by_value","database":"dev","table":"wide","search_attribute":"a20","search_value":120,"get_attributes":["id"]}"#)
        #expect(gone.text == "[]")
    }
}
