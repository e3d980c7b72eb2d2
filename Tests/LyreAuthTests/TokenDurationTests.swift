import LyreAuth
import Testing

@Suite struct TokenDurationTests {
    @Test(arguments: [
        ("10s", 10.0), ("15m", 900), ("2h", 7200), ("1d", 86_400), ("30d", 2_592_000), ("90", 90),
        ("1.5h", 5400), ("2 hours", 7200), ("500ms", 0.5), ("1w", 604_800),
    ])
    func parses(text: String, seconds: Double) {
        #expect(TokenDuration.seconds(text) == seconds)
    }

    @Test(arguments: ["", "soon", "2 fortnights", "h"])
    func rejects(text: String) {
        #expect(TokenDuration.seconds(text) == nil)
    }
}
