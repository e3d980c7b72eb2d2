import Foundation
import LyreCore

/// `licensing.issuerKeys`: the Ed25519 public keys whose signatures `install_usage_license`
/// trusts (logs-config-system.md §8.4 leaves the configuration to the server).
///
/// The value is one string or an array of strings; each is
/// - the path of a PEM file holding one or more `-----BEGIN PUBLIC KEY-----` blocks
///   (SubjectPublicKeyInfo, as `openssl pkey -pubout` writes them),
/// - such PEM text itself, or
/// - the raw 32-byte key in base64 or base64url.
///
/// ```yaml
/// licensing:
///   issuerKeys:
///     - /etc/lyre/license-issuer.pem
///     - "MCowBQYDK2VwAyEA…"        # or PEM text, or the raw key in base64
/// ```
enum IssuerKeys {
    static let configurationPath = "licensing.issuerKeys"

    /// The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410), before the 32 key bytes.
    static let ed25519SPKIPrefix: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]

    /// Every raw key named by the configured value (`null`: none).
    /// - Throws: `IssuerKeyProblem` naming the first entry that is not usable.
    static func parse(_ value: Value) throws -> [[UInt8]] {
        switch value {
        case .null: return []
        case .string(let entry): return try keys(entry)
        case .array(let items):
            return try items.flatMap { item -> [[UInt8]] in
                guard case .string(let entry) = item else { throw IssuerKeyProblem("must be a string or an array of strings") }
                return try keys(entry)
            }
        default: throw IssuerKeyProblem("must be a string or an array of strings")
        }
    }

    private static func keys(_ entry: String) throws -> [[UInt8]] {
        let text = entry.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.contains("-----BEGIN") { return try pem(text, source: "the PEM text") }
        if let raw = base64(text), raw.count == 32 { return [raw] }
        if let raw = base64(text), raw.count == 44, Array(raw.prefix(12)) == ed25519SPKIPrefix { return [Array(raw.dropFirst(12))] }
        guard let data = FileManager.default.contents(atPath: text) else {
            throw IssuerKeyProblem("'\(text)' is neither a readable PEM file nor a base64 Ed25519 public key")
        }
        return try pem(String(decoding: data, as: UTF8.self), source: "'\(text)'")
    }

    /// The keys of every `PUBLIC KEY` block of `text` (at least one).
    private static func pem(_ text: String, source: String) throws -> [[UInt8]] {
        var found: [[UInt8]] = []
        var rest = text[...]
        while let begin = rest.range(of: "-----BEGIN PUBLIC KEY-----") {
            guard let end = rest.range(of: "-----END PUBLIC KEY-----", range: begin.upperBound..<rest.endIndex) else {
                throw IssuerKeyProblem("\(source) has a PUBLIC KEY block without its END line")
            }
            let body = rest[begin.upperBound..<end.lowerBound].filter { !$0.isWhitespace }
            guard let der = Data(base64Encoded: String(body)).map(Array.init), der.count == 44,
                  Array(der.prefix(12)) == ed25519SPKIPrefix else {
                throw IssuerKeyProblem("\(source) holds a public key that is not Ed25519")
            }
            found.append(Array(der.dropFirst(12)))
            rest = rest[end.upperBound...]
        }
        guard !found.isEmpty else { throw IssuerKeyProblem("\(source) holds no PEM PUBLIC KEY block") }
        return found
    }

    private static func base64(_ text: String) -> [UInt8]? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+/-_=".contains($0)) }) else {
            return nil
        }
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s).map(Array.init)
    }
}

/// Why a `licensing.issuerKeys` entry is not usable.
struct IssuerKeyProblem: Error, Sendable {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}
