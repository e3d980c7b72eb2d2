import LyreCore
import LyreOperations

/// The streaming CSV parser and cell typing (LyreOperations/BulkLoad).
///
/// The input is the CSV text. It is parsed whole, then again fed in small chunks (sizes
/// cycling 1, 2, 3, ..., 7 bytes after a first chunk of 3, so a byte-order mark stays whole,
/// as the parser documents), as `csv_file_load` and `csv_url_load` feed it.
///
/// Invariants: no trap; chunking changes nothing: the same records with the same line
/// numbers, or the same error (line and reason); the records of a successful parse, written
/// back as RFC 4180 CSV (every field quoted), parse to the same fields; every field goes
/// through `CSVCellTyping.autoCast` and each declared type without trapping, and a
/// number it makes is the number the standard library reads from the same text.
enum CSVFuzzer {
    struct Outcome: Equatable {
        var records: [[String]] = []
        var lines: [Int] = []
        var error: CSVParser.Malformed?

        /// Fields compared as bytes (`String.==` would equate canonically equivalent text).
        static func == (a: Outcome, b: Outcome) -> Bool {
            a.lines == b.lines && a.error == b.error && a.records.elementsEqual(b.records, by: CSVFuzzer.sameBytes)
        }
    }

    static func run(_ bytes: UnsafeRawBufferPointer) throws(InvariantViolation) {
        let whole = parse(bytes, chunkSizes: nil)
        let chunked = parse(bytes, chunkSizes: Array(1...7))
        try check(whole == chunked, "\(show(bytes)): parsed whole gives \(describe(whole)), in chunks \(describe(chunked))")

        if whole.error == nil, !whole.records.isEmpty {
            // Quoting every field keeps empty records (a lone "") and all bytes as they are.
            var text: [UInt8] = []
            for record in whole.records {
                for (index, field) in record.enumerated() {
                    if index > 0 { text.append(UInt8(ascii: ",")) }
                    // Quotes doubled byte by byte (a `"` followed by a combining mark is one
                    // Character, which `String` replacing would not match).
                    text.append(UInt8(ascii: "\""))
                    for byte in field.utf8 {
                        text.append(byte)
                        if byte == UInt8(ascii: "\"") { text.append(byte) }
                    }
                    text.append(UInt8(ascii: "\""))
                }
                text += [0x0D, 0x0A]
            }
            let again = text.withUnsafeBytes { parse($0, chunkSizes: nil) }
            try check(again.error == nil && again.records.elementsEqual(whole.records, by: sameBytes),
                      "\(show(bytes)): records \(describe(whole)) written as \(show(text)) parse to \(describe(again))")
        }
        for record in whole.records {
            for field in record { try checkCell(field) }
        }
    }

    static func parse(_ bytes: UnsafeRawBufferPointer, chunkSizes: [Int]?) -> Outcome {
        var parser = CSVParser()
        var outcome = Outcome()
        let emit: ([String], Int) -> Void = { fields, line in
            outcome.records.append(fields)
            outcome.lines.append(line)
        }
        do {
            if let chunkSizes {
                var start = 0
                var turn = 0
                while start < bytes.count {
                    let size = start == 0 ? 3 : chunkSizes[turn % chunkSizes.count]
                    turn += 1
                    let end = Swift.min(bytes.count, start + size)
                    try parser.consume(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), emit)
                    start = end
                }
            } else {
                try parser.consume(bytes, emit)
            }
            try parser.finish(emit)
        } catch let error as CSVParser.Malformed {
            outcome.error = error
        } catch {
            outcome.error = CSVParser.Malformed(line: -1, reason: "unexpected error \(error)")
        }
        return outcome
    }

    static func checkCell(_ text: String) throws(InvariantViolation) {
        let value = CSVCellTyping.autoCast(text)
        switch value {
        case .int(let i):
            try check(Int64(text) == i, "cell \(show(text.utf8)) auto-casts to the integer \(i)")
        case .double(let d) where !d.isNaN:
            try check(Double(text) == d, "cell \(show(text.utf8)) auto-casts to \(d), Double(text) is \(Double(text).map { "\($0)" } ?? "nil")")
        default:
            break
        }
        for type in ["String", "Int", "Long", "BigInt", "Float", "Number", "Boolean", "Date", "Any"] {
            _ = CSVCellTyping.cast(text, declaredType: type)
        }
    }

    static func sameBytes(_ a: [String], _ b: [String]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.utf8.elementsEqual($1.utf8) }
    }

    static func describe(_ outcome: Outcome) -> String {
        var parts = zip(outcome.lines, outcome.records).prefix(8).map { "line \($0): \($1)" }
        if outcome.records.count > 8 { parts.append("… \(outcome.records.count) records") }
        if let error = outcome.error { parts.append("error at line \(error.line): \(error.reason)") }
        return "[" + parts.joined(separator: "; ") + "]"
    }
}
