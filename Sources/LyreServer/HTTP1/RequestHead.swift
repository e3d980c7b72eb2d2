#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One HTTP/1.x request head (RFC 9112 §2–3), reduced to what the server acts on.
///
/// The server parses heads itself instead of through NIO's `HTTPDecoder`: the Operations
/// API needs seven headers out of a request, and building `HTTPHeaders` (a `String` per
/// name and value) plus three pipeline hops per request was a third of a `search_by_id`'s
/// time (see `docs/architecture.md`, "HTTP front end").
package struct RequestHead: Equatable {
    package enum Method: Equatable {
        case get, head, post, options, other
    }

    /// How the body is framed (RFC 9112 §6.3).
    package enum Framing: Equatable {
        case length(Int)
        case chunked
    }

    package var method: Method
    /// The request target up to `?`.
    package var path: String
    /// `1` for HTTP/1.1, `0` for HTTP/1.0.
    package var minorVersion: Int
    package var framing: Framing
    package var keepAlive: Bool
    package var expectsContinue: Bool
    package var authorization: String?
    package var accept: String?
    package var origin: String?

    /// Why a head was refused; every case answers `400 Bad Request` and closes.
    package enum Malformed: Error, Equatable {
        case requestLine, version, headerLine, contentLength, transferEncoding, lengthAndChunked
    }

    /// Parses the head's bytes: the request line and header lines, each ended by CRLF,
    /// without the blank line that ends the head.
    ///
    /// Strict where leniency lets requests be smuggled: a bare CR or LF, whitespace before
    /// a header's colon, obsolete line folding, a non-numeric or conflicting
    /// `Content-Length`, a transfer coding other than `chunked`, or both framings at once
    /// are refused.
    package static func parse(_ bytes: UnsafeRawBufferPointer) throws(Malformed) -> RequestHead {
        var lines = LineCursor(bytes: bytes)
        guard let requestLine = lines.next() else { throw .requestLine }
        var head = try parseRequestLine(requestLine)

        var contentLength: Int?
        var chunked = false
        var sawTransferEncoding = false
        var connectionClose = false
        var connectionKeepAlive = false
        while let line = lines.next() {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex else { throw .headerLine }
            let name = line[line.startIndex..<colon]
            guard name.allSatisfy(Self.isTokenByte) else { throw .headerLine }
            let value = trimmed(line[(colon + 1)...])
            let known = KnownHeader(name)
            // CR and LF never get here (`LineCursor`); other control bytes are refused in the
            // values the server reads. Values it ignores are not inspected.
            if known != .other, !isFieldValue(value) { throw .headerLine }

            switch known {
            case .contentLength:
                // `Content-Length: 5, 5` is one length repeated; anything else is refused.
                for item in value.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
                    guard let length = parseDecimal(trimmed(item)) else { throw .contentLength }
                    if let contentLength, contentLength != length { throw .contentLength }
                    contentLength = length
                }
            case .transferEncoding:
                sawTransferEncoding = true
                for coding in value.split(separator: UInt8(ascii: ",")) {
                    let coding = trimmed(coding)
                    if coding.isEmpty { continue }
                    // `chunked` must be the final coding and appear once; we decode no others.
                    guard !chunked, equalsIgnoringCase(coding, "chunked") else { throw .transferEncoding }
                    chunked = true
                }
            case .connection:
                for option in value.split(separator: UInt8(ascii: ",")) {
                    let option = trimmed(option)
                    if equalsIgnoringCase(option, "close") { connectionClose = true }
                    if equalsIgnoringCase(option, "keep-alive") { connectionKeepAlive = true }
                }
            case .expect:
                if equalsIgnoringCase(value, "100-continue") { head.expectsContinue = true }
            case .authorization:
                if head.authorization == nil { head.authorization = String(decoding: value, as: UTF8.self) }
            case .accept:
                if head.accept == nil { head.accept = String(decoding: value, as: UTF8.self) }
            case .origin:
                if head.origin == nil { head.origin = String(decoding: value, as: UTF8.self) }
            case .other:
                break
            }
        }
        guard !lines.failed else { throw .headerLine }
        if sawTransferEncoding {
            guard chunked, head.minorVersion == 1 else { throw .transferEncoding }
            guard contentLength == nil else { throw .lengthAndChunked }
            head.framing = .chunked
        } else {
            head.framing = .length(contentLength ?? 0)
        }
        head.keepAlive = head.minorVersion == 1 ? !connectionClose : (connectionKeepAlive && !connectionClose)
        return head
    }

    private static func parseRequestLine(_ line: Slice<UnsafeRawBufferPointer>) throws(Malformed) -> RequestHead {
        let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[0].allSatisfy(isTokenByte),
              !parts[1].isEmpty, parts[1].allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { throw .requestLine }
        let version = parts[2]
        guard version.count == 8, version.starts(with: "HTTP/1.".utf8), let minor = version.last,
              minor == UInt8(ascii: "0") || minor == UInt8(ascii: "1") else { throw .version }
        let method: Method = switch String(decoding: parts[0], as: UTF8.self) {
        case "GET": .get
        case "HEAD": .head
        case "POST": .post
        case "OPTIONS": .options
        default: .other
        }
        let target = parts[1]
        let pathEnd = target.firstIndex(of: UInt8(ascii: "?")) ?? target.endIndex
        return RequestHead(
            method: method, path: String(decoding: target[target.startIndex..<pathEnd], as: UTF8.self),
            minorVersion: Int(minor - UInt8(ascii: "0")), framing: .length(0), keepAlive: true,
            expectsContinue: false, authorization: nil, accept: nil, origin: nil)
    }

    /// RFC 9110 §5.5: visible bytes, spaces and tabs (obs-text allowed), no other controls.
    static func isFieldValue(_ value: Slice<UnsafeRawBufferPointer>) -> Bool {
        var index = value.startIndex
        while index < value.endIndex {
            let byte = value.base[index]
            if (byte < 0x20 && byte != 0x09) || byte == 0x7F { return false }
            index += 1
        }
        return true
    }

    /// RFC 9110 §5.6.2 `tchar`.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    /// A non-negative decimal that fits an `Int`, else `nil`.
    static func parseDecimal<C: Collection<UInt8>>(_ digits: C) -> Int? {
        guard !digits.isEmpty, digits.count <= 18 else { return nil }
        var value = 0
        for digit in digits {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(digit - UInt8(ascii: "0"))
        }
        return value
    }

    static func trimmed<C: BidirectionalCollection<UInt8>>(_ bytes: C) -> C.SubSequence {
        let isSpace: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == 0x09 }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }),
              let last = bytes.lastIndex(where: { !isSpace($0) }) else { return bytes[bytes.endIndex...] }
        return bytes[first...last]
    }

    /// ASCII case-insensitive comparison with a lowercase literal.
    static func equalsIgnoringCase<C: Collection<UInt8>>(_ bytes: C, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        return lowercase.withUTF8Buffer { expected in
            zip(bytes, expected).allSatisfy { byte, wanted in
                let lowered = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
                return lowered == wanted
            }
        }
    }
}

/// The header names the server reads, recognised without building a `String`.
private enum KnownHeader {
    case contentLength, transferEncoding, connection, expect, authorization, accept, origin, other

    init(_ name: Slice<UnsafeRawBufferPointer>) {
        // Dispatch on length first: one comparison decides almost every header.
        switch name.count {
        case 6 where RequestHead.equalsIgnoringCase(name, "accept"): self = .accept
        case 6 where RequestHead.equalsIgnoringCase(name, "expect"): self = .expect
        case 6 where RequestHead.equalsIgnoringCase(name, "origin"): self = .origin
        case 10 where RequestHead.equalsIgnoringCase(name, "connection"): self = .connection
        case 13 where RequestHead.equalsIgnoringCase(name, "authorization"): self = .authorization
        case 14 where RequestHead.equalsIgnoringCase(name, "content-length"): self = .contentLength
        case 17 where RequestHead.equalsIgnoringCase(name, "transfer-encoding"): self = .transferEncoding
        default: self = .other
        }
    }
}

/// Splits a head into CRLF-terminated lines; a bare CR or LF, or a line starting with
/// whitespace (obsolete folding), sets `failed` and ends the iteration.
private struct LineCursor {
    let bytes: UnsafeRawBufferPointer
    var position = 0
    var failed = false

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    mutating func next() -> Slice<UnsafeRawBufferPointer>? {
        guard !failed, position < bytes.count, let base = bytes.baseAddress else { return nil }
        let start = position
        let end: Int
        if let found = memchr(base + start, Int32(UInt8(ascii: "\n")), bytes.count - start) {
            let lf = base.distance(to: UnsafeRawPointer(found))
            guard lf > start, bytes[lf - 1] == UInt8(ascii: "\r") else {
                failed = true  // a bare LF
                return nil
            }
            end = lf - 1
            position = lf + 1
        } else {
            // The head's last line (its CRLF belongs to the terminator, already cut).
            end = bytes.count
            position = end
        }
        if end > start, memchr(base + start, Int32(UInt8(ascii: "\r")), end - start) != nil {
            failed = true  // a bare CR
            return nil
        }
        return line(start, end)
    }

    private mutating func line(_ start: Int, _ end: Int) -> Slice<UnsafeRawBufferPointer>? {
        if start > 0, start < end, bytes[start] == UInt8(ascii: " ") || bytes[start] == 0x09 {
            failed = true
            return nil
        }
        return bytes[start..<end]
    }
}
