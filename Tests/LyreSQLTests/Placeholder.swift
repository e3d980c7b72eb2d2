import Testing

@Suite struct LyreSQLTestsPlaceholder {
    @Test func targetBuilds() { #expect(Bool(true)) }
}
