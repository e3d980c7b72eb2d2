import Foundation
import LyreCore
@testable import LyreSQL
import Testing

/// The linear-time regular-expression engine behind `REGEXP`, `REGEXP_LIKE`, `LIKE` and
/// JSONata's `$contains` (issue 16: no input may stall the server).
@Suite struct LinearRegexTests {
    struct Case: Decodable {
        let pattern: String
        let flags: String
        let input: String
        let search: Bool
        let whole: Bool
    }

    /// 4,000 random patterns, flags and inputs with V8's answers
    /// (`Resources/regex/generate.mjs`, run with Node, wrote `cases.json`).
    @Test func agreesWithJavaScriptOnRandomPatterns() throws {
        let url = try #require(Bundle.module.url(forResource: "cases", withExtension: "json", subdirectory: "Resources/regex"))
        let cases = try JSONDecoder().decode([Case].self, from: Data(contentsOf: url))
        var handled = 0
        var disagreements: [String] = []
        var fallbacks: Set<String> = []
        for c in cases {
            guard let regex = try LinearRegex(c.pattern, flags: c.flags) else {
                fallbacks.insert(c.pattern)
                continue
            }
            handled += 1
            if regex.search(c.input) != c.search || regex.wholeMatch(c.input) != c.whole {
                disagreements.append("/\(c.pattern)/\(c.flags) on \(c.input.debugDescription): JS search \(c.search) whole \(c.whole), "
                                     + "Lyre \(regex.search(c.input)) \(regex.wholeMatch(c.input))")
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.count) disagreements, first: \(disagreements.prefix(8))")
        // Named groups, classes, escapes and quantifiers are all the linear engine's: only
        // what it cannot match (none in this corpus) may fall back.
        #expect(handled == cases.count, "handled \(handled) of \(cases.count); not: \(fallbacks)")
    }

    /// Patterns that take a backtracking engine exponential time run in linear time here
    /// (these finish at once; with Swift's `Regex` the first takes longer than a test run).
    @Test func catastrophicPatternsFinish() throws {
        let long = String(repeating: "a", count: 20_000)
        for pattern in ["(a+)+b", "(a|a)*b", "(a*)*b", "(.*a){12}b", "^(a|aa)+$b", "(x+x+)+y", "(\\w+\\s?)+$!"] {
            let regex = try #require(try LinearRegex(pattern))
            #expect(!regex.search(long), "\(pattern)")
        }
        #expect(try SQLPattern.search("(a+)+b", in: long) == false)
        #expect(try SQLPattern.search("(a+)+$", in: long) == true)
    }

    @Test func backreferencesAndLookaroundFallBackToSwiftRegex() throws {
        for pattern in ["(a)\\1", "a(?=b)", "a(?!b)", "(?<=a)b", "(?<!a)b", "(?<x>a)\\k<x>"] {
            #expect(try LinearRegex(pattern) == nil, "\(pattern)")
        }
        #expect(try SQLPattern.search("(a)\\1", in: "xaay") == true)
        #expect(try SQLPattern.search("a(?=b)", in: "ac") == false)
    }

    @Test func repetitionsThatExpandTooFarAreRefusedWithAClearError() throws {
        #expect(throws: LinearRegex.TooLarge.self) { try LinearRegex("(a{1000}){1000}") }
        #expect(throws: SQLEvaluationError.self) { try SQLPattern.search("(a{1000}){1000}", in: "a") }
        // Repeating something that matches only the empty string costs nothing.
        #expect(try LinearRegex("((){100000}){100000}x")?.search("x") == true)
    }

    @Test func flagsAndAnchors() throws {
        #expect(try LinearRegex("^b", flags: "m")?.search("a\nb") == true)
        #expect(try LinearRegex("^b")?.search("a\nb") == false)
        #expect(try LinearRegex("a.b")?.search("a\nb") == false)
        #expect(try LinearRegex("a.b", flags: "s")?.search("a\nb") == true)
        #expect(try LinearRegex("ÉCOLE", flags: "i")?.search("école") == true)
        #expect(try LinearRegex("\\bcat\\b")?.search("a cat!") == true)
        #expect(try LinearRegex("\\bcat\\b")?.search("concat") == false)
        #expect(try LinearRegex("\\u{1F600}")?.search("smile 😀") == true)
    }

    @Test func invalidPatternsAreErrorsNotCrashes() throws {
        for pattern in ["(", ")", "a**", "[a", "a{2,1}", "\\", "(?", "+a", "a|*"] {
            #expect(throws: SQLEvaluationError.self, "\(pattern)") { try SQLPattern.search(pattern, in: "a") }
        }
    }
}
