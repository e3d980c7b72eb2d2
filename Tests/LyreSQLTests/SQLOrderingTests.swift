import LyreCore
import LyreSQL
import Testing

/// sql.md §4.5 and the §12.4 orderings.
@Suite struct SQLOrderingTests {
    @Test func stringsByCodeUnits() {
        let names: [Value?] = ["Rex", "Tom", "bubbles", "Luna", "Zed"]
        let sorted = SQLOrdering.sorted(names, keys: { [$0] }, descending: [false])
        #expect(sorted == ["Luna", "Rex", "Tom", "Zed", "bubbles"])
    }

    @Test func nullsActLikeZeroOrEmpty() {
        let ages: [Value?] = [3, 7, 1, .null, 11]
        #expect(SQLOrdering.sorted(ages, keys: { [$0] }, descending: [false]) == [.null, 1, 3, 7, 11])
        #expect(SQLOrdering.sorted(ages, keys: { [$0] }, descending: [true]) == [11, 7, 3, 1, .null])
        #expect(SQLOrdering.sorted([-1, .null, 2], keys: { [$0] }, descending: [false]) == [-1, .null, 2])
    }

    @Test func severalKeysAndStability() {
        let rows: [(String, String)] = [("dog", "Rex"), ("cat", "Tom"), ("fish", "bubbles"), ("cat", "Luna"), ("dog", "Zed")]
        let sorted = SQLOrdering.sorted(rows, keys: { [.string($0.0), .string($0.1)] }, descending: [true, false])
        #expect(sorted.map(\.1) == ["bubbles", "Rex", "Zed", "Luna", "Tom"])
        let stable = SQLOrdering.sorted(rows, keys: { [.string($0.0)] }, descending: [false])
        #expect(stable.map(\.1) == ["Tom", "Luna", "Rex", "Zed", "bubbles"])
    }
}
