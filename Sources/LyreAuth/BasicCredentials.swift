#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A username and password from an `Authorization: Basic ...` header (RFC 7617).
///
/// ```swift
/// BasicCredentials.parse(authorizationHeader: "Basic SERCX0FETUlOOnBhc3N3b3Jk")
/// // BasicCredentials(username: "HDB_ADMIN", password: "password")
/// ```
public struct BasicCredentials: Sendable, Hashable {
    public var username: String
    public var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    /// Harper's legacy rule: `Basic base64(":")` (both parts empty) counts as no credentials
    /// at all, not as a failed login (security.md §1.1).
    public var isEmpty: Bool { username.isEmpty && password.isEmpty }

    /// Parses an `Authorization` header value.
    ///
    /// The scheme is matched case-insensitively; the rest is base64 (padding optional),
    /// decoded as UTF-8 and split at the **first** `:` (a password may contain colons).
    /// - Parameter authorizationHeader: The whole header value, e.g. `Basic dXNlcjpwdw==`.
    /// - Returns: The credentials, or `nil` when the scheme is not Basic or the value is
    ///   malformed (bad base64, not UTF-8, no colon).
    public static func parse(authorizationHeader: String) -> BasicCredentials? {
        let header = authorizationHeader.utf8
        let scheme = "basic".utf8
        guard header.count > scheme.count,
              zip(header.prefix(scheme.count), scheme).allSatisfy({ $0 | 0x20 == $1 }),
              header.dropFirst(scheme.count).first == UInt8(ascii: " ")
        else { return nil }

        var encoded = Substring(authorizationHeader.dropFirst(scheme.count + 1))
        while encoded.first == " " { encoded = encoded.dropFirst() }
        while encoded.last == " " { encoded = encoded.dropLast() }
        guard !encoded.isEmpty else { return nil }

        var padded = String(encoded)
        if padded.utf8.count % 4 != 0 {
            padded += String(repeating: "=", count: 4 - padded.utf8.count % 4)
        }
        guard let decoded = Data(base64Encoded: padded),
              let text = String(validating: Array(decoded), as: UTF8.self),
              let colon = text.firstIndex(of: ":")
        else { return nil }
        return BasicCredentials(username: String(text[..<colon]),
                                password: String(text[text.index(after: colon)...]))
    }
}
