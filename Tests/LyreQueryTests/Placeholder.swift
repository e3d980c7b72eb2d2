import Testing

@Suite struct LyreQueryTestsPlaceholder {
    @Test func targetBuilds() { #expect(Bool(true)) }
}
