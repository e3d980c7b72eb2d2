import Testing

@Suite struct LyreOperationsTestsPlaceholder {
    @Test func targetBuilds() { #expect(Bool(true)) }
}
