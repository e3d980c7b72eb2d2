import Foundation
import LyreAuth
import LyreTestSupport
import Testing

@Suite struct CredentialCacheTests {
    let header = "Basic SERCX0FETUlOOnBhc3N3b3Jk"

    @Test func storedEntriesAreFound() {
        let cache = CredentialCache<String>()
        #expect(cache.subject(for: header) == nil)
        cache.store(header, subject: "HDB_ADMIN", generation: cache.generation)
        #expect(cache.subject(for: header) == "HDB_ADMIN")
        #expect(cache.subject(for: header + " ") == nil, "keys are the exact header value")
    }

    @Test func invalidateAllForgetsEverythingAndBumpsTheGeneration() {
        let cache = CredentialCache<String>()
        let before = cache.generation
        cache.store(header, subject: "HDB_ADMIN", generation: before)
        cache.invalidateAll()
        #expect(cache.generation == before + 1)
        #expect(cache.subject(for: header) == nil)
        #expect(cache.count == 0)
    }

    @Test func aVerificationThatRacedAnInvalidationIsNotStored() {
        let cache = CredentialCache<String>()
        let generation = cache.generation   // read before hashing
        cache.invalidateAll()               // a user changed meanwhile
        cache.store(header, subject: "HDB_ADMIN", generation: generation)
        #expect(cache.subject(for: header) == nil)
    }

    @Test func entriesExpire() async throws {
        let cache = CredentialCache<String>(timeToLive: .milliseconds(200))
        let stored = ContinuousClock.now
        cache.store(header, subject: "HDB_ADMIN", generation: cache.generation)
        let fresh = cache.subject(for: header)
        // On a loaded machine the thread may be descheduled past the time to live between
        // the two calls; the fresh lookup is only asserted when it ran in time.
        if stored.duration(to: .now) < .milliseconds(150) { #expect(fresh == "HDB_ADMIN") }
        try await Task.sleep(for: .milliseconds(250))
        #expect(cache.subject(for: header) == nil)
    }

    @Test func capacityBoundsMemory() {
        let cache = CredentialCache<String>(capacity: 3)
        for index in 0..<10 {
            cache.store("Basic \(index)", subject: "u\(index)", generation: cache.generation)
        }
        #expect(cache.count <= 3)
        #expect(cache.subject(for: "Basic 9") == "u9")
    }

    @Test func concurrentUseIsSafe() async {
        let cache = CredentialCache<String>()
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<8 {
                group.addTask {
                    for round in 0..<200 {
                        let key = "Basic \(index)-\(round % 10)"
                        cache.store(key, subject: "u", generation: cache.generation)
                        _ = cache.subject(for: key)
                        if round % 50 == 0 { cache.invalidateAll() }
                    }
                }
            }
        }
        #expect(cache.count <= 80)
    }

    @Test func entriesStoredOnOtherThreadsAreFound() {
        // Each thread stores into its own shard; a lookup from any thread must still find
        // what was verified elsewhere (then copies it into its own shard).
        let cache = CredentialCache<String>()
        onThreads(8) { index in cache.store("Basic \(index)", subject: "u\(index)", generation: cache.generation) }
        for index in 0..<8 { #expect(cache.subject(for: "Basic \(index)") == "u\(index)") }
        cache.invalidateAll()
        for index in 0..<8 { #expect(cache.subject(for: "Basic \(index)") == nil) }
    }
}
