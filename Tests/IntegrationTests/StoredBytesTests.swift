import Foundation
import LyreCore
import LyreTestSupport
import Testing

/// Issue 18 item 2 on the real binary: a bulk insert's audit entry (stored LZ4-compressed)
/// reads back whole through `read_audit_log`, and searches find records through index
/// entries that carry no data, before and after a restart.
@Suite struct StoredBytesIntegrationTests {
    @Test func aBulkInsertsAuditEntryAndIndexReadBackWholeAcrossARestart() async throws {
        let root = TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var lyre = try await LyreProcess(root: root, port: LyreProcess.freePort())
        defer { lyre.terminate() }
        #expect(try await lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#).status == 200)
        let records = (1...200).map { #"{"id":\#($0),"name":"name \#($0)","city":"City \#($0 % 7)","tags":["t\#($0 % 3)","all"]}"# }
        let inserted = try await lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[\#(records.joined(separator: ","))]}"#)
        #expect(inserted.status == 200, "\(inserted)")

        for round in 0..<2 {
            let log = try await lyre.post(#"{"operation":"read_audit_log","database":"dev","table":"dog"}"#)
            #expect(log.status == 200)
            let entry = log.json[0]
            #expect(log.json.arrayValue?.count == 1, "round \(round)")
            #expect(entry?["operation"]?.stringValue == "insert")
            #expect(entry?["hash_values"]?.arrayValue?.count == 200)
            #expect(entry?["records"]?[199]?["name"]?.stringValue == "name 200")
            let tags: [String] = entry?["records"]?[0]?["tags"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(tags == ["t1", "all"])
            let byKey = try await lyre.post(#"{"operation":"read_audit_log","database":"dev","table":"dog","search_type":"hash_value","search_values":[150]}"#)
            #expect(byKey.status == 200, "\(byKey)")

            let one = try await lyre.post(#"{"operation":"search_by_value","database":"dev","table":"dog","search_attribute":"name","search_value":"name 42","get_attributes":["id"]}"#)
            let oneIDs: [Int64] = one.json.arrayValue?.compactMap { $0["id"]?.intValue } ?? []
            #expect(oneIDs == [42], "\(one)")
            let city = try await lyre.post(#"{"operation":"search_by_value","database":"dev","table":"dog","search_attribute":"city","search_value":"City 3","get_attributes":["id"]}"#)
            let cityIDs = Set<Int64>(city.json.arrayValue?.compactMap { $0["id"]?.intValue } ?? [])
            let expectedCity: Set<Int64> = Set(Array<Int64>(1...200).filter { $0 % 7 == 3 })
            #expect(cityIDs == expectedCity)
            let tagged = try await lyre.post(#"{"operation":"search_by_conditions","database":"dev","table":"dog","get_attributes":["id"],"conditions":[{"search_attribute":"tags","search_type":"equals","search_value":"t2"},{"search_attribute":"id","search_type":"less_than","search_value":10}]}"#)
            let taggedIDs = Set<Int64>(tagged.json.arrayValue?.compactMap { $0["id"]?.intValue } ?? [])
            #expect(taggedIDs == [2, 5, 8], "\(tagged)")
            let sorted = try await lyre.post(#"{"operation":"sql","sql":"SELECT id FROM dev.dog WHERE name >= 'name 198' AND name <= 'name 20' ORDER BY name"}"#)
            let sortedIDs: [Int64] = sorted.json.arrayValue?.compactMap { $0["id"]?.intValue } ?? []
            #expect(sortedIDs == [198, 199, 2, 20], "\(sorted)")

            if round == 0 {
                lyre.terminate()
                lyre = try await LyreProcess(root: root, port: LyreProcess.freePort())
            }
        }
    }
}
