import Foundation
import LyreCore
import LyreSQL
import Testing

/// Runs `Resources/sql/*.test`.
///
/// File format, one directive per line (blank lines and `#` comments ignored):
///
///     now <ms>                     fix the clock (default 1700000000123)
///     tolerance <relative>         numbers below may differ by this relative amount (default 0)
///     row <object literal>         the record later expressions read (default {})
///     <expression> => <expected>   evaluate; compare with the literal
///     <expression> => error        evaluation must throw
///     parse-ok <sql>               the statement must parse
///     parse-error <sql>            the statement must fail with 400 `Invalid SQL at: …`
///     keys <sql> => k1 | k2 | …    result keys of the select list (sql.md §5.9.2)
///     table <array of objects>     the records later `where` lines filter
///     where <condition> => [ids]   ids of the table's records (in table order) for which the
///                                  condition, after Harper's literal rewriting (sql.md §4.6), holds
///     agg <NAME> [DISTINCT|*] <array literal> => <expected>
///                                  feed the array's elements to an aggregate accumulator
///
/// Expected literals are JSON plus `undefined` (no value, key omitted), `NaN`, `Infinity`.
/// Numbers compare by value. Expressions are parsed with `Parser.parseExpression`.
@Suite struct SQLLogicTests {
    static var files: [String] {
        guard let dir = Bundle.module.url(forResource: "sql", withExtension: nil, subdirectory: "Resources") else { return [] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".test") }.sorted()
    }

    @Test func filesArePresent() {
        #expect(Self.files.count >= 5)
    }

    @Test(arguments: files)
    func run(file: String) throws {
        let url = try #require(Bundle.module.url(forResource: "sql", withExtension: nil, subdirectory: "Resources"))
            .appendingPathComponent(file)
        let text = try String(contentsOf: url, encoding: .utf8)
        var now = 1_700_000_000_123.0
        var tolerance = 0.0
        var row = JSONObject()
        var table: [JSONObject] = []
        var cases = 0
        for (n, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            let place = "\(file):\(n + 1)"
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("tolerance ") {
                tolerance = Double(line.dropFirst(10).trimmingCharacters(in: .whitespaces)) ?? 0
                continue
            }
            if line.hasPrefix("now ") {
                now = Double(line.dropFirst(4).trimmingCharacters(in: .whitespaces)) ?? now
                continue
            }
            if line.hasPrefix("row ") {
                guard case .object(let o)? = try TestLiteral.parse(String(line.dropFirst(4))) else {
                    Issue.record("\(place): row must be an object")
                    continue
                }
                row = o
                continue
            }
            if line.hasPrefix("table ") {
                guard case .array(let records)? = try TestLiteral.parse(String(line.dropFirst(6))) else {
                    Issue.record("\(place): table must be an array")
                    continue
                }
                table = records.compactMap(\.objectValue)
                continue
            }
            cases += 1
            if line.hasPrefix("parse-ok ") {
                let sql = String(line.dropFirst(9))
                do { _ = try Parser.parse(sql) } catch { Issue.record("\(place): \(sql) failed: \(error)") }
                continue
            }
            if line.hasPrefix("parse-error ") {
                let sql = String(line.dropFirst(12))
                do {
                    _ = try Parser.parse(sql)
                    Issue.record("\(place): \(sql) parsed but should not")
                } catch {
                    #expect(error.status == 400, "\(place)")
                    #expect(error.message.hasPrefix("Invalid SQL at: ") || error.message.hasPrefix("We had trouble"), "\(place)")
                }
                continue
            }
            guard let arrow = line.range(of: " => ", options: .backwards) else {
                Issue.record("\(place): no ' => ' in line")
                continue
            }
            let lhs = String(line[..<arrow.lowerBound])
            let expectedText = String(line[arrow.upperBound...])
            if lhs.hasPrefix("where ") {
                let condition = String(lhs.dropFirst(6))
                do {
                    let expression = WhereRewrite.apply(try Parser.parseExpression(condition))
                    let evaluator = ExpressionEvaluator(functions: .sql, context: .fixed(now))
                    var ids: [Value] = []
                    for record in table where try evaluator.isTrue(expression, row: RecordRow(record)) {
                        ids.append(record["id"] ?? .null)
                    }
                    let expected = try TestLiteral.parse(expectedText)
                    #expect(TestLiteral.same(.array(ids), expected),
                            "\(place): WHERE \(condition) → \(TestLiteral.show(.array(ids))), expected \(TestLiteral.show(expected))")
                } catch {
                    Issue.record("\(place): WHERE \(condition) threw \(error)")
                }
                continue
            }
            if lhs.hasPrefix("agg ") {
                let parts = lhs.dropFirst(4).split(separator: " ", maxSplits: 1).map(String.init)
                guard parts.count == 2, let kind = AggregateKind(callName: parts[0], argumentCount: 1) else {
                    Issue.record("\(place): bad agg line")
                    continue
                }
                var input = parts[1]
                let distinct = input.hasPrefix("DISTINCT ")
                let star = input.hasPrefix("* ")
                if distinct { input = String(input.dropFirst(9)) }
                if star { input = String(input.dropFirst(2)) }
                guard case .array(let values)? = try TestLiteral.parse(input) else {
                    Issue.record("\(place): agg input must be an array")
                    continue
                }
                var accumulator = kind.makeAccumulator(distinct: distinct, countsRows: star)
                for value in values { accumulator.add(value) }
                let expected = try TestLiteral.parse(expectedText)
                #expect(TestLiteral.same(accumulator.result(), expected),
                        "\(place): \(lhs) → \(TestLiteral.show(accumulator.result())), expected \(TestLiteral.show(expected))")
                continue
            }
            if lhs.hasPrefix("keys ") {
                let sql = String(lhs.dropFirst(5))
                do {
                    guard case .select(let select) = try Parser.parseFirst(sql) else {
                        Issue.record("\(place): not a select")
                        continue
                    }
                    let keys = select.items.compactMap { select.resultKey(for: $0) }
                    let expected = expectedText.components(separatedBy: " | ")
                    #expect(keys == expected, "\(place): \(sql)")
                } catch {
                    Issue.record("\(place): \(sql) failed: \(error)")
                }
                continue
            }
            let evaluator = ExpressionEvaluator(functions: .sql, context: .fixed(now))
            do {
                let expression = try Parser.parseExpression(lhs)
                let actual = try evaluator.evaluate(expression, row: RecordRow(row))
                if expectedText == "error" {
                    Issue.record("\(place): \(lhs) gave \(TestLiteral.show(actual)), expected an error")
                    continue
                }
                let expected = try TestLiteral.parse(expectedText)
                #expect(TestLiteral.same(actual, expected, tolerance: tolerance),
                        "\(place): \(lhs) → \(TestLiteral.show(actual)), expected \(TestLiteral.show(expected))")
            } catch {
                if expectedText != "error" { Issue.record("\(place): \(lhs) threw \(error)") }
            }
        }
        #expect(cases > 0, "\(file) has no cases")
    }
}
