import Foundation
import LyreCore
import LyreOperations
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

    /// A restored copy of `bytes` as the `dev` database of a new root.
    func restore(_ bytes: [UInt8]) throws -> Harness {
        let root = TestApplication.temporaryRoot()
        try FileManager.default.createDirectory(atPath: root + "/database", withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: root + "/database/dev.mdb"))
        return try Harness(root: root)
    }

    /// `count` records of about 1 KiB each in `dev.dog`, inserted in batches.
    func fill(_ h: Harness, count: Int) async {
        _ = await h.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#)
        let text = String(repeating: "woof ", count: 200)
        for start in stride(from: 0, to: count, by: 500) {
            let batch = (start..<min(count, start + 500)).map { #"{"id":\#($0),"text":"\#(text)\#($0)"}"# }
            _ = await h.post(#"{"operation":"insert","database":"dev","table":"dog","records":[\#(batch.joined(separator: ","))]}"#)
        }
    }

    @Test func aLargeBackupIsStreamedInBoundedChunks() async throws {
        let h = try Harness()
        await fill(h, count: 3_000)
        let response = await h.respond(#"{"operation":"get_backup","database":"dev"}"#)
        #expect(response.status == 200)
        guard case .stream(let stream) = response.body else {
            Issue.record("get_backup did not stream: \(response.body)")
            return
        }
        // Several megabytes, never more than one chunk at a time.
        #expect(stream.length > 8 * stream.chunkSize)
        var bytes: [UInt8] = []
        var chunks = 0
        while let chunk = try await stream.next() {
            #expect(!chunk.isEmpty && chunk.count <= stream.chunkSize)
            chunks += 1
            bytes += chunk
        }
        #expect(stream.isClosed)
        #expect(chunks == (stream.length + stream.chunkSize - 1) / stream.chunkSize)
        #expect(bytes.count == stream.length)
        // Nothing is left behind under the root.
        #expect((try? FileManager.default.contentsOfDirectory(atPath: h.root + "/tmp/backups")) ?? [] == [])

        let restored = try restore(bytes)
        #expect(await byID(restored, table: "dog", count: 3_000) == (await byID(h, table: "dog", count: 3_000)))
    }

    @Test func writesGoOnWhileABackupIsReadAndStayOutOfIt() async throws {
        let h = try Harness()
        await fill(h, count: 2_000)
        let response = await h.respond(#"{"operation":"get_backup","database":"dev"}"#)
        guard case .stream(let stream) = response.body else {
            Issue.record("get_backup did not stream")
            return
        }
        let first = try #require(try await stream.next())
        // Mid-backup: writes, updates and deletes all complete.
        #expect(await h.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":9000,"text":"late"}]}"#).status == 200)
        #expect(await h.post(#"{"operation":"update","database":"dev","table":"dog","records":[{"id":1,"text":"changed"}]}"#).status == 200)
        #expect(await h.post(#"{"operation":"delete","database":"dev","table":"dog","ids":[2]}"#).status == 200)
        let rest = try await stream.collect()

        // The backup is the moment the operation started.
        let restored = try restore(first + rest)
        let late = await restored.post(#"{"operation":"search_by_id","database":"dev","table":"dog","ids":[9000,1,2],"get_attributes":["id","text"]}"#)
        let found = late.json.arrayValue ?? []
        #expect(found.map { $0["id"] } == [1, 2])
        #expect(found.first?["text"]?.stringValue?.hasPrefix("woof") == true)
    }

    @Test func aStreamLeftUnreadLeavesNoFileBehind() async throws {
        let h = try Harness()
        _ = await h.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#)
        let response = await h.respond(#"{"operation":"get_backup","database":"dev"}"#)
        guard case .stream(let stream) = response.body else {
            Issue.record("get_backup did not stream")
            return
        }
        // The file was unlinked as soon as it was open; closing releases its space.
        #expect((try? FileManager.default.contentsOfDirectory(atPath: h.root + "/tmp/backups")) ?? [] == [])
        stream.close()
        #expect(stream.isClosed)
        await #expect(throws: ByteStreamError.self) { try await stream.next() }
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
