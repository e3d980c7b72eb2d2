import Foundation
import LyreCore
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
        let group = DispatchGroup()
        var threads: [Thread] = []
        for _ in 0..<16 {
            group.enter()
            let thread = Thread {
                indexes.withLock { _ = $0.insert(ThreadShard.index(count: 16)) }
                group.leave()
            }
            threads.append(thread)
        }
        threads.forEach { $0.start() }
        group.wait()
        #expect(indexes.withLock { $0.count } > 1)
    }
}
