import Foundation
import LyreAuth
import LyreCore

/// Credentials as they arrive: `Authorization: Basic …` headers (`BasicCredentials.parse`:
/// scheme, base64 with optional padding, UTF-8, the first `:`) and bearer tokens
/// (`TokenAuthority.verify`: JWT segments, base64url, JSON claims, RS256 signature).
///
/// The input is a header value; the same text is also verified as a token of both kinds.
///
/// Invariants: no trap; parsed credentials encoded again (`Basic ` + base64 of
/// `user:password`) parse back to themselves; text that was never signed by the authority
/// is never a valid token.
enum AuthFuzzer {
    static func run(_ bytes: UnsafeRawBufferPointer) throws(InvariantViolation) {
        let text = String(decoding: bytes, as: UTF8.self)
        if let credentials = BasicCredentials.parse(authorizationHeader: text) {
            let again = "Basic " + Data("\(credentials.username):\(credentials.password)".utf8).base64EncodedString()
            try check(BasicCredentials.parse(authorizationHeader: again) == credentials,
                      "\(show(text.utf8)) parsed to \(credentials), which does not survive its own encoding")
        }
        for kind in [TokenKind.operation, .refresh] {
            let accepted = TokenFixture.shared.verifies(text, as: kind)
            try check(!accepted, "\(show(text.utf8)) verified as a \(kind) token")
        }
    }
}

/// A token authority with its own keys on a temporary folder, made once per process.
final class TokenFixture: Sendable {
    static let shared = TokenFixture()
    let directory: String
    let authority: TokenAuthority

    private init() {
        directory = FileManager.default.temporaryDirectory.path + "/lyre-fuzz-auth-\(getpid())"
        do {
            authority = try TokenAuthority(keyDirectory: directory, clock: SystemClock())
        } catch {
            fatalError("lyre-fuzz: cannot create the token keys under \(directory): \(error)")
        }
        atexit { try? FileManager.default.removeItem(atPath: TokenFixture.shared.directory) }
    }

    func verifies(_ token: String, as kind: TokenKind) -> Bool {
        let authority = self.authority
        return blocking { (try? await authority.verify(token, as: kind)) != nil }
    }
}
