import Foundation
import LyreCore
import LyreTestSupport
import Testing

@Suite struct BackupTests {
    /// Every record of `table` via search_by_id over ids 0..<n (independent of search operations).
    func byID(_ h: Harness, table: String, count: Int) async -> Value {
        let ids = (0..<count).map(String.init).joined(separator: ",")
        return await h.post(#"{"operation":"search_by_id","database":"dev","table":"\#(table)","ids":[\#(ids)],"get_attributes":["*"]}"#).json
    }

    @Test func snapshotWhileWritingRestoresIntoAFreshRoot() async throws {
        let h = try Harness()
        _ = await h.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#)
        _ = await h.post(#"{"operation":"create_table","database":"dev","table":"cat","primary_key":"id"}"#)
        let batch = (0..<200).map { #"{"id":\#($0),"name":"dog \#($0)","tags":["a",\#($0)]}"# }.joined(separator: ",")
        _ = await h.post(#"{"operation":"insert","database":"dev","table":"dog","records":[\#(batch)]}"#)
        _ = await h.post(#"{"operation":"insert","database":"dev","table":"cat","records":[{"id":0,"name":"tom"}]}"#)

        // Writes go on while the backup is taken.
        let writer = Task {
            for i in 1000..<1050 { _ = await h.post(#"{"operation":"insert","database":"dev","table":"cat","records":[{"id":\#(i)}]}"#) }
        }
        let backup = await h.post(#"{"operation":"get_backup","database":"dev"}"#)
        await writer.value
        #expect(backup.status == 200)
        #expect(h.header("Content-Disposition", in: backup) == #"attachment; filename="dev""#)
        #expect(h.header("Date", in: backup)?.hasSuffix("Z") == true)
        #expect(backup.body.count > 0)

        let original = await byID(h, table: "dog", count: 200)
        #expect(original.arrayValue?.count == 200)

        // Restore: the file goes to <root>/database/dev.mdb of a new root.
        let root = TestApplication.temporaryRoot()
        try FileManager.default.createDirectory(atPath: root + "/database", withIntermediateDirectories: true)
        try Data(backup.body).write(to: URL(fileURLWithPath: root + "/database/dev.mdb"))
        let restored = try Harness(root: root)
        #expect(await byID(restored, table: "dog", count: 200) == original)
        let cats = await restored.post(#"{"operation":"describe_table","database":"dev","table":"cat"}"#)
        #expect(cats.status == 200)
        let tom = await restored.post(#"{"operation":"search_by_id","database":"dev","table":"cat","ids":[0],"get_attributes":["name"]}"#)
        #expect(tom.text == #"[{"name":"tom"}]"#)
    }

    @Test func tableSubsetKeepsOnlyThoseTablesInferred() async throws {
        let h = try Harness()
        _ = await h.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#)
        _ = await h.post(#"{"operation":"create_table","database":"dev","table":"cat","primary_key":"id"}"#)
        _ = await h.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":1}]}"#)
        let backup = await h.post(#"{"operation":"get_backup","database":"dev","table":"dog"}"#)
        #expect(backup.status == 200)
        let root = TestApplication.temporaryRoot()
        try FileManager.default.createDirectory(atPath: root + "/database", withIntermediateDirectories: true)
        try Data(backup.body).write(to: URL(fileURLWithPath: root + "/database/dev.mdb"))
        let restored = try Harness(root: root)
        #expect(await restored.post(#"{"operation":"describe_table","database":"dev","table":"dog"}"#).status == 200)
        #expect(await restored.post(#"{"operation":"describe_table","database":"dev","table":"cat"}"#).status == 404)
    }

    @Test func errors() async throws {
        let h = try Harness()
        let missing = await h.post(#"{"operation":"get_backup","database":"nope"}"#)
        #expect(missing.status == 404)
        let table = await h.post(#"{"operation":"get_backup","database":"data","tables":["ghost"]}"#)
        #expect(table.status == 404 && table.text == #"{"error":"Can not find table ghost"}"#)
    }
}
