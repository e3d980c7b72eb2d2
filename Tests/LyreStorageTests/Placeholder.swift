import Testing

@Suite struct LyreStorageTestsPlaceholder {
    @Test func targetBuilds() { #expect(Bool(true)) }
}
