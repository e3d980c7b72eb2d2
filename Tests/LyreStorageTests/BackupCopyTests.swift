import Foundation
import LyreCore
import LyreStorage
import LyreTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `Database.copy(to:)`, the snapshot under `get_backup`: a consistent point in time that
/// does not hold up writers.
@Suite struct BackupCopyTests {
    @Test func writesCommitWhileACopyIsBlockedAndTheCopyIsThePointInTimeBefore() async throws {
        let storage = try TemporaryStorage()
        let db = try storage.engine.createDatabase("dev")
        let payload = String(repeating: "x", count: 300)
        let records: [JSONObject] = (0..<2_000).map { ["id": .int(Int64($0)), "text": .string(payload)] }
        try db.writeSync { ctx in
            _ = try ctx.createTable("dog", primaryKey: "id")
            _ = try ctx.write(records, mode: .insert, to: "dog")
        }

        // A pipe nobody reads yet: the copy fills its buffer (64 KiB) and blocks mid-snapshot,
        // inside its read transaction.
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        let (readEnd, writeEnd) = (ends[0], ends[1])
        // The copy runs on a thread of its own, not in the cooperative pool: this test
        // blocks a pool thread in poll(2) below, and with the suites running in parallel on
        // two cores a pool task could wait behind it (CI once saw the copy never start).
        let copied = AsyncThrowingStream<Void, any Error>.makeStream()
        Thread.detachNewThread {
            defer { close(writeEnd) }
            do {
                try db.copy(to: writeEnd)
                copied.continuation.finish()
            } catch {
                copied.continuation.finish(throwing: error)
            }
        }
        // Wait until the copy has written its first bytes: it is then inside its read
        // transaction (a fixed sleep lost the race on a loaded machine).
        var ready = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
        #expect(poll(&ready, 1, 60_000) == 1, "the copy never started")
        try await Task.sleep(for: .milliseconds(20))  // let it fill the pipe and block

        // The writer is not held up by the copy.
        let written = try await db.write { ctx in
            try ctx.write([["id": 5_000, "text": "after"]], mode: .insert, to: "dog").written
        }
        #expect(written == [5_000])

        // Drain the pipe into a file and open it as a database of its own.
        let target = try TemporaryStorage()
        let output = open(target.root + "/database/dev.mdb", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            _ = buffer.withUnsafeBytes { write(output, $0.baseAddress, n) }
        }
        close(output)
        close(readEnd)
        for try await _ in copied.stream {}

        let restored = try target.reopened()
        defer { restored.close() }
        let copy = try #require(restored.database("dev"))
        let table = try #require(copy.table("dog"))
        let all = try copy.read { try $0.allRecords(in: table) }
        #expect(all.count == 2_000)
        #expect(try copy.read { try $0.record(in: table, id: 5_000) } == nil)
        #expect(try copy.read { try $0.record(in: table, id: 1_999) }?["text"] == .string(payload))
    }
}
