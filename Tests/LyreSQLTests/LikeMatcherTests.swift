@testable import LyreSQL
import LyreTestSupport
import Testing

/// `LIKE`'s wildcard matcher agrees with the regular expression it stands in for, and
/// stays linear where the expression backtracks without end (issue 16 §1).
@Suite struct LikeMatcherTests {
    @Test func agreesWithTheRegularExpressionOnRandomPatterns() throws {
        var random = SplitMix64(seed: 16)
        let alphabet: [Character] = ["a", "A", "b", "%", "_", "\n", "é", "É", " "]
        for _ in 0..<2_000 {
            let value = String((0..<Int(random.next() % 7)).map { _ in alphabet[Int(random.next() % 9)] }.filter { $0 != "%" && $0 != "_" })
            let pattern = String((0..<Int(random.next() % 6)).map { _ in alphabet[Int(random.next() % 9)] })
            let regex = try Regex(SQLPattern.likeToRegex(pattern)).ignoresCase()
            let expected = (try? regex.wholeMatch(in: value)) != nil
            #expect(LikeMatcher.match(value, pattern: pattern) == expected, "\(value.debugDescription) LIKE \(pattern.debugDescription)")
        }
    }

    @Test func regularExpressionSyntaxIsLeftToTheRegex() {
        #expect(LikeMatcher.match("abc", pattern: "[a]%") == nil)
        #expect(LikeMatcher.match("abc", pattern: "^a%") == nil)
        #expect(LikeMatcher.match("abc", pattern: "a%$") == nil)
        #expect(LikeMatcher.match("abc", pattern: #"a\%"#) == nil)
    }

    @Test func manyWildcardsOverALongValueFinishInLinearSteps() throws {
        let value = String(repeating: "a", count: 100_000)
        #expect(try SQLPattern.like(value, pattern: "%a%a%a%a%a%a%a%a%b") == false)
        #expect(try SQLPattern.like(value + "b", pattern: "%a%a%a%a%a%a%a%a%b") == true)
        #expect(try SQLPattern.like(String(repeating: "é", count: 20_000), pattern: "%é%é%é%é%b") == false)
    }
}
