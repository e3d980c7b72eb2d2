// The pieces of the JSON writer: literals, integers, JavaScript-style doubles and
// escaped strings. Generic over `JSONOutput` and `@inlinable`, so a caller's own output
// type (NIO's `ByteBuffer`) gets a specialized writer.

extension JSON {
    /// Writes `null`.
    @inlinable
    public static func writeNull(into output: inout some JSONOutput) {
        writeStatic("null", into: &output)
    }

    /// Writes `true` or `false`.
    @inlinable
    public static func writeBool(_ value: Bool, into output: inout some JSONOutput) {
        writeStatic(value ? "true" : "false", into: &output)
    }

    @inlinable
    static func writeStatic(_ text: StaticString, into output: inout some JSONOutput) {
        text.withUTF8Buffer { output.writeBytes(UnsafeRawBufferPointer($0)) }
    }

    /// Writes an integer in decimal.
    @inlinable
    public static func writeInt(_ value: Int64, into output: inout some JSONOutput) {
        if value >= 0 && value < 10 {
            output.writeByte(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value))
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { buffer in
            let count = formatInt(value, into: buffer.baseAddress!)
            output.writeBytes(UnsafeRawBufferPointer(start: buffer.baseAddress, count: count))
        }
    }

    /// Writes a number as JavaScript's `JSON.stringify` does: shortest round-trip digits,
    /// integral values without `.0`, exponent form only for exponents ≥ 21 or ≤ -7,
    /// `-0` as `0`, and NaN / infinities as `null`.
    @inlinable
    public static func writeDouble(_ value: Double, into output: inout some JSONOutput) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { buffer in
            let count = formatDouble(value, into: buffer.baseAddress!)
            output.writeBytes(UnsafeRawBufferPointer(start: buffer.baseAddress, count: count))
        }
    }

    /// The JSON text of a number, as JavaScript's `JSON.stringify` writes it
    /// (`numberText(38.0) == "38"`, `numberText(1e21) == "1e+21"`, NaN → `"null"`).
    public static func numberText(_ value: Double) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { buffer in
            let count = formatDouble(value, into: buffer.baseAddress!)
            return String(decoding: UnsafeBufferPointer(start: buffer.baseAddress, count: count), as: UTF8.self)
        }
    }

    /// Writes a JSON string literal from UTF-8 bytes (with quotes and escapes): escapes
    /// `"`, `\` and control characters; leaves `/` and non-ASCII as they are.
    @inlinable
    public static func writeString(utf8 bytes: UnsafeRawBufferPointer, into output: inout some JSONOutput) {
        output.writeByte(UInt8(ascii: "\""))
        var runStart = 0
        var i = 0
        let count = bytes.count
        while i < count {
            let byte = bytes[i]
            if byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") {
                i &+= 1
                continue
            }
            if runStart < i {
                output.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[runStart..<i]))
            }
            writeEscape(byte, into: &output)
            i &+= 1
            runStart = i
        }
        if runStart < count {
            output.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[runStart..<count]))
        }
        output.writeByte(UInt8(ascii: "\""))
    }

    @inlinable
    static func writeEscape(_ byte: UInt8, into output: inout some JSONOutput) {
        output.writeByte(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""): output.writeByte(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): output.writeByte(UInt8(ascii: "\\"))
        case 0x0A: output.writeByte(UInt8(ascii: "n"))
        case 0x0D: output.writeByte(UInt8(ascii: "r"))
        case 0x09: output.writeByte(UInt8(ascii: "t"))
        case 0x08: output.writeByte(UInt8(ascii: "b"))
        case 0x0C: output.writeByte(UInt8(ascii: "f"))
        default:
            let hex: StaticString = "0123456789abcdef"
            output.writeByte(UInt8(ascii: "u"))
            output.writeByte(UInt8(ascii: "0"))
            output.writeByte(UInt8(ascii: "0"))
            hex.withUTF8Buffer { digits in
                output.writeByte(digits[Int(byte >> 4)])
                output.writeByte(digits[Int(byte & 0x0F)])
            }
        }
    }

    /// Formats `value` in decimal at `buffer` (room for 20 bytes); returns the length.
    @usableFromInline
    static func formatInt(_ value: Int64, into buffer: UnsafeMutablePointer<UInt8>) -> Int {
        var magnitude = value.magnitude
        var digitCount = 1
        var probe = magnitude
        while probe >= 10 { probe /= 10; digitCount &+= 1 }
        let length = (value < 0 ? 1 : 0) + digitCount
        if value < 0 { buffer[0] = UInt8(ascii: "-") }
        var i = length
        repeat {
            let (q, r) = magnitude.quotientAndRemainder(dividingBy: 10)
            i &-= 1
            buffer[i] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: r)
            magnitude = q
        } while magnitude != 0
        return length
    }

    /// Formats `value` as JavaScript's `Number.prototype.toString` (and so `JSON.stringify`)
    /// does, at `buffer` (room for 32 bytes); returns the length.
    ///
    /// Swift's `description` already yields the shortest round-trip digits; this re-lays
    /// them out by ECMA-262 `Number::toString`: with digits d₁…dₖ and value 0.d₁…dₖ × 10ⁿ,
    /// plain notation when -6 < n ≤ 21, exponent notation otherwise.
    @usableFromInline
    static func formatDouble(_ value: Double, into buffer: UnsafeMutablePointer<UInt8>) -> Int {
        if !value.isFinite {
            return copy("null", into: buffer)
        }
        if value == 0 {
            buffer[0] = UInt8(ascii: "0")
            return 1
        }
        // Integral values below 2^53 print exactly as the integer.
        if value.magnitude < 9_007_199_254_740_992, Double(Int64(value)) == value {
            return formatInt(Int64(value), into: buffer)
        }

        // Collect the digits and the decimal exponent from Swift's shortest description
        // ("123.456", "1e-05", "1.2345678901234568e+20", "5e-324").
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // up to 24 digit bytes
        return withUnsafeMutableBytes(of: &digits) { raw -> Int in
            let d = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var k = 0                 // digits collected (leading zeros dropped)
            var pointPosition = -1    // digits seen before the '.', counting leading zeros
            var seen = 0              // all mantissa digits seen, including leading zeros
            var leadingZeros = 0
            var exponent = 0
            var negative = false
            var description = value.description
            description.withUTF8 { text in
                var i = 0
                if text[0] == UInt8(ascii: "-") { negative = true; i = 1 }
                while i < text.count {
                    let c = text[i]
                    if c == UInt8(ascii: ".") {
                        pointPosition = seen
                    } else if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                        i += 1
                        var expNegative = false
                        if text[i] == UInt8(ascii: "-") { expNegative = true; i += 1 } else if text[i] == UInt8(ascii: "+") { i += 1 }
                        while i < text.count {
                            exponent = exponent * 10 + Int(text[i] &- UInt8(ascii: "0"))
                            i += 1
                        }
                        if expNegative { exponent = -exponent }
                        break
                    } else {
                        if k == 0 && c == UInt8(ascii: "0") {
                            leadingZeros += 1
                        } else if k < 24 {
                            d[k] = c
                            k += 1
                        }
                        seen += 1
                    }
                    i += 1
                }
            }
            if pointPosition < 0 { pointPosition = seen }
            while k > 1 && d[k - 1] == UInt8(ascii: "0") { k -= 1 }
            // value = 0.d₁…dₖ × 10ⁿ
            let n = pointPosition - leadingZeros + exponent

            var out = 0
            if negative { buffer[0] = UInt8(ascii: "-"); out = 1 }
            if k <= n && n <= 21 {
                for j in 0..<k { buffer[out] = d[j]; out += 1 }
                for _ in 0..<(n - k) { buffer[out] = UInt8(ascii: "0"); out += 1 }
            } else if 0 < n && n <= 21 {
                for j in 0..<n { buffer[out] = d[j]; out += 1 }
                buffer[out] = UInt8(ascii: "."); out += 1
                for j in n..<k { buffer[out] = d[j]; out += 1 }
            } else if -6 < n && n <= 0 {
                buffer[out] = UInt8(ascii: "0"); out += 1
                buffer[out] = UInt8(ascii: "."); out += 1
                for _ in 0..<(-n) { buffer[out] = UInt8(ascii: "0"); out += 1 }
                for j in 0..<k { buffer[out] = d[j]; out += 1 }
            } else {
                buffer[out] = d[0]; out += 1
                if k > 1 {
                    buffer[out] = UInt8(ascii: "."); out += 1
                    for j in 1..<k { buffer[out] = d[j]; out += 1 }
                }
                buffer[out] = UInt8(ascii: "e"); out += 1
                let e = n - 1
                buffer[out] = e < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"); out += 1
                out += formatInt(Int64(e.magnitude), into: buffer + out)
            }
            return out
        }
    }

    private static func copy(_ text: StaticString, into buffer: UnsafeMutablePointer<UInt8>) -> Int {
        text.withUTF8Buffer { source in
            buffer.update(from: source.baseAddress!, count: source.count)
            return source.count
        }
    }
}
