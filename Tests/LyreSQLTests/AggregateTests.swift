import LyreCore
import LyreSQL
import Testing

/// sql-functions.md §2 over the conf.pet data of sql.md §12.1.
@Suite struct AggregateTests {
    static let ages: [Value] = [3, 7, 1, .null, 11]
    static let weights: [Value] = [12.5, 4.2, 0.1, 3.9, 30]
    static let names: [Value] = ["Rex", "Tom", "bubbles", "Luna", "Zed"]
    static let species: [Value] = ["dog", "cat", "fish", "cat", "dog"]
    static let owners: [Value] = [10, 11, 10, 12, 99]

    private func run(_ kind: AggregateKind, _ values: [Value], distinct: Bool = false, countsRows: Bool = false) -> Value? {
        var acc = kind.makeAccumulator(distinct: distinct, countsRows: countsRows)
        for v in values { acc.add(v) }
        return acc.result()
    }

    @Test func counts() {
        #expect(run(.count, Self.ages, countsRows: true) == 5)
        #expect(run(.count, Self.ages) == 4)
        #expect(run(.count, Self.species, distinct: true) == 3)
        #expect(run(.count, Self.owners, distinct: true) == 4)
        #expect(run(.count, []) == 0)
    }

    @Test func sumsAndAverages() {
        #expect(run(.sum, Self.ages) == 22)
        #expect(run(.sum, Self.weights) == .double(50.7))
        #expect(run(.sum, Self.owners, distinct: true) == 132)
        #expect(run(.sum, []) == 0)
        #expect(run(.sum, [.null, .null]) == .null)
        #expect(run(.sum, [1, "x"]) == .null)
        #expect(run(.total, Self.ages) == 22)
        #expect(run(.total, [.null, "x"]) == 0)
        #expect(run(.avg, Self.ages) == .double(5.5))
        #expect(run(.avg, []) == nil)
        #expect(run(.avg, [.null]) == .null)
        #expect(run(.avg, [.null, .null]) == nil)
        #expect(run(.mean, Self.ages) == .double(5.5))
    }

    @Test func minMax() {
        #expect(run(.min, Self.ages) == 1)
        #expect(run(.max, Self.weights) == 30)
        #expect(run(.min, Self.names) == .null)
        #expect(run(.max, []) == nil)
    }

    @Test func collections() {
        #expect(run(.groupConcat, ["Tom", "Luna"]) == "Tom,Luna")
        #expect(run(.groupConcat, Self.ages) == "3,7,1,null,11")
        #expect(run(.array, Self.ages) == [3, 7, 1, .null, 11])
        #expect(run(.first, Self.names) == "Rex")
        #expect(run(.last, Self.names) == "Zed")
        #expect(run(.mode, Self.owners) == [10])
        #expect(run(.mode, Self.species) == ["dog", "cat"])
    }

    @Test func statistics() {
        #expect(run(.median, Self.ages) == 5)
        #expect(run(.median, Self.weights) == .double(4.2))
        #expect(run(.prod, Self.ages) == 231)
        #expect(run(.mad, Self.ages) == 3)
        let nonNull: [Value] = [3, 7, 1, 11]
        #expect(run(.stdev, nonNull) == .double(4.43471156521669))
        #expect(run(.variance, nonNull) == .double(19.666666666666668))
        #expect(run(.varp, nonNull) == .double(14.75))
        #expect(run(.stdevp, nonNull) == .double(3.840572873934304))
        #expect(run(.quart, nonNull) == 3)
        #expect(run(.quart2, nonNull) == 7)
        #expect(run(.quart3, nonNull) == 11)
    }

    @Test(arguments: [
        ("count", 1, AggregateKind.count), ("Avg", 1, .avg), ("ARRAY", 1, .array), ("total", 1, .total),
        ("group_concat", 1, .groupConcat), ("GROUP_CONCAT", 1, .groupConcat), ("STDEV", 1, .stdev),
        ("QUART2", 1, .quart2), ("VAR", 1, .variance),
    ])
    func names(name: String, count: Int, kind: AggregateKind) {
        #expect(AggregateKind(callName: name, argumentCount: count) == kind)
    }

    @Test func spellingsThatAreNotAggregates() {
        #expect(AggregateKind(callName: "stdev", argumentCount: 1) == nil)
        #expect(AggregateKind(callName: "Group_Concat", argumentCount: 1) == nil)
        #expect(AggregateKind(callName: "MAX", argumentCount: 2) == nil)
        #expect(AggregateKind(callName: "UPPER", argumentCount: 1) == nil)
    }
}
