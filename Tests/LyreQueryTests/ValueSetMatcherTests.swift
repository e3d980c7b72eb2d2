import LyreCore
import LyreQuery
import LyreStorage
import LyreTestSupport
import Testing

/// Many `equals` conditions on one attribute in an `or` (and many `not_equal` in an `and`)
/// are matched by one hash lookup per record (`ValueSet`, session 12); the answers must be
/// the brute force's, over mixed types, arrays and missing attributes.
@Suite struct ValueSetMatcherTests {
    @Test(arguments: [4, 5, 6] as [UInt64])
    func manyEqualsAndNotEqualsMatchBruteForce(_ seed: UInt64) throws {
        let (storage, db, table, records) = try ComparatorPropertyTests.table(seed: seed, count: 200)
        var g = SplitMix64(seed: seed &* 31)
        for _ in 0..<20 {
            let attribute = ComparatorPropertyTests.attributes.randomElement(using: &g)!
            let values = (0..<Int.random(in: 8...30, using: &g)).map { _ in
                ComparatorPropertyTests.scalars.randomElement(using: &g)!
            }
            // Some conditions of another comparator or attribute beside the group.
            let others: [Filter] = (0..<Int.random(in: 0...2, using: &g)).map { _ in
                .condition(ComparatorPropertyTests.randomCondition(&g))
            }
            for filter in [
                Filter.or(values.map { .condition(Condition(attribute, .equals, $0)) } + others),
                Filter.and(values.map { .condition(Condition(attribute, .notEqual, $0)) } + others),
            ] {
                let expected = records.filter { ComparatorPropertyTests.matches(filter, $0) }.map { $0["id"]! }
                let got = try ComparatorPropertyTests.run(Query(filter: filter, sort: [SortKey("id")]), db, table)
                #expect(got == expected, "\(filter)")
            }
        }
        _ = storage
    }

    @Test func tenThousandEqualsOverTwentyThousandRecordsAnswerAtOnce() throws {
        // 2·10^8 condition checks before the ValueSet (minutes in a debug build).
        let records = (0..<20_000).map { i in JSONObject([("id", .int(Int64(i))), ("x", .int(Int64(i * 2)))]) }
        let storage = try TestStorage()
        let (db, table) = try storage.table("big", records: records)
        let equals = Filter.or((0..<10_000).map { .condition(Condition("x", .equals, .int(Int64($0 * 3)))) })
        let hits = try ComparatorPropertyTests.run(Query(filter: equals, sort: [SortKey("id")]), db, table)
        #expect(hits.count == 5_000 && hits.first == .int(0) && hits.last == .int(14_997))
        let notEquals = Filter.and((0..<10_000).map { .condition(Condition("x", .notEqual, .int(Int64($0 * 3)))) })
        let rest = try ComparatorPropertyTests.run(Query(filter: notEquals, sort: [SortKey("id")]), db, table)
        #expect(rest.count == 15_000 && rest.first == .int(1))
    }
}
