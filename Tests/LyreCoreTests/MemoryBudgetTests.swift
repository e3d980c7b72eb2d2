import LyreCore
import Testing

/// `JSON.parse(_:charging:)`: the parsed tree's memory is reserved while parsing, a tree
/// past what the budget leaves is a 413, and every byte comes back.
@Suite struct MemoryBudgetTests {
    static func emptyArrays(_ count: Int) -> [UInt8] {
        Array(("[" + Array(repeating: "[]", count: count).joined(separator: ",") + "]").utf8)
    }

    static func records(_ count: Int) -> [UInt8] {
        var text = #"{"operation":"insert","database":"dev","table":"dog","records":["#
        for i in 0..<count {
            if i > 0 { text += "," }
            text += #"{"id":\#(i),"name":"a dog called number \#(i)","age":\#(i % 20),"owner":"Kyle"}"#
        }
        return Array((text + "]}").utf8)
    }

    @Test func aTreeLargerThanTheBudgetIs413AndGivesItsReservationBack() throws {
        let budget = MemoryBudget(limit: 4 << 20)
        let body = Self.emptyArrays(400_000)  // 1.2 MB of text, several times that parsed
        #expect(throws: LyreError.self) { _ = try JSON.parse(body, charging: budget) }
        do {
            _ = try JSON.parse(body, charging: budget)
        } catch let error as LyreError {
            #expect(error.status == 413)
            #expect(error.message == "Request body too large")
        }
        #expect(budget.reserved == 0)
    }

    @Test func ordinaryRecordsFitAndTheirReservationIsReleasedWithTheTree() throws {
        let budget = MemoryBudget(limit: 256 << 20)
        let body = Self.records(50_000)
        do {
            let (value, reservation) = try JSON.parse(body, charging: budget)
            #expect(value.objectValue?["records"]?.arrayValue?.count == 50_000)
            #expect(reservation.bytes >= body.count, "the estimate must cover at least the text")
            #expect(reservation.bytes <= 12 * body.count, "records must not be charged far past their size")
            #expect(budget.reserved == reservation.bytes)
        }
        #expect(budget.reserved == 0)
    }

    @Test func reservationsOfConcurrentParsesAddUp() throws {
        let budget = MemoryBudget(limit: 8 << 20)
        let body = Self.records(10_000)
        var held: [MemoryBudget.Reservation] = []
        var refused = false
        for _ in 0..<20 {
            do { held.append(try JSON.parse(body, charging: budget).1) } catch { refused = true; break }
        }
        #expect(refused, "parses holding their trees must run out of an 8 MiB budget")
        #expect(budget.reserved == held.reduce(0) { $0 + $1.bytes })
        held.removeAll()
        #expect(budget.reserved == 0)
    }

    @Test func aPrepaidReservationIsUsedFirstAndTrimmedToTheTree() throws {
        let budget = MemoryBudget(limit: 64 << 20)
        let body = Self.records(1_000)
        #expect(budget.reserve(8 * body.count))
        let handed = MemoryBudget.Reservation(bytes: 8 * body.count, budget: budget)
        do {
            let (_, tree) = try JSON.parse(body, charging: budget, prepaid: handed.take())
            #expect(tree.bytes < 8 * body.count)
            #expect(budget.reserved == tree.bytes, "the part of the body's reservation the tree does not need is back")
        }
        #expect(budget.reserved == 0)
        // Refused: the prepaid bytes come back too.
        let small = MemoryBudget(limit: 2 << 20)
        #expect(small.reserve(1 << 20))
        #expect(throws: LyreError.self) { _ = try JSON.parse(Self.emptyArrays(400_000), charging: small, prepaid: 1 << 20) }
        #expect(small.reserved == 0)
    }

    @Test func reserveRefusesPastTheLimitAndReleaseGivesBack() {
        let budget = MemoryBudget(limit: 100)
        #expect(budget.reserve(60))
        #expect(!budget.reserve(41))
        #expect(budget.reserve(40))
        #expect(!budget.reserve(1))
        budget.release(100)
        #expect(!budget.reserve(101))
        #expect(budget.reserved == 0)
    }
}
