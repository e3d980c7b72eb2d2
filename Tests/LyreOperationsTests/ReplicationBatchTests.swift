@testable import LyreOperations
import Testing

/// Whether a fetched batch continues a subscriber's position without a hole
/// (`ReplicationSubscriber.firstMissing`): the condition for acknowledging the whole batch
/// with one cumulative acknowledgement of its newest message.
@Suite struct ReplicationBatchTests {
    @Test func aBatchThatContinuesThePositionHasNothingMissing() {
        #expect(ReplicationSubscriber.firstMissing([10, 11, 12], expected: 10) == nil)
        #expect(ReplicationSubscriber.firstMissing([], expected: 10) == nil)
    }

    @Test func redeliveriesOfAppliedMessagesBeforeTheNewOnesAreNoHole() {
        #expect(ReplicationSubscriber.firstMissing([7, 8, 9, 10, 11], expected: 10) == nil)
        #expect(ReplicationSubscriber.firstMissing([8, 9], expected: 10) == nil)
    }

    @Test func aSkippedSequenceIsReportedAtTheStartOrInside() {
        #expect(ReplicationSubscriber.firstMissing([12, 13], expected: 10) == 10)
        #expect(ReplicationSubscriber.firstMissing([10, 11, 13], expected: 10) == 12)
        #expect(ReplicationSubscriber.firstMissing([8, 9, 11], expected: 10) == 10)
    }

    @Test func anUnknownPositionChecksNothing() {
        #expect(ReplicationSubscriber.firstMissing([12, 20], expected: 0) == nil)
    }
}
