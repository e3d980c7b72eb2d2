// Times `LinearRegex` (behind SQL `REGEXP`, `REGEXP_LIKE`, `LIKE` and JSONata's
// `$contains`) on the shapes a scan hands it: many short values, some long ones, with and
// without the `i` flag. Prints nanoseconds per match for each case; run it through
// Benchmarks/regex-bench.sh (a release build), which compares two builds in one run.
import Foundation
import LyreSQL

struct Case {
    let name: String
    let pattern: String
    let flags: String
    let texts: [String]
    let iterations: Int
}

func values(_ count: Int, _ make: (Int) -> String) -> [String] { (0..<count).map(make) }

let scale = Int(ProcessInfo.processInfo.environment["REGEX_BENCH_SCALE"] ?? "") ?? 1
let longText = String(repeating: "the quick brown fox jumps over the lazy dog; ", count: 200)  // 9,000 scalars
let cases = [
    Case(name: "short ids, anchored class", pattern: "^user-[0-9]+$", flags: "",
         texts: values(1000) { "user-\($0 * 7919)" }, iterations: 400_000 * scale),
    Case(name: "short names, alternation", pattern: "(?:pen|bil)ly|harp", flags: "",
         texts: values(1000) { ["Penny", "Harper", "Billy", "Rex", "Sam Penny"][$0 % 5] + " \($0)" },
         iterations: 400_000 * scale),
    Case(name: "short names, alternation, i", pattern: "(?:pen|bil)ly|harp", flags: "i",
         texts: values(1000) { ["Penny", "Harper", "Billy", "Rex", "Sam Penny"][$0 % 5] + " \($0)" },
         iterations: 400_000 * scale),
    Case(name: "200-char log lines, .*", pattern: "error.*timeout", flags: "",
         texts: values(1000) { "2026-12-06T23:59:\($0 % 60)Z worker \($0) " + String(repeating: "request served in 3 ms; ", count: 7) + ($0 % 10 == 0 ? "error: upstream timeout" : "ok") },
         iterations: 40_000 * scale),
    Case(name: "9,000-char text, no match", pattern: "\\bzebra\\b", flags: "",
         texts: [longText], iterations: 1_000 * scale),
]

var sink = 0
for c in cases {
    let matcher = try SQLPattern.matcher(c.pattern, flags: c.flags)
    guard case .linear = matcher else { fatalError("/\(c.pattern)/ is not for the linear engine") }
    // Warm up, then time the loop.
    for text in c.texts { sink &+= matcher.search(text) ? 1 : 0 }
    let start = ContinuousClock.now
    var i = 0
    while i < c.iterations {
        sink &+= matcher.search(c.texts[i % c.texts.count]) ? 1 : 0
        i += 1
    }
    let elapsed = ContinuousClock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    print(c.name.padding(toLength: 32, withPad: " ", startingAt: 0)
          + String(format: "%10.1f ns/match", seconds * 1e9 / Double(c.iterations)))
}
if sink == -1 { print(sink) }
