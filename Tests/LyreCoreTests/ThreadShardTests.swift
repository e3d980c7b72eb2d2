import Foundation
import LyreCore
import LyreTestSupport
import Synchronization
import Testing

@Suite struct ThreadShardTests {
    @Test func aThreadKeepsItsShardAndEveryIndexIsInRange() {
        for count in [1, 2, 3, 8, 16] {
            let first = ThreadShard.index(count: count)
            #expect((0..<count).contains(first))
            for _ in 0..<100 { #expect(ThreadShard.index(count: count) == first) }
        }
    }

    @Test func threadsSpreadOverTheShards() {
        // Sixteen threads over sixteen shards: hashing their identities must not put them
        // all on one (the point of sharding per thread).
        let indexes = Mutex<Set<Int>>([])
        onThreads(16) { _ in indexes.withLock { _ = $0.insert(ThreadShard.index(count: 16)) } }
        #expect(indexes.withLock { $0.count } > 1)
    }

    @Test func aThreadShardedValueGivesEachThreadItsOwnShard() {
        let counters = ThreadSharded<Int>(count: 4) { 0 }
        #expect(counters.mine === counters.mine)
        onThreads(8) { _ in counters.mine.state.withLock { $0 += 1 } }
        #expect(counters.shards.reduce(0) { $0 + $1.state.withLock { $0 } } == 8)
    }
}
