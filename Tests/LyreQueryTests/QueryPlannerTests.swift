import LyreCore
import LyreQuery
import LyreStorage
import LyreTestSupport
import Testing

/// Which index and range the planner picks, and that running the plan returns the
/// right keys in the right order.
@Suite struct QueryPlannerTests {
    /// 100 dogs: `breed` has 10 values (10 records each), `age` 0...19, `name` "dog-<id>",
    /// `rare` set on id 7 only; `tags` arrays on even ids.
    static func dogs() throws -> (TestStorage, Database, TableDefinition) {
        let storage = try TestStorage()
        var records: [JSONObject] = []
        for id in 1...100 {
            var r = JSONObject()
            r["id"] = .int(Int64(id))
            r["breed"] = .int(Int64(id % 10))
            r["age"] = .int(Int64(id % 20))
            r["name"] = .string("dog-\(id)")
            if id == 7 { r["rare"] = true }
            if id % 2 == 0 { r["tags"] = [.string("t\(id % 3)"), .string("all")] }
            records.append(r)
        }
        let (db, table) = try storage.table("dog", records: records)
        return (storage, db, table)
    }

    static func plan(_ query: Query, _ db: Database, _ table: TableDefinition) throws -> (QueryPlan, [Value]) {
        try db.read { txn in
            let plan = try QueryPlanner.plan(query, table: table, in: txn)
            return (plan, try QueryExecutor.primaryKeys(plan, table: table, in: txn))
        }
    }

    @Test func equalsIsAnIndexPoint() throws {
        let (storage, db, table) = try Self.dogs()
        let (plan, keys) = try Self.plan(Query(filter: .condition(Condition("breed", .equals, 3))), db, table)
        #expect(plan.access == .index(attribute: "breed", .point(3)))
        #expect(plan.estimate == 10)
        #expect(plan.streamed)
        #expect(keys == [3, 13, 23, 33, 43, 53, 63, 73, 83, 93])
        _ = storage
    }

    @Test func primaryKeyConditionsUseTheRecords() throws {
        let (storage, db, table) = try Self.dogs()
        let (point, keys) = try Self.plan(Query(filter: .condition(Condition("id", .equals, 42))), db, table)
        #expect(point.access == .records(.point(42)))
        #expect(keys == [42])
        let (range, rangeKeys) = try Self.plan(Query(filter: .condition(Condition("id", .greaterThan, 97))), db, table)
        #expect(range.access == .records(.range(lower: 97, lowerInclusive: false, upper: nil, upperInclusive: false, tag: KeyCodec.numberTag)))
        #expect(range.streamed)
        #expect(rangeKeys == [98, 99, 100])
        _ = storage
    }

    @Test func betweenIsAnInclusiveRangeOrderedByValue() throws {
        let (storage, db, table) = try Self.dogs()
        let (plan, keys) = try Self.plan(Query(filter: .condition(Condition("age", .between, [18, 19]))), db, table)
        #expect(plan.access == .index(attribute: "age", .range(lower: 18, lowerInclusive: true, upper: 19, upperInclusive: true, tag: KeyCodec.numberTag)))
        #expect(keys == [18, 38, 58, 78, 98, 19, 39, 59, 79, 99])
        _ = storage
    }

    @Test func startsWithIsAPrefixRange() throws {
        let (storage, db, table) = try Self.dogs()
        let (plan, keys) = try Self.plan(Query(filter: .condition(Condition("name", .startsWith, "dog-10"))), db, table)
        #expect(plan.access == .index(attribute: "name", .prefix("dog-10")))
        #expect(keys == [10, 100])
        _ = storage
    }

    @Test func andStartsFromTheMostSelectiveIndex() throws {
        let (storage, db, table) = try Self.dogs()
        let filter = Filter.and([
            .condition(Condition("age", .greaterThanEqual, 0)),
            .condition(Condition("rare", .equals, true)),
        ])
        let (plan, keys) = try Self.plan(Query(filter: filter), db, table)
        #expect(plan.access == .index(attribute: "rare", .point(true)))
        #expect(plan.estimate == 1)
        #expect(!plan.streamed)  // ordered by age (the first condition), collected
        #expect(keys == [7])
        _ = storage
    }

    @Test func orUnionsAndDeduplicates() throws {
        let (storage, db, table) = try Self.dogs()
        let filter = Filter.or([
            .condition(Condition("breed", .equals, 1)),
            .condition(Condition("age", .equals, 1)),
        ])
        let (plan, keys) = try Self.plan(Query(filter: filter), db, table)
        #expect(plan.access == .union([.index(attribute: "breed", .point(1)), .index(attribute: "age", .point(1))]))
        #expect(keys == [1, 11, 21, 31, 41, 51, 61, 71, 81, 91])
        _ = storage
    }

    @Test func containsScansIndexKeysNotRecords() throws {
        let (storage, db, table) = try Self.dogs()
        let condition = Condition("name", .contains, "-9")
        let (plan, keys) = try Self.plan(Query(filter: .condition(condition)), db, table)
        #expect(plan.access == .keyScan(attribute: "name", condition))
        #expect(keys == [9] + Array(90...99).map { Value.int(Int64($0)) })
        _ = storage
    }

    @Test func notEqualNeedsEveryPrimaryKey() throws {
        let (storage, db, table) = try Self.dogs()
        let (plan, keys) = try Self.plan(Query(filter: .condition(Condition("rare", .notEqual, true))), db, table)
        #expect(plan.access == .records(.all))
        #expect(keys.count == 99)
        #expect(!keys.contains(7))
        _ = storage
    }

    @Test func sortedLimitStreamsFromTheSortIndex() throws {
        let (storage, db, table) = try Self.dogs()
        let query = Query(filter: nil, sort: [SortKey("age", descending: true)], limit: 3)
        let (plan, keys) = try Self.plan(query, db, table)
        #expect(plan.access == .index(attribute: "age", .all))
        #expect(plan.streamed)
        #expect(keys == [19, 39, 59])
        _ = storage
    }

    @Test func sortWithNextBreaksTiesThenPrimaryKey() throws {
        let (storage, db, table) = try Self.dogs()
        let query = Query(filter: .condition(Condition("age", .lessThan, 2)),
                          sort: [SortKey("breed", descending: true), SortKey("age")], limit: 4)
        let (_, keys) = try Self.plan(query, db, table)
        // age 0 or 1: ids 20,40,60,80,100 (breed 0) and 1,21,41,61,81 (breed 1).
        #expect(keys == [1, 21, 41, 61])
        _ = storage
    }

    @Test func arrayValuesMatchPerElementOnce() throws {
        let (storage, db, table) = try Self.dogs()
        let (plan, keys) = try Self.plan(Query(filter: .condition(Condition("tags", .startsWith, "t")), limit: 5), db, table)
        #expect(plan.access == .index(attribute: "tags", .prefix("t")))
        // Ordered by the matching tag: t0 (ids divisible by 6), then t1, ...
        #expect(keys == [6, 12, 18, 24, 30])
        _ = storage
    }

    @Test func recordsLackingTheSortAttributeComeLast() throws {
        let (storage, db, table) = try Self.dogs()
        let query = Query(filter: .condition(Condition("id", .lessThanEqual, 3)), sort: [SortKey("tags")])
        let (_, keys) = try Self.plan(query, db, table)
        #expect(keys == [2, 1, 3])
        _ = storage
    }

    @Test func valuesLongerThanTheKeyLimitAreRecheckedAgainstTheRecord() throws {
        let storage = try TestStorage()
        let stem = String(repeating: "x", count: 600)
        let records: [JSONObject] = (1...4).map { JSONObject([("id", .int(Int64($0))), ("text", .string(stem + "\($0)"))]) }
        let (db, table) = try storage.table("long", records: records)
        for (comparator, value, expected) in [
            (Comparator.equals, Value.string(stem + "3"), [Value.int(3)]),
            (.greaterThan, .string(stem + "2"), [3, 4]),
            (.lessThan, .string(stem + "2"), [1]),
            (.between, [.string(stem + "2"), .string(stem + "3")], [2, 3]),
            (.startsWith, .string(stem + "4"), [4]),
            (.endsWith, "1", [1]),
        ] {
            let (_, keys) = try Self.plan(Query(filter: .condition(Condition("text", comparator, value))), db, table)
            #expect(keys == expected, "\(comparator)")
        }
    }

    @Test func planDescriptionNamesTheAccessPath() throws {
        let (storage, db, table) = try Self.dogs()
        let (plan, _) = try Self.plan(Query(filter: .condition(Condition("breed", .equals, 3)), limit: 2), db, table)
        #expect(plan.description.hasPrefix("index(breed = 3); ~10"))
        #expect(plan.description.hasSuffix("streamed; limit 2"))
        _ = storage
    }
}
