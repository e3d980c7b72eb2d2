import Testing

@Suite struct LyreCoreTestsPlaceholder {
    @Test func targetBuilds() { #expect(Bool(true)) }
}
