/// A streaming RFC 4180 CSV parser: bytes go in chunk by chunk (`consume`), complete
/// records come out through a callback, and only the record being built is held.
///
/// - Comma delimiter; `"` quotes a field; `""` inside quotes is one `"`; quoted fields may
///   hold commas, CR and LF.
/// - Records end at LF, CRLF or a lone CR; a CRLF split across two chunks is one end.
/// - A UTF-8 byte-order mark at the very start is dropped.
/// - Empty lines produce no record.
/// - A `"` inside an unquoted field is kept as a character (as papaparse, Harper's parser,
///   does). Malformed input is an error: text after a closing quote (`"ab"c`) and a quoted
///   field still open at the end of input.
///
/// ```swift
/// var parser = CSVParser()
/// try parser.consume(Array("id,name\n1,\"Penny, \"\"P\"\"\"\n".utf8)) { fields, line in print(line, fields) }
/// try parser.finish { fields, line in print(line, fields) }
/// // 1 ["id", "name"]
/// // 2 ["1", "Penny, \"P\""]
/// ```
///
/// Written by hand rather than taken from a package: it must stream from chunks with
/// state carried across chunk ends, keep Harper's lenient quote rule, and its per-byte loop
/// is the load's hot path (see Benchmarks/csv-load.sh).
package struct CSVParser {
    /// Malformed input, with the 1-based line where the offending record starts.
    package struct Malformed: Error, Sendable, Equatable {
        package var line: Int
        package var reason: String
        package init(line: Int, reason: String) {
            self.line = line
            self.reason = reason
        }

        package var message: String { "Malformed CSV at line \(line): \(reason), cancelling load operation" }
    }

    private enum State {
        /// At the start of a field (after a delimiter or at a record's start).
        case fieldStart
        case unquoted
        case quoted
        /// Just saw a `"` inside a quoted field: an escape or the closing quote.
        case quoteInQuoted
    }

    private var state = State.fieldStart
    private var field: [UInt8] = []
    private var fields: [String] = []
    /// The last byte consumed was a CR that ended a record: an LF right after it is skipped.
    private var pendingCR = false
    /// Bytes seen so far (for the byte-order mark check).
    private var offset = 0
    /// Current line (1-based) and the line where the current record started.
    private var line = 1
    private var recordLine = 1
    /// Whether the current record has any content (a field, a quote): empty lines are skipped.
    private var recordStarted = false
    /// The last byte of the previous chunk: a CRLF inside a quoted field may be split across
    /// chunks, and must count as one line all the same.
    private var previousByte: UInt8 = 0

    package init() {}

    /// Parses `bytes`, calling `emit(fields, line)` for each complete record.
    /// - Throws: `Malformed`, or what `emit` throws.
    package mutating func consume(_ bytes: UnsafeRawBufferPointer, _ emit: ([String], Int) throws -> Void) throws {
        var i = 0
        let n = bytes.count
        if offset == 0, n > 0 {
            // Drop a UTF-8 BOM. (A BOM split across chunks is not expected: chunks are large.)
            if n >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { i = 3 }
        }
        offset += n
        defer { if n > 0 { previousByte = bytes[n - 1] } }
        while i < n {
            let byte = bytes[i]
            if pendingCR {
                pendingCR = false
                if byte == 0x0A { i += 1; continue }
            }
            switch state {
            case .fieldStart, .unquoted:
                if state == .fieldStart && byte == 0x22 {
                    state = .quoted
                    recordStarted = true
                    i += 1
                    continue
                }
                // Fast path: copy the run of plain bytes up to the next delimiter at once.
                var j = i
                while j < n {
                    let b = bytes[j]
                    if b == 0x2C || b == 0x0A || b == 0x0D { break }
                    j += 1
                }
                if j > i {
                    recordStarted = true
                    field.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[i..<j]))
                    state = .unquoted
                }
                i = j
                guard i < n else { continue }
                let b = bytes[i]
                i += 1
                if b == 0x2C {
                    recordStarted = true
                    endField()
                    state = .fieldStart
                } else {
                    if b == 0x0D { pendingCR = true }
                    try endRecord(emit)
                    line += 1
                }
            case .quoted:
                var j = i
                while j < n {
                    let b = bytes[j]
                    if b == 0x22 { break }
                    // A line ends at CR, or at LF not right after a CR (a CRLF counts once, at
                    // its CR, even when the LF comes in the next chunk; found by fuzzing).
                    if b == 0x0D || (b == 0x0A && (j > 0 ? bytes[j - 1] : previousByte) != 0x0D) { line += 1 }
                    j += 1
                }
                if j > i { field.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[i..<j])) }
                if j < n { state = .quoteInQuoted; i = j + 1 } else { i = j }
            case .quoteInQuoted:
                i += 1
                switch byte {
                case 0x22:
                    field.append(0x22)
                    state = .quoted
                case 0x2C:
                    endField()
                    state = .fieldStart
                case 0x0A, 0x0D:
                    if byte == 0x0D { pendingCR = true }
                    try endRecord(emit)
                    line += 1
                default:
                    throw Malformed(line: line, reason: "unexpected text after a closing quote")
                }
            }
        }
    }

    package mutating func consume(_ bytes: [UInt8], _ emit: ([String], Int) throws -> Void) throws {
        try bytes.withUnsafeBytes { try consume($0, emit) }
    }

    /// Ends the input: emits a last record without a line end.
    /// - Throws: `Malformed` for a quoted field still open.
    package mutating func finish(_ emit: ([String], Int) throws -> Void) throws {
        if state == .quoted {
            throw Malformed(line: recordLine, reason: "a quoted field is not closed")
        }
        try endRecord(emit)
    }

    private mutating func endField() {
        fields.append(String(decoding: field, as: UTF8.self))
        field.removeAll(keepingCapacity: true)
    }

    private mutating func endRecord(_ emit: ([String], Int) throws -> Void) throws {
        defer {
            state = .fieldStart
            recordStarted = false
            recordLine = line + 1
        }
        guard recordStarted else { return }
        endField()
        let record = fields
        fields.removeAll(keepingCapacity: true)
        try emit(record, recordLine)
    }
}
