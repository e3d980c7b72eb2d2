import LyreCore
import LyreTestSupport
import Testing

/// A sorted, limited search over a tie group larger than the executor's duplicate chunk:
/// ties stay in primary-key order across chunk boundaries (nosql.md §7.4, inferred order).
@Suite struct SearchTieGroupTests {
    @Test(arguments: [false, true])
    func limitInsideALargeTieGroupKeepsPrimaryKeyOrder_inferred(descending: Bool) async throws {
        let lyre = try TestApplication()
        _ = await lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#)
        // 300 records share weight 5; ids 1000+ have weight 1 (after them when descending).
        let tied = (1...300).map { #"{"id":\#($0),"weight":5}"# }.joined(separator: ",")
        let light = (1000...1009).map { #"{"id":\#($0),"weight":1}"# }.joined(separator: ",")
        _ = await lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[\#(tied),\#(light)]}"#)
        let body = #"{"operation":"search_by_conditions","database":"dev","table":"dog","offset":60,"limit":70,"get_attributes":["id"],"sort":{"attribute":"weight","descending":\#(descending)},"conditions":[{"attribute":"weight","comparator":"greater_than","value":0}]}"#
        let ids = await lyre.post(body).json.arrayValue?.compactMap { $0["id"]?.intValue } ?? []
        let expected: [Int64] = descending ? Array(61...130) : Array(51...120)
        #expect(ids == expected)
    }
}
