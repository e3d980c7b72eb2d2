import Crypto
package import Foundation

/// AWS Signature Version 4 (header form), as documented in "Create a signed AWS API
/// request" and the S3 API reference's "Signature calculation: transfer payload in a
/// single chunk". Pure functions over strings: no clock, no I/O, so the published test
/// vectors check it byte for byte. HMAC and SHA-256 come from swift-crypto.
package enum SigV4 {
    /// The parts of a request that are signed.
    package struct Request: Sendable {
        package var method: String
        /// The path as sent, already URI-encoded (see `encode(_:keepSlash:)`); `/` when empty.
        package var canonicalURI: String
        /// Query parameters, not encoded (the canonical form encodes and sorts them).
        package var query: [(String, String)]
        /// Every header to sign, `host` and `x-amz-date` included; names in any case.
        package var headers: [(String, String)]
        /// Hex SHA-256 of the body (or `UNSIGNED-PAYLOAD`).
        package var payloadHash: String

        package init(method: String, canonicalURI: String, query: [(String, String)] = [],
                     headers: [(String, String)], payloadHash: String) {
            self.method = method
            self.canonicalURI = canonicalURI
            self.query = query
            self.headers = headers
            self.payloadHash = payloadHash
        }
    }

    package static let algorithm = "AWS4-HMAC-SHA256"
    /// SHA-256 of the empty string.
    package static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// `20150830T123600Z` for a date.
    package static func amzDate(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ v: Int?) -> String { let v = v ?? 0; return v < 10 ? "0\(v)" : "\(v)" }
        return "\(c.year ?? 1970)\(two(c.month))\(two(c.day))T\(two(c.hour))\(two(c.minute))\(two(c.second))Z"
    }

    /// RFC 3986 percent-encoding as SigV4 wants it: unreserved characters
    /// (`A-Z a-z 0-9 - . _ ~`) stay, every other byte of the UTF-8 form becomes `%XX`
    /// (upper-case hex); `/` stays when `keepSlash` (object keys in paths).
    package static func encode(_ text: String, keepSlash: Bool = false) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        let hex = Array("0123456789ABCDEF".utf8)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where keepSlash:
                out.append("/")
            default:
                out.append("%")
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte >> 4)]))
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte & 0xF)]))
            }
        }
        return out
    }

    /// The query as signed and sent: each name and value encoded, sorted by name, then value.
    package static func canonicalQuery(_ query: [(String, String)]) -> String {
        query.map { (encode($0.0), encode($0.1)) }
            .sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    /// Lower-case names, sorted; values trimmed with inner runs of spaces collapsed;
    /// repeated names joined with commas. Returns (canonical header block, signed names).
    static func canonicalHeaders(_ headers: [(String, String)]) -> (String, String) {
        var merged: [String: [String]] = [:]
        for (name, value) in headers {
            let trimmed = value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
                .trimmingCharacters(in: .whitespacesAndNewlines)
            merged[name.lowercased(), default: []].append(trimmed)
        }
        let names = merged.keys.sorted()
        let block = names.map { "\($0):\(merged[$0]!.joined(separator: ","))\n" }.joined()
        return (block, names.joined(separator: ";"))
    }

    package static func canonicalRequest(_ request: Request) -> String {
        let (block, signed) = canonicalHeaders(request.headers)
        return [request.method, request.canonicalURI.isEmpty ? "/" : request.canonicalURI,
                canonicalQuery(request.query), block, signed, request.payloadHash].joined(separator: "\n")
    }

    package static func stringToSign(canonicalRequest: String, amzDate: String, scope: String) -> String {
        [algorithm, amzDate, scope, sha256Hex(Array(canonicalRequest.utf8))].joined(separator: "\n")
    }

    /// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
    static func signingKey(secret: String, date: String, region: String, service: String) -> SymmetricKey {
        var key = SymmetricKey(data: Array(("AWS4" + secret).utf8))
        for part in [date, region, service, "aws4_request"] {
            key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        return key
    }

    /// The `Authorization` header value for `request` signed at `amzDate`.
    package static func authorization(_ request: Request, accessKeyID: String, secretAccessKey: String,
                                      region: String, service: String, amzDate: String) -> String {
        let date = String(amzDate.prefix(8))
        let scope = "\(date)/\(region)/\(service)/aws4_request"
        let toSign = stringToSign(canonicalRequest: canonicalRequest(request), amzDate: amzDate, scope: scope)
        let key = signingKey(secret: secretAccessKey, date: date, region: region, service: service)
        let signature = hex(Array(HMAC<SHA256>.authenticationCode(for: Array(toSign.utf8), using: key)))
        let signed = canonicalHeaders(request.headers).1
        return "\(algorithm) Credential=\(accessKeyID)/\(scope), SignedHeaders=\(signed), Signature=\(signature)"
    }

    package static func sha256Hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var hasher = SHA256()
        hasher.update(data: Array(bytes))
        return hex(Array(hasher.finalize()))
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
