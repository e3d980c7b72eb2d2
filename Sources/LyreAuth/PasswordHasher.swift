import Crypto
import _CryptoExtras
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Slow, salted password hashing (PBKDF2-HMAC-SHA256) with a self-describing stored form.
///
/// The stored string names the algorithm, the rounds, the salt and the hash, so the
/// rounds can be raised later without invalidating existing users:
///
/// ```
/// pbkdf2-sha256$210000$<salt, base64>$<hash, base64>
/// ```
///
/// The clear text never appears in it (a super user can read `system.hdb_user.password`).
///
/// ```swift
/// let hasher = PasswordHasher()
/// let stored = try hasher.hash("password")
/// hasher.verify("password", against: stored)   // true
/// ```
///
/// Hashing costs tens of milliseconds by design; callers that verify on every request
/// put a ``CredentialCache`` in front of ``verify(_:against:)``.
public struct PasswordHasher: Sendable {
    /// The prefix naming the algorithm in a stored hash.
    public static let scheme = "pbkdf2-sha256"
    /// Rounds used for new hashes: swift-crypto's own floor for PBKDF2 (OWASP's figure for SHA-512).
    public static let defaultRounds = 210_000
    /// The fewest rounds ``init(rounds:)`` accepts.
    public static let minimumRounds = 100_000
    /// Stored hashes claiming more rounds than this are rejected rather than computed,
    /// so a tampered record cannot stall a request.
    public static let maximumRounds = 10_000_000
    /// Bytes of random salt per hash.
    public static let saltByteCount = 16
    /// Bytes of derived key stored.
    public static let hashByteCount = 32

    /// Rounds used by ``hash(_:)``.
    public let rounds: Int

    /// - Parameter rounds: PBKDF2 iterations for new hashes; at least ``minimumRounds``.
    public init(rounds: Int = PasswordHasher.defaultRounds) {
        precondition(rounds >= Self.minimumRounds && rounds <= Self.maximumRounds,
                     "PBKDF2 rounds must be between \(Self.minimumRounds) and \(Self.maximumRounds)")
        self.rounds = rounds
    }

    /// Hashes `password` with a fresh random salt.
    /// - Parameter password: The clear-text password (its UTF-8 bytes are hashed).
    /// - Returns: The stored form, `pbkdf2-sha256$<rounds>$<salt b64>$<hash b64>`.
    /// - Throws: Only if the underlying crypto library fails.
    public func hash(_ password: String) throws -> String {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<Self.saltByteCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let derived = try Self.derive(password, salt: salt, rounds: rounds, byteCount: Self.hashByteCount)
        return "\(Self.scheme)$\(rounds)$\(Data(salt).base64EncodedString())$\(Data(derived).base64EncodedString())"
    }

    /// Checks `password` against a stored hash in constant time (with respect to the hash bytes).
    /// - Parameters:
    ///   - password: The clear-text password offered by the client.
    ///   - stored: A string produced by ``hash(_:)`` (with any rounds).
    /// - Returns: `true` when they match; `false` on mismatch or a malformed stored string.
    public func verify(_ password: String, against stored: String) -> Bool {
        guard let parsed = StoredHash(stored) else { return false }
        guard let derived = try? Self.derive(password, salt: parsed.salt, rounds: parsed.rounds,
                                             byteCount: parsed.hash.count) else { return false }
        return Self.constantTimeEquals(derived, parsed.hash)
    }

    /// Whether a stored hash was made with fewer rounds (or another scheme) than this hasher
    /// uses, so it should be replaced after the next successful login.
    public func needsRehash(_ stored: String) -> Bool {
        guard let parsed = StoredHash(stored) else { return true }
        return parsed.rounds < rounds
    }

    /// Compares two byte strings without an early exit on the first difference.
    public static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    private static func derive(_ password: String, salt: [UInt8], rounds: Int, byteCount: Int) throws -> [UInt8] {
        // The unchecked entry point: our own floor (`minimumRounds`) applies to new hashes,
        // and verification must honour whatever rounds a stored hash was made with.
        let key = try KDF.Insecure.PBKDF2.deriveKey(
            from: Array(password.utf8), salt: salt, using: .sha256,
            outputByteCount: byteCount, unsafeUncheckedRounds: rounds)
        return key.withUnsafeBytes { Array($0) }
    }
}

/// The parsed parts of a stored hash string.
private struct StoredHash {
    var rounds: Int
    var salt: [UInt8]
    var hash: [UInt8]

    init?(_ stored: String) {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == PasswordHasher.scheme,
              let rounds = Int(parts[1]), rounds >= 1, rounds <= PasswordHasher.maximumRounds,
              let salt = Data(base64Encoded: String(parts[2])), !salt.isEmpty,
              let hash = Data(base64Encoded: String(parts[3])), hash.count >= 16, hash.count <= 64
        else { return nil }
        self.rounds = rounds
        self.salt = Array(salt)
        self.hash = Array(hash)
    }
}
