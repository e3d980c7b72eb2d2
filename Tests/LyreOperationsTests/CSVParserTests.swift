import LyreCore
import LyreOperations
import Testing

/// The streaming CSV parser (BulkLoad/CSVParser.swift): RFC 4180 rules, fed in chunks of
/// every size so state carried across chunk ends is exercised.
@Suite struct CSVParserTests {
    /// Parses `text` fed `chunk` bytes at a time; returns records with their start lines.
    static func parse(_ text: String, chunk: Int = 1 << 16) throws -> [([String], Int)] {
        try parse(Array(text.utf8), chunk: chunk)
    }

    static func parse(_ bytes: [UInt8], chunk: Int) throws -> [([String], Int)] {
        var parser = CSVParser()
        var out: [([String], Int)] = []
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + chunk)
            try parser.consume(Array(bytes[start..<end])) { out.append(($0, $1)) }
            start = end
        }
        try parser.finish { out.append(($0, $1)) }
        return out
    }

    static func rows(_ text: String, chunk: Int = 1 << 16) throws -> [[String]] {
        try parse(text, chunk: chunk).map(\.0)
    }

    static let chunkSizes = [1, 2, 3, 7, 1 << 16]

    @Test(arguments: chunkSizes)
    func plainRowsWithLF(chunk: Int) throws {
        #expect(try Self.rows("id,name\n1,Penny\n2,Kato\n", chunk: chunk) == [["id", "name"], ["1", "Penny"], ["2", "Kato"]])
    }

    @Test(arguments: chunkSizes)
    func crlfLineEndsIncludingOneSplitAcrossChunks(chunk: Int) throws {
        #expect(try Self.rows("id,name\r\n1,Penny\r\n2,Kato\r\n", chunk: chunk) == [["id", "name"], ["1", "Penny"], ["2", "Kato"]])
    }

    @Test func loneCarriageReturnEndsARecord() throws {
        #expect(try Self.rows("a,b\r1,2\r") == [["a", "b"], ["1", "2"]])
    }

    @Test(arguments: chunkSizes)
    func quotedFieldsWithCommasEscapedQuotesAndNewlines(chunk: Int) throws {
        let text = "id,text\n1,\"Penny, the \"\"good\"\" dog\"\n2,\"line one\nline two\r\nline three\"\n3,\"\"\n"
        #expect(try Self.rows(text, chunk: chunk) == [
            ["id", "text"],
            ["1", "Penny, the \"good\" dog"],
            ["2", "line one\nline two\r\nline three"],
            ["3", ""],
        ])
    }

    @Test(arguments: chunkSizes)
    func byteOrderMarkIsDropped(chunk: Int) throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("id,name\n1,a\n".utf8)
        // The BOM is only recognised in the first chunk; chunks below 3 bytes split it.
        let rows = try Self.parse(bytes, chunk: max(chunk, 3)).map(\.0)
        #expect(rows == [["id", "name"], ["1", "a"]])
    }

    /// Found by fuzzing (Fuzz/regressions/csv/crlf-in-quotes-split-across-chunks): a CRLF
    /// inside a quoted field split between two chunks counted as two lines, so later records
    /// and errors named the wrong line.
    @Test(arguments: chunkSizes)
    func aCRLFInsideQuotesCountsOneLineWhateverTheChunks(chunk: Int) throws {
        let parsed = try Self.parse("a\r\n\"x\r\ny\r\nz\"\r\nb\r\n", chunk: chunk)
        #expect(parsed.map(\.0) == [["a"], ["x\r\ny\r\nz"], ["b"]])
        #expect(parsed.map(\.1) == [1, 2, 5])
    }

    @Test func emptyLinesAreSkippedAndLinesCounted() throws {
        let parsed = try Self.parse("id,name\n\n1,a\n\r\n\n2,\"b\nc\"\n3,d")
        #expect(parsed.map(\.0) == [["id", "name"], ["1", "a"], ["2", "b\nc"], ["3", "d"]])
        #expect(parsed.map(\.1) == [1, 3, 6, 8])
    }

    @Test func lastRecordWithoutLineEnd() throws {
        #expect(try Self.rows("a,b\n1,2") == [["a", "b"], ["1", "2"]])
    }

    @Test func emptyCellsAndTrailingComma() throws {
        #expect(try Self.rows("a,b,c\n,,\n1,,\n") == [["a", "b", "c"], ["", "", ""], ["1", "", ""]])
    }

    @Test func spacesAreKeptAndSingleQuotesHaveNoMeaning() throws {
        #expect(try Self.rows(" rando,'17'\n a ,'x,y'\n") == [[" rando", "'17'"], [" a ", "'x", "y'"]])
    }

    @Test func quoteInsideAnUnquotedFieldIsKept() throws {
        #expect(try Self.rows("a,b\n5\"2,x\n") == [["a", "b"], ["5\"2", "x"]])
    }

    @Test func unicodeTextPassesThrough() throws {
        #expect(try Self.rows("name\n\"Zoë, 犬\"\nñ\n", chunk: 1) == [["name"], ["Zoë, 犬"], ["ñ"]])
    }

    @Test func unclosedQuoteIsMalformed() throws {
        #expect(throws: CSVParser.Malformed(line: 2, reason: "a quoted field is not closed")) {
            try Self.rows("a,b\n1,\"never closed\n3,4\n")
        }
    }

    @Test(arguments: chunkSizes)
    func textAfterAClosingQuoteIsMalformed(chunk: Int) throws {
        #expect(throws: CSVParser.Malformed(line: 3, reason: "unexpected text after a closing quote")) {
            try Self.rows("a,b\n1,2\n\"x\"y,3\n", chunk: chunk)
        }
    }

    @Test func malformedMessageNamesTheLine() {
        let error = CSVParser.Malformed(line: 7, reason: "a quoted field is not closed")
        #expect(error.message == "Malformed CSV at line 7: a quoted field is not closed, cancelling load operation")
    }
}

/// Cell typing ("auto-cast", bulk-and-jobs.md §4.3), rule by rule.
@Suite struct CSVCellTypingTests {
    @Test(arguments: [
        ("true", Value.bool(true)), ("TRUE", .bool(true)), ("false", .bool(false)), ("FALSE", .bool(false)),
        ("True", .string("True")), ("null", .null), ("NULL", .null), ("undefined", .null), ("Null", .string("Null")),
    ] as [(String, Value)])
    func commonWords(text: String, expected: Value) {
        #expect(CSVCellTyping.autoCast(text) == expected)
    }

    @Test func notANumberIsNaNAndWritesAsNull() {
        guard case .double(let d) = CSVCellTyping.autoCast("NaN") else { Issue.record("NaN not a double"); return }
        #expect(d.isNaN)
        #expect(JSON.string(CSVCellTyping.autoCast("NaN")) == "null")
    }

    @Test(arguments: [
        ("42", Value.int(42)), ("-3", .int(-3)), ("0", .int(0)), ("3.14", .double(3.14)), ("0.5", .double(0.5)),
        ("-0.25", .double(-0.25)), ("12345678901234567890", .double(Double("12345678901234567890")!)),
    ] as [(String, Value)])
    func decimalNumbers(text: String, expected: Value) {
        #expect(CSVCellTyping.autoCast(text) == expected)
    }

    @Test(arguments: ["011", "00011", "1e5", "1E5", "-", "1.", ".5", "+5", "1,000", "0x1F", "5 ", " 5", "-011", "1.2.3"])
    func textsThatStayStrings(text: String) {
        #expect(CSVCellTyping.autoCast(text) == .string(text))
    }

    @Test(arguments: [
        ("2021-01-25T23:05:27.464Z", "2021-01-25T23:05:27.464Z"),
        ("2021-01-25T23:05:27Z", "2021-01-25T23:05:27.000Z"),
        ("2021-01-26T00:05:27.464+01:00", "2021-01-25T23:05:27.464Z"),
        ("2021-01-25T18:05:27.464-0500", "2021-01-25T23:05:27.464Z"),
    ])
    func dateTimesWithAZoneBecomeISOText(text: String, expected: String) {
        #expect(CSVCellTyping.autoCast(text) == .string(expected))
    }

    @Test(arguments: ["2021-01-25", "2021-01-25T23:05:27", "2021-02-30T00:00:00Z", "2021-01-25T25:00:00Z"])
    func datesWithoutAZoneOrInvalidStayText(text: String) {
        #expect(CSVCellTyping.autoCast(text) == .string(text))
    }

    @Test func jsonObjectsAndArraysAreParsed() throws {
        #expect(CSVCellTyping.autoCast(#"[1,2,"three"]"#) == [1, 2, "three"])
        #expect(CSVCellTyping.autoCast(#"{"a":{"b":[true,null]}}"#) == ["a": ["b": [true, nil]]])
    }

    @Test(arguments: ["[1,2", "{not json}", "[1,2] ", "{\"a\":1", "[]x"])
    func textThatOnlyLooksLikeJSONStaysText(text: String) {
        #expect(CSVCellTyping.autoCast(text) == .string(text))
    }

    @Test func emptyCellIsTheEmptyString() {
        #expect(CSVCellTyping.autoCast("") == .string(""))
    }

    @Test func plainTextStaysText() {
        #expect(CSVCellTyping.autoCast("Penny") == .string("Penny"))
        #expect(CSVCellTyping.autoCast("'17'") == .string("'17'"))
    }

    @Test(arguments: [
        ("007", "String", Value.string("007")), ("42", "String", .string("42")), ("42", "Int", .int(42)),
        ("4.5", "Float", .double(4.5)), ("true", "Boolean", .bool(true)), ("x", "Int", .string("x")),
    ] as [(String, String, Value)])
    func declaredTypesOfSchemaDefinedTablesWin(text: String, type: String, expected: Value) {
        #expect(CSVCellTyping.cast(text, declaredType: type) == expected)
    }
}

/// ISO-8601 parsing and formatting used by jobs and cell typing.
@Suite struct ISODateTests {
    @Test(arguments: [
        ("2021-01-25T23:05:27.464Z", 1_611_615_927_464.0), ("2021-01-25T23:05:27.464+0000", 1_611_615_927_464),
        ("2021-01-25", 1_611_532_800_000), ("1970-01-01T00:00:00Z", 0), ("2021-01-25T23:05:27.464", 1_611_615_927_464),
        ("2024-02-29T12:00Z", 1_709_208_000_000),
    ] as [(String, Double)])
    func parses(text: String, ms: Double) {
        #expect(ISODate.parse(text) == ms)
    }

    @Test(arguments: ["", "2021", "2021-13-01", "yesterday", "2021-01-25T23:05:27.464Zjunk", "2023-02-29"])
    func rejects(text: String) {
        #expect(ISODate.parse(text) == nil)
    }

    @Test func formatsAsJavaScriptDoes() {
        #expect(ISODate.format(1_611_615_927_464) == "2021-01-25T23:05:27.464Z")
        #expect(ISODate.format(0) == "1970-01-01T00:00:00.000Z")
        #expect(ISODate.format(-1) == "1969-12-31T23:59:59.999Z")
    }
}
