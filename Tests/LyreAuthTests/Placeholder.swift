import Testing

@Suite struct LyreAuthTestsPlaceholder {
    @Test func targetBuilds() { #expect(Bool(true)) }
}
