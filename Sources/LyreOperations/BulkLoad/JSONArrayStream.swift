import LyreCore

/// Splits a JSON document that is one array into its elements, chunk by chunk, without
/// holding the document: each element's bytes go to the caller as soon as its end is seen.
/// Only strings and bracket depth are tracked here (a counter, no recursion); each element
/// is then parsed by `JSON.parse`, which bounds its own nesting. An element longer than
/// `maxElementBytes` is an error, so memory stays bounded whatever the input.
struct JSONArrayStream {
    /// Longest single element (one record) accepted.
    static let maxElementBytes = 16 * 1024 * 1024

    /// A document that is not an array of values; `message` is the job's error text.
    struct Malformed: Error {
        let message: String
    }

    private enum State { case start, firstElement, nextElement, inElement, afterElement, end }
    private var state = State.start
    private var element: [UInt8] = []
    private var depth = 0
    private var inString = false
    private var escaped = false
    /// Elements completed so far.
    private(set) var count = 0
    private var offset = 0

    private static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 }

    private func malformed(_ what: String) -> Malformed {
        Malformed(message: "Invalid JSON at byte \(offset): \(what); the object must contain a JSON array of records, cancelling load operation")
    }

    /// Feeds `chunk`; calls `body` with each complete element's bytes (index from 0).
    mutating func consume(_ chunk: UnsafeRawBufferPointer, _ body: (_ element: [UInt8], _ index: Int) throws -> Void) throws {
        for c in chunk {
            defer { offset += 1 }
            switch state {
            case .start:
                if Self.isSpace(c) { continue }
                if offset < 3, c == 0xEF || c == 0xBB || c == 0xBF { continue }  // UTF-8 byte order mark
                guard c == UInt8(ascii: "[") else { throw malformed("expected '['") }
                state = .firstElement
            case .firstElement, .nextElement:
                if Self.isSpace(c) { continue }
                if c == UInt8(ascii: "]") {
                    guard state == .firstElement else { throw malformed("expected a value after ','") }
                    state = .end
                    continue
                }
                guard c != UInt8(ascii: ",") else { throw malformed("unexpected ','") }
                state = .inElement
                element.removeAll(keepingCapacity: true)
                try take(c, body)
            case .inElement:
                try take(c, body)
            case .afterElement:
                if Self.isSpace(c) { continue }
                if c == UInt8(ascii: ",") { state = .nextElement } else if c == UInt8(ascii: "]") { state = .end } else {
                    throw malformed("expected ',' or ']'")
                }
            case .end:
                guard Self.isSpace(c) else { throw malformed("unexpected data after the array") }
            }
        }
    }

    private mutating func take(_ c: UInt8, _ body: ([UInt8], Int) throws -> Void) throws {
        if inString {
            if escaped { escaped = false } else if c == UInt8(ascii: "\\") { escaped = true } else if c == UInt8(ascii: "\"") { inString = false }
        } else {
            switch c {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if depth == 0 {
                    // The array's own ']' right after a scalar element.
                    guard c == UInt8(ascii: "]") else { throw malformed("unexpected '}'") }
                    try emit(body)
                    state = .end
                    return
                }
                depth -= 1
            case UInt8(ascii: ","):
                if depth == 0 {
                    try emit(body)
                    state = .nextElement
                    return
                }
            default: break
            }
        }
        element.append(c)
        guard element.count <= Self.maxElementBytes else {
            throw Malformed(message: "Record \(count + 1) is longer than \(Self.maxElementBytes) bytes, cancelling load operation")
        }
        if depth == 0 && !inString && (c == UInt8(ascii: "}") || c == UInt8(ascii: "]") || c == UInt8(ascii: "\"")) && element.count > 1 {
            // A complete object, array or string: wait for ',' or ']' outside it.
            try emit(body)
            state = .afterElement
        }
    }

    private mutating func emit(_ body: ([UInt8], Int) throws -> Void) throws {
        let index = count
        count += 1
        try body(element, index)
        element.removeAll(keepingCapacity: true)
    }

    /// Ends the input. - Throws: `Malformed` unless the array was closed.
    func finish() throws {
        switch state {
        case .end: return
        case .start: throw Malformed(message: "The object is empty; it must contain a JSON array of records, cancelling load operation")
        default: throw malformed("the array is not closed")
        }
    }
}
