import LyreCore
import LyreTestSupport
import Testing

/// Searches through `POST /` right after acknowledged single-record writes. Such writes
/// leave their index changes in the storage's backlog (docs/architecture.md, "The index
/// backlog"); a search must still see exactly what was acknowledged. The spec does not
/// say it in words (inferred: what a Harper user expects of a database).
@Suite struct ReadAfterWriteTests {
    private func ids(_ response: TestResponse) -> [Int64] {
        (response.json.arrayValue ?? []).compactMap { $0["id"]?.intValue }.sorted()
    }

    private func byKind(_ lyre: TestApplication, _ kind: String) async -> [Int64] {
        ids(await lyre.post(#"{"operation":"search_by_value","database":"dev","table":"dog","search_attribute":"kind","search_value":"\#(kind)","get_attributes":["id"]}"#))
    }

    @Test func inferredSearchesSeeEveryAcknowledgedSingleRecordWriteAtOnce() async throws {
        let lyre = try TestApplication()
        _ = await lyre.post(#"{"operation":"create_database","database":"dev"}"#)
        _ = await lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#)

        // Concurrent single-record inserts: they share group commits.
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<40 {
                group.addTask {
                    let kind = i % 2 == 0 ? "even" : "odd"
                    let r = await lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":\#(i),"kind":"\#(kind)","n":\#(i)}]}"#)
                    #expect(r.status == 200)
                }
            }
        }
        #expect(await byKind(lyre, "even") == Array(stride(from: 0, to: 40, by: 2)))

        // Updates that move records between values, and deletes, then every kind of search.
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<10 {
                group.addTask {
                    let r = await lyre.post(#"{"operation":"update","database":"dev","table":"dog","records":[{"id":\#(i),"kind":"odd"}]}"#)
                    #expect(r.status == 200)
                }
            }
            for i in 30..<40 {
                group.addTask {
                    let r = await lyre.post(#"{"operation":"delete","database":"dev","table":"dog","ids":[\#(i)]}"#)
                    #expect(r.status == 200)
                }
            }
        }
        #expect(await byKind(lyre, "even") == Array(stride(from: 10, to: 30, by: 2)))
        #expect(await byKind(lyre, "odd") == Array(0..<10) + Array(stride(from: 11, to: 30, by: 2)))
        let conditions = await lyre.post(#"{"operation":"search_by_conditions","database":"dev","table":"dog","get_attributes":["id"],"conditions":[{"search_attribute":"n","search_type":"between","search_value":[5,12]}]}"#)
        #expect(ids(conditions) == Array(5...12))
        let sql = await lyre.post(#"{"operation":"sql","sql":"SELECT COUNT(*) AS c FROM dev.dog WHERE kind = 'odd'"}"#)
        #expect(sql.text == #"[{"c":20}]"#)
    }
}
