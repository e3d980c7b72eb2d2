import LyreOperations
import Testing

/// The order keeping of asynchronous publishing (`PublishWindow`), with a simulated stream:
/// several messages in flight, outcomes in any order, a failure sending the failed message
/// and all after it again, the outbox acknowledged only up to complete groups.
@Suite struct PublishWindowTests {
    typealias Window = PublishWindow<Int>

    static func messages(_ ids: [Int]) -> [Window.Message] {
        ids.map { Window.Message(id: "m\($0)", size: 10, payload: $0) }
    }

    /// Sends everything the window allows.
    static func drain(_ window: inout Window) -> [Int] {
        var sent: [Int] = []
        while let message = window.next() { sent.append(message.payload) }
        return sent
    }

    /// Records outcomes, then retires: (messages retired, outbox keys done).
    static func settle(_ window: inout Window, stored: [Int] = [], failed: [Int] = []) -> (Int, [String: UInt64]) {
        for id in stored { window.record(id: "m\(id)", stored: true) }
        for id in failed { window.record(id: "m\(id)", stored: false) }
        let retired = window.retire()
        return (retired.messages, retired.done)
    }

    @Test func keepsAtMostTheLimitInFlightAndAcknowledgesGroupsInOrderWhateverTheAckOrder() {
        var window = Window(limit: 3, byteLimit: 1 << 20)
        window.append(database: "dev", outboxKey: 10, messages: Self.messages([1, 2]))
        window.append(database: "dev", outboxKey: 11, messages: Self.messages([3]))
        window.append(database: "dev", outboxKey: 12, messages: Self.messages([4, 5]))
        let first = Self.drain(&window)
        #expect(first == [1, 2, 3])
        #expect(window.inFlightCount == 3)
        // The second group's message is stored first: nothing is done before the first group.
        var (retired, done) = Self.settle(&window, stored: [3])
        #expect(retired == 0)
        #expect(done.isEmpty)
        (retired, done) = Self.settle(&window, stored: [2])
        #expect(done.isEmpty)
        (retired, done) = Self.settle(&window, stored: [1])
        #expect(retired == 3)
        #expect(done == ["dev": 11])
        let second = Self.drain(&window)
        #expect(second == [4, 5])
        (retired, done) = Self.settle(&window, stored: [4])
        #expect(done.isEmpty, "half of group 12")
        (retired, done) = Self.settle(&window, stored: [5])
        #expect(done == ["dev": 12])
        #expect(window.isEmpty)
    }

    @Test func aFailedMessageAndAllAfterItAreSentAgainInOrderOnceEveryOutcomeIsIn() {
        var window = Window(limit: 10, byteLimit: 1 << 20)
        for key in 1...4 { window.append(database: "dev", outboxKey: UInt64(key), messages: Self.messages([key])) }
        let sent = Self.drain(&window)
        #expect(sent == [1, 2, 3, 4])
        // m4 is stored after the failed m2: sent again anyway.
        let (_, done) = Self.settle(&window, stored: [1, 4], failed: [2])
        #expect(done == ["dev": 1])
        #expect(window.hasFailure)
        // Nothing more goes out while a message is failed.
        window.append(database: "dev", outboxKey: 5, messages: Self.messages([5]))
        let held = Self.drain(&window)
        #expect(held.isEmpty)
        #expect(window.hasUnsent)
        // m3 has no outcome yet: not rewound before it has one.
        #expect(!window.allResolved)
        window.record(id: "m3", stored: true)
        #expect(window.allResolved)
        let first = window.rewind()
        #expect(first == "m2")
        let again = Self.drain(&window)
        #expect(again == [2, 3, 4, 5])
        let (retired, last) = Self.settle(&window, stored: [5, 4, 3, 2])
        #expect(retired == 4)
        #expect(last == ["dev": 5])
        #expect(window.isEmpty)
        #expect(!window.hasFailure && !window.hasUnsent)
    }

    @Test func aFailureReportedBeforeTheStoreOfTheSameMessageIsUndoneByIt() {
        // A timeout's failure, then the acknowledgement after all: stored, nothing to resend.
        var window = Window(limit: 1, byteLimit: 1 << 20)
        window.append(database: "dev", outboxKey: 1, messages: Self.messages([1, 2]))
        #expect(Self.drain(&window) == [1])
        #expect(window.hasUnsent, "m2 waits for room")
        window.record(id: "m1", stored: false)
        window.record(id: "m1", stored: false)
        #expect(window.hasFailure)
        window.record(id: "m1", stored: true)
        #expect(!window.hasFailure)
        let (retired, _) = window.retire()
        #expect(retired == 1)
        #expect(Self.drain(&window) == [2])
        #expect(!window.hasUnsent)
    }

    @Test func aMessageWithoutOutcomePastItsDeadlineFailsAndALateFailureDoesNotUndoAStore() {
        var window = Window(limit: 10, byteLimit: 1 << 20)
        window.append(database: "dev", outboxKey: 1, messages: Self.messages([1, 2]))
        let start = ContinuousClock.now
        _ = window.next(now: start)
        _ = window.next(now: start + .seconds(20))
        window.expire(sentBefore: start + .seconds(10))
        #expect(window.hasFailure)
        #expect(!window.allResolved, "m2 still waits")
        window.record(id: "m2", stored: true)
        window.record(id: "m2", stored: false)  // an earlier send's failure, reported late
        #expect(window.allResolved)
        let first = window.rewind()
        #expect(first == "m1")
        let again = Self.drain(&window)
        #expect(again == [1, 2])
        let unknown = window.record(id: "m9", stored: true)
        #expect(!unknown, "not in flight")
        let (retired, done) = Self.settle(&window, stored: [1, 2])
        #expect(retired == 2)
        #expect(done == ["dev": 1])
    }

    @Test func theByteLimitHoldsBackButOneMessageAlwaysGoes() {
        var window = Window(limit: 10, byteLimit: 25)
        window.append(database: "dev", outboxKey: 1, messages: [Window.Message(id: "big", size: 100, payload: 1)])
        window.append(database: "dev", outboxKey: 2, messages: Self.messages([2, 3, 4]))
        let first = Self.drain(&window)
        #expect(first == [1])
        window.record(id: "big", stored: true)
        _ = window.retire()
        let second = Self.drain(&window)
        #expect(second == [2, 3], "10 + 10 <= 25 < 30")
        #expect(window.unacknowledged == 3)
    }

    @Test func groupsOfSeveralDatabasesAndGroupsWithoutOutboxKeysOrMessages() {
        var window = Window(limit: 10, byteLimit: 1 << 20)
        window.append(database: "dev", outboxKey: 7, messages: Self.messages([1]))
        window.append(database: "system", outboxKey: nil, messages: Self.messages([2]))
        window.append(database: "prod", outboxKey: 3, messages: [])
        window.append(database: "dev", outboxKey: 8, messages: Self.messages([4]))
        let sent = Self.drain(&window)
        #expect(sent == [1, 2, 4])
        var (_, done) = Self.settle(&window, stored: [4, 2])
        #expect(done.isEmpty)
        (_, done) = Self.settle(&window, stored: [1])
        #expect(done == ["dev": 8, "prod": 3])
    }

    @Test func manyGroupsThroughASmallWindowKeepTheirOrderAcrossCompaction() {
        var window = Window(limit: 4, byteLimit: 1 << 20)
        for key in 1...3000 { window.append(database: "dev", outboxKey: UInt64(key), messages: Self.messages([key])) }
        var order: [Int] = []
        var lastDone: UInt64 = 0
        var increasing = true
        var rounds = 0
        while !window.isEmpty, rounds < 10_000 {
            rounds += 1
            let sent = Self.drain(&window)
            order += sent
            let (_, done) = Self.settle(&window, stored: sent.reversed())
            if let key = done["dev"] {
                increasing = increasing && key > lastDone
                lastDone = key
            }
        }
        #expect(increasing)
        #expect(order == Array(1...3000))
        #expect(lastDone == 3000)
    }
}
