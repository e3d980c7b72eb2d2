import LyreCore
import LyreSQL
import Testing

@Suite struct LexerTests {
    private func kinds(_ sql: String) throws -> [Token.Kind] {
        try Lexer.tokenize(sql).map(\.kind).dropLast()
    }

    @Test func wordsKeepTheirSpelling() throws {
        #expect(try kinds("Select name") == [.word("Select"), .word("name")])
        #expect(try Lexer.tokenize("select")[0].isKeyword("SELECT"))
    }

    @Test func quotedIdentifiers() throws {
        #expect(try kinds("[first name] `2nd` [select]") ==
                [.quotedIdentifier("first name"), .quotedIdentifier("2nd"), .quotedIdentifier("select")])
    }

    @Test(arguments: [
        ("'it''s'", "it's"), ("'it\\'s'", "it's"), ("\"name\"", "name"),
        ("'a\\tb'", "a\\tb"), ("'x\\\\y'", "x\\\\y"), ("''", ""),
    ])
    func strings(sql: String, text: String) throws {
        #expect(try kinds(sql) == [.string(text)])
    }

    @Test func numbers() throws {
        #expect(try kinds("12 12.5 .5 1.5E3 2e3 011") ==
                [.number(.int(12)), .number(.double(12.5)), .number(.double(0.5)),
                 .number(.double(1500)), .number(.double(2000)), .number(.int(11))])
        // A digit run followed by letters is a number then a word (sql.md §2.2).
        #expect(try kinds("2nd") == [.number(.int(2)), .word("nd")])
        // Signed exponents are not part of the number.
        #expect(try kinds("1e-7") == [.number(.int(1)), .word("e"), .symbol("-"), .number(.int(7))])
    }

    @Test func bigIntegersBecomeDoubles() throws {
        #expect(try kinds("123456789012345678901") == [.number(.double(1.2345678901234568e20))])
    }

    @Test func operatorsAndComments() throws {
        #expect(try kinds("a<>b -- comment\n/* block */ c||d->e != f <= g") ==
                [.word("a"), .symbol("<>"), .word("b"), .word("c"), .symbol("||"), .word("d"),
                 .symbol("->"), .word("e"), .symbol("!="), .word("f"), .symbol("<="), .word("g")])
    }

    @Test func jsonLiteralBracketsArePunctuation() throws {
        #expect(try kinds("@[[1]]") == [.symbol("@"), .symbol("["), .symbol("["), .number(.int(1)), .symbol("]"), .symbol("]")])
        #expect(try kinds("@[1] [x]") == [.symbol("@"), .symbol("["), .number(.int(1)), .symbol("]"), .quotedIdentifier("x")])
    }

    @Test func positionsAreLineAndColumn() throws {
        let tokens = try Lexer.tokenize("SELECT a,\n  bc")
        let bc = tokens[3]
        #expect(bc.kind == .word("bc"))
        #expect(bc.position == SourcePosition(offset: 12, line: 2, column: 3))
        #expect(bc.endOffset == 14)
    }

    @Test func errorsCarryThePosition() {
        do {
            _ = try Lexer.tokenize("SELECT 'open")
            Issue.record("expected an error")
        } catch {
            #expect(error.status == 400)
            #expect(error.message.hasPrefix("Invalid SQL at: SELECT 'open"))
            let detail = error.underlying as? SQLSyntaxError
            #expect(detail?.position == SourcePosition(offset: 7, line: 1, column: 8))
        }
        #expect(throws: LyreError.self) { try Lexer.tokenize("SELECT a # b") }
        #expect(throws: LyreError.self) { try Lexer.tokenize("SELECT `a'b`") }
    }
}
