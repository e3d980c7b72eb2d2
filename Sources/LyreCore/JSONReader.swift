// The JSON reader: a recursive-descent parser over raw bytes, building `Value`s directly.
// Unescaped string runs are decoded in one `String(decoding:as:)` call; escaped strings
// go through one reused scratch buffer.

private let quote = UInt8(ascii: "\"")
private let backslash = UInt8(ascii: "\\")

/// Exact powers of ten, for the exact fast path of number conversion.
private let exactPowersOfTen: [Double] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
]

struct JSONReader {
    private let bytes: UnsafeRawBufferPointer
    private let end: Int
    private var position = 0
    private var depth = 0
    private var scratch: [UInt8] = []
    /// Where the tree's memory is reserved (nil: not accounted).
    private let budget: MemoryBudget?
    /// Estimated bytes the values parsed so far take (see `charge`).
    private var accounted = 0
    /// Bytes reserved from `budget` so far (`Int.max` without a budget, so `charge` never asks).
    private(set) var reserved: Int

    /// - Parameter prepaid: Bytes already reserved from `budget` for this text (its body's
    ///   reservation), used before the budget is asked for more.
    init(_ bytes: UnsafeRawBufferPointer, budget: MemoryBudget? = nil, prepaid: Int = 0) {
        self.bytes = bytes
        self.end = bytes.count
        self.budget = budget
        self.reserved = budget == nil ? Int.max : prepaid
    }

    mutating func parseDocument() throws -> Value {
        skipWhitespace()
        // The text itself is held while its tree is built.
        try charge(MemoryLayout<Value>.stride &+ (budget == nil ? 0 : end))
        let value = try parseValue()
        skipWhitespace()
        if position < end { throw unexpected(at: position) }
        return value
    }

    // MARK: Memory

    /// Heap bytes of one allocation beyond its contents (Swift's object header and malloc's
    /// rounding), for the estimate.
    private static let allocationOverhead = 48
    /// Reservations are taken in steps this large, so the shared counter is touched rarely.
    private static let reserveStep = 1 << 20

    /// Adds `bytes` to the tree's estimate; past the reservation, reserves another step or
    /// fails with 413 (the request would take more memory than the budget leaves).
    @inline(__always)
    private mutating func charge(_ bytes: Int) throws {
        accounted &+= bytes
        if accounted > reserved { try reserveMore() }
    }

    private mutating func reserveMore() throws {
        guard let budget else { return }
        // A whole step when there is room for it, else just what is needed (a small body
        // still fits beside large ones).
        let needed = accounted - reserved
        let step = max(Self.reserveStep, needed)
        if budget.reserve(step) {
            reserved += step
        } else if budget.reserve(needed) {
            reserved += needed
        } else {
            throw LyreError.requestTooLarge
        }
    }

    /// Hands the reservation to the caller, trimmed to the estimate (the rest of the last
    /// step goes back now; the estimate when the result goes away).
    mutating func takeReservation() -> MemoryBudget.Reservation {
        guard let budget else { return MemoryBudget.Reservation(bytes: 0, budget: nil) }
        let kept = min(reserved, accounted)
        budget.release(reserved - kept)
        reserved = 0
        accounted = 0
        return MemoryBudget.Reservation(bytes: kept, budget: budget)
    }

    /// Gives back what was reserved (the parse failed).
    mutating func releaseReservation() {
        budget?.release(reserved)
        reserved = budget == nil ? Int.max : 0
    }

    // MARK: Values

    private mutating func parseValue() throws -> Value {
        guard position < end else { throw LyreError.jsonUnexpectedEnd }
        switch bytes[position] {
        case quote:
            position &+= 1
            return .string(try parseString())
        case UInt8(ascii: "{"):
            return try parseObject()
        case UInt8(ascii: "["):
            return try parseArray()
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try parseNumber()
        default:
            throw unexpected(at: position)
        }
    }

    /// Consumes `literal` (`true`, `false`, `null`), whose first byte is already checked.
    private mutating func expectLiteral(_ literal: StaticString) throws {
        let text = literal.utf8Start
        for i in 0..<literal.utf8CodeUnitCount {
            guard position < end else { throw LyreError.jsonUnexpectedEnd }
            guard bytes[position] == text[i] else { throw unexpected(at: position) }
            position &+= 1
        }
    }

    private mutating func enterContainer() throws {
        depth &+= 1
        if depth > JSON.maximumDepth {
            throw LyreError.jsonTooDeep(limit: JSON.maximumDepth, position: position)
        }
        position &+= 1
    }

    /// After a container element: consumes `,` (true: another element follows) or the
    /// closing byte (false).
    private mutating func separator(closing: UInt8) throws -> Bool {
        skipWhitespace()
        guard position < end else { throw LyreError.jsonUnexpectedEnd }
        let byte = bytes[position]
        position &+= 1
        if byte == UInt8(ascii: ",") {
            skipWhitespace()
            return true
        }
        if byte == closing { return false }
        throw unexpected(at: position &- 1)
    }

    private mutating func parseArray() throws -> Value {
        try enterContainer()
        skipWhitespace()
        var elements: [Value] = []
        guard position < end else { throw LyreError.jsonUnexpectedEnd }
        if bytes[position] == UInt8(ascii: "]") {
            position &+= 1
            depth &-= 1
            return .array(elements)
        }
        var charged = 0  // the capacity charged so far: storage grows by doubling
        while true {
            elements.append(try parseValue())
            if elements.capacity > charged {
                try charge((elements.capacity &- charged) &* MemoryLayout<Value>.stride)
                charged = elements.capacity
            }
            guard try separator(closing: UInt8(ascii: "]")) else { break }
        }
        depth &-= 1
        try charge(Self.allocationOverhead)
        return .array(elements)
    }

    private mutating func parseObject() throws -> Value {
        try enterContainer()
        skipWhitespace()
        var entries: [JSONObject.Entry] = []
        var charged = 0  // the capacity charged so far
        // Built once an object grows past a few keys, to find duplicate keys quickly.
        var indexByKey: [String: Int]? = nil
        guard position < end else { throw LyreError.jsonUnexpectedEnd }
        if bytes[position] == UInt8(ascii: "}") {
            position &+= 1
            depth &-= 1
            return .object(JSONObject())
        }
        while true {
            guard position < end else { throw LyreError.jsonUnexpectedEnd }
            guard bytes[position] == quote else { throw unexpected(at: position) }
            position &+= 1
            // Its slot in the duplicate-key index past 16 keys (the entry: below).
            if entries.count >= 16 { try charge(48) }
            let key = try parseString()
            skipWhitespace()
            guard position < end else { throw LyreError.jsonUnexpectedEnd }
            guard bytes[position] == UInt8(ascii: ":") else { throw unexpected(at: position) }
            position &+= 1
            skipWhitespace()
            let value = try parseValue()

            // Duplicate keys: the last value wins, at the first key's position (as in JS).
            if indexByKey == nil && entries.count >= 16 {
                var index = [String: Int](minimumCapacity: 32)
                for (i, entry) in entries.enumerated() { index[entry.key] = i }
                indexByKey = index
            }
            if indexByKey != nil {
                if let existing = indexByKey![key] {
                    entries[existing].value = value
                } else {
                    indexByKey![key] = entries.count
                    entries.append(JSONObject.Entry(key: key, value: value))
                }
            } else if let existing = entries.firstIndex(where: { $0.key == key }) {
                entries[existing].value = value
            } else {
                entries.append(JSONObject.Entry(key: key, value: value))
            }

            if entries.capacity > charged {
                try charge((entries.capacity &- charged) &* MemoryLayout<JSONObject.Entry>.stride)
                charged = entries.capacity
            }
            guard try separator(closing: UInt8(ascii: "}")) else { break }
        }
        depth &-= 1
        try charge(Self.allocationOverhead)
        return .object(JSONObject(entries: entries))
    }

    // MARK: Strings

    /// A string of `length` UTF-8 bytes: up to 15 live inside the value, longer ones on the heap.
    @inline(__always)
    private mutating func chargeString(_ length: Int) throws {
        if length > 15 { try charge(length &+ Self.allocationOverhead) }
    }

    /// Parses a string whose opening quote is already consumed.
    private mutating func parseString() throws -> String {
        let start = position
        // Fast path: no escapes.
        while position < end {
            let byte = bytes[position]
            if byte == quote {
                try chargeString(position &- start)
                let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
                position &+= 1
                return text
            }
            if byte == backslash || byte < 0x20 { break }
            position &+= 1
        }
        guard position < end else { throw LyreError.jsonUnexpectedEnd }
        if bytes[position] < 0x20 { throw LyreError.jsonBadControlCharacter(position: position) }

        // Slow path: escapes, collected in the scratch buffer.
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<position]))
        while true {
            guard position < end else { throw LyreError.jsonUnexpectedEnd }
            let byte = bytes[position]
            if byte == quote {
                position &+= 1
                try chargeString(scratch.count)
                return String(decoding: scratch, as: UTF8.self)
            }
            if byte == backslash {
                try parseEscape()
                continue
            }
            if byte < 0x20 { throw LyreError.jsonBadControlCharacter(position: position) }
            let runStart = position
            position &+= 1
            while position < end {
                let b = bytes[position]
                if b == quote || b == backslash || b < 0x20 { break }
                position &+= 1
            }
            scratch.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<position]))
        }
    }

    /// Decodes one escape at `position` (the backslash) into `scratch`.
    private mutating func parseEscape() throws {
        position &+= 1
        guard position < end else { throw LyreError.jsonUnexpectedEnd }
        let byte = bytes[position]
        position &+= 1
        switch byte {
        case quote: scratch.append(quote)
        case backslash: scratch.append(backslash)
        case UInt8(ascii: "/"): scratch.append(UInt8(ascii: "/"))
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try parseHex4()
            if (0xD800...0xDBFF).contains(scalar) {
                // A high surrogate: combine with a following low surrogate escape, if any.
                if position &+ 1 < end, bytes[position] == backslash, bytes[position &+ 1] == UInt8(ascii: "u") {
                    let save = position
                    position &+= 2
                    let low = try parseHex4()
                    if (0xDC00...0xDFFF).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        scalar = 0xFFFD
                        position = save
                    }
                } else {
                    scalar = 0xFFFD
                }
            } else if (0xDC00...0xDFFF).contains(scalar) {
                scalar = 0xFFFD
            }
            appendUTF8(scalar)
        default:
            throw LyreError.jsonBadEscape(position: position &- 1)
        }
    }

    private mutating func parseHex4() throws -> UInt32 {
        var result: UInt32 = 0
        for _ in 0..<4 {
            guard position < end else { throw LyreError.jsonUnexpectedEnd }
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte &- UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte &- UInt8(ascii: "a") &+ 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte &- UInt8(ascii: "A") &+ 10
            default: throw LyreError.jsonBadUnicodeEscape(position: position)
            }
            result = result << 4 | UInt32(digit)
            position &+= 1
        }
        return result
    }

    private mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(truncatingIfNeeded: scalar))
        case 0x80..<0x800:
            scratch.append(UInt8(truncatingIfNeeded: 0xC0 | scalar >> 6))
            scratch.append(UInt8(truncatingIfNeeded: 0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            scratch.append(UInt8(truncatingIfNeeded: 0xE0 | scalar >> 12))
            scratch.append(UInt8(truncatingIfNeeded: 0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(truncatingIfNeeded: 0x80 | scalar & 0x3F))
        default:
            scratch.append(UInt8(truncatingIfNeeded: 0xF0 | scalar >> 18))
            scratch.append(UInt8(truncatingIfNeeded: 0x80 | scalar >> 12 & 0x3F))
            scratch.append(UInt8(truncatingIfNeeded: 0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(truncatingIfNeeded: 0x80 | scalar & 0x3F))
        }
    }

    // MARK: Numbers

    @inline(__always)
    private func isDigit(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10
    }

    private mutating func parseNumber() throws -> Value {
        let start = position
        var negative = false
        if bytes[position] == UInt8(ascii: "-") {
            negative = true
            position &+= 1
            guard position < end else { throw LyreError.jsonUnexpectedEnd }
        }
        // Significant digits accumulate in `mantissa` (up to 19 of them).
        var mantissa: UInt64 = 0
        var significantDigits = 0
        var droppedIntegerDigits = 0  // integer digits beyond 19, each a factor of ten
        let first = bytes[position]
        if first == UInt8(ascii: "0") {
            position &+= 1
            if position < end && isDigit(bytes[position]) {
                throw LyreError.jsonUnexpectedNumber(position: position)
            }
        } else if isDigit(first) {
            while position < end {
                let byte = bytes[position]
                guard isDigit(byte) else { break }
                if significantDigits < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(byte &- UInt8(ascii: "0"))
                    significantDigits &+= 1
                } else {
                    droppedIntegerDigits &+= 1
                }
                position &+= 1
            }
        } else {
            throw unexpected(at: position)
        }

        var isInteger = true
        var exponent = droppedIntegerDigits
        var exact = droppedIntegerDigits == 0
        if position < end && bytes[position] == UInt8(ascii: ".") {
            isInteger = false
            position &+= 1
            guard position < end else { throw LyreError.jsonUnexpectedEnd }
            guard isDigit(bytes[position]) else { throw unexpected(at: position) }
            while position < end {
                let byte = bytes[position]
                guard isDigit(byte) else { break }
                if significantDigits < 19 {
                    if mantissa != 0 || byte != UInt8(ascii: "0") {
                        significantDigits &+= 1
                    }
                    mantissa = mantissa &* 10 &+ UInt64(byte &- UInt8(ascii: "0"))
                    exponent &-= 1
                } else if byte != UInt8(ascii: "0") {
                    exact = false
                }
                position &+= 1
            }
        }
        if position < end && (bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E")) {
            isInteger = false
            position &+= 1
            guard position < end else { throw LyreError.jsonUnexpectedEnd }
            var exponentNegative = false
            if bytes[position] == UInt8(ascii: "-") || bytes[position] == UInt8(ascii: "+") {
                exponentNegative = bytes[position] == UInt8(ascii: "-")
                position &+= 1
                guard position < end else { throw LyreError.jsonUnexpectedEnd }
            }
            guard isDigit(bytes[position]) else { throw unexpected(at: position) }
            var explicit = 0
            while position < end {
                let byte = bytes[position]
                guard isDigit(byte) else { break }
                if explicit < 100_000 { explicit = explicit &* 10 &+ Int(byte &- UInt8(ascii: "0")) }
                position &+= 1
            }
            exponent &+= exponentNegative ? -explicit : explicit
        }

        if isInteger && exact {
            if negative {
                if mantissa <= UInt64(Int64.max) + 1 {
                    return .int(Int64(truncatingIfNeeded: 0 &- mantissa))
                }
            } else if mantissa <= UInt64(Int64.max) {
                return .int(Int64(mantissa))
            }
        }
        // Exact fast path (Clinger): mantissa and power of ten both exact in a Double.
        if exact && mantissa <= 1 << 53 && exponent >= -22 && exponent <= 22 {
            var value = Double(mantissa)
            if exponent >= 0 {
                value *= exactPowersOfTen[exponent]
            } else {
                value /= exactPowersOfTen[-exponent]
            }
            return .double(negative ? -value : value)
        }
        // Everything else: the standard library's correctly rounded conversion.
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        guard let value = Double(text) else { throw unexpected(at: start) }
        return .double(value)
    }

    // MARK: Whitespace and errors

    @inline(__always)
    private mutating func skipWhitespace() {
        while position < end {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position &+= 1
            default: return
            }
        }
    }

    /// The error for an unexpected byte at `offset`, worded as V8 words it.
    private func unexpected(at offset: Int) -> LyreError {
        guard offset < end else { return LyreError.jsonUnexpectedEnd }
        let byte = bytes[offset]
        if byte == quote { return LyreError.jsonUnexpectedString(position: offset) }
        if isDigit(byte) || byte == UInt8(ascii: "-") { return LyreError.jsonUnexpectedNumber(position: offset) }
        if byte < 0x80 {
            return LyreError.jsonUnexpectedToken(String(UnicodeScalar(byte)), position: offset)
        }
        // Name the whole character, not its first UTF-8 byte.
        let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<min(end, offset + length)])
        let text = String(decoding: slice, as: UTF8.self)
        return LyreError.jsonUnexpectedToken(String(text.unicodeScalars.first ?? "\u{FFFD}"), position: offset)
    }
}
