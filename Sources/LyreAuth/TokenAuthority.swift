import Crypto
import _CryptoExtras
public import Foundation
import JWTKit
import Synchronization

/// The source of "now" for token lifetimes; tests inject a clock they can move.
public protocol AuthClock: Sendable {
    func now() -> Date
}

/// The wall clock.
public struct SystemClock: AuthClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// The two kinds of tokens (the JWT `sub` claim).
public enum TokenKind: String, Sendable {
    case operation
    case refresh
}

/// Why a token was not accepted (security.md §1.3).
public enum TokenFailure: Error, Sendable, Equatable {
    /// Malformed, bad signature, wrong kind, or carrying a `role` claim.
    case invalid
    case expired
}

/// What a verified token says.
public struct TokenClaims: Sendable, Equatable {
    public var username: String
    public var superUser: Bool
    public var kind: TokenKind
    public var issuedAt: Int64
    public var expiresAt: Int64
    public var role: String?
}

/// Issues and verifies the RS256 operation and refresh tokens (security.md §1.3, §2).
///
/// The key pair lives in `<root>/keys/` (`.jwtPrivate.key`, `.jwtPublic.key`, PEM), is
/// created on the first start and reused afterwards, so tokens survive restarts.
/// Expiry is checked against the injected clock, not by jwt-kit.
///
/// ```swift
/// let tokens = try TokenAuthority(keyDirectory: root + "/keys", clock: SystemClock())
/// let token = try await tokens.issue(username: "admin", superUser: true, kind: .operation, lifetime: 86_400)
/// let claims = try await tokens.verify(token, as: .operation)
/// ```
public final class TokenAuthority: Sendable {
    public let clock: any AuthClock
    private let privateKey: JWTKit.Insecure.RSA.PrivateKey
    private let keys = JWTKeyCollection()
    /// Whether `keys` holds the key yet (adding needs the actor, so it happens on first use).
    private let loaded = Mutex(false)

    /// Loads the key pair from `keyDirectory`, creating it when absent.
    /// - Throws: When the folder cannot be written or a stored key cannot be read.
    public init(keyDirectory: String, clock: any AuthClock) throws {
        self.clock = clock
        let files = FileManager.default
        let privatePath = keyDirectory + "/.jwtPrivate.key"
        if let pem = files.contents(atPath: privatePath) {
            privateKey = try JWTKit.Insecure.RSA.PrivateKey(pem: String(decoding: pem, as: UTF8.self))
        } else {
            try files.createDirectory(atPath: keyDirectory, withIntermediateDirectories: true,
                                      attributes: [.posixPermissions: 0o700])
            let generated = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            privateKey = try JWTKit.Insecure.RSA.PrivateKey(pem: generated.pemRepresentation)
            guard files.createFile(atPath: privatePath, contents: Data(generated.pemRepresentation.utf8),
                                   attributes: [.posixPermissions: 0o600]),
                  files.createFile(atPath: keyDirectory + "/.jwtPublic.key",
                                   contents: Data(generated.publicKey.pemRepresentation.utf8),
                                   attributes: [.posixPermissions: 0o644])
            else { throw CocoaError(.fileWriteUnknown) }
        }
    }

    private func collection() async -> JWTKeyCollection {
        if !loaded.withLock({ $0 }) {
            await keys.add(rsa: privateKey, digestAlgorithm: .sha256)
            loaded.withLock { $0 = true }
        }
        return keys
    }

    /// Signs a new token.
    /// - Parameters:
    ///   - lifetime: Seconds until it expires.
    ///   - role: Harper's application-token claim; such tokens are refused by the Operations API.
    public func issue(username: String, superUser: Bool, kind: TokenKind, lifetime: Double, role: String? = nil) async throws -> String {
        let now = Int64(clock.now().timeIntervalSince1970)
        // At most ±10^12 s (about 31,700 years): `expires_in: 1e309` or a configured
        // "99999999999999999999d" trapped in Int64(_:) and ended the process.
        let seconds = lifetime.isNaN ? 0 : Int64(max(-1e12, min(1e12, lifetime.rounded())))
        let payload = Payload(username: username, super_user: superUser, role: role, iat: now,
                              exp: now + seconds, sub: kind.rawValue,
                              jti: UUID().uuidString.lowercased())
        return try await collection().sign(payload)
    }

    /// Checks signature, kind and expiry.
    /// - Throws: ``TokenFailure``.
    public func verify(_ token: String, as kind: TokenKind) async throws(TokenFailure) -> TokenClaims {
        let payload: Payload
        do {
            payload = try await collection().verify(token, as: Payload.self)
        } catch {
            throw .invalid
        }
        guard payload.role == nil, payload.sub == kind.rawValue else { throw .invalid }
        guard Int64(clock.now().timeIntervalSince1970) < payload.exp else { throw .expired }
        return TokenClaims(username: payload.username, superUser: payload.super_user, kind: kind,
                           issuedAt: payload.iat, expiresAt: payload.exp, role: payload.role)
    }

    /// The hash stored for a refresh token (`hdb_user.refresh_token`), so the token itself is never stored.
    public static func fingerprint(_ token: String) -> String {
        SHA256.hash(data: Array(token.utf8)).map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }

    private struct Payload: JWTPayload {
        var username: String
        var super_user: Bool
        var role: String?
        var iat: Int64
        var exp: Int64
        var sub: String
        var jti: String

        /// Expiry is checked by ``TokenAuthority/verify(_:as:)`` with the injected clock.
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
