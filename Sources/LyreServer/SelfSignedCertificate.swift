import Crypto
import Foundation
import SwiftASN1
import X509

/// A self-signed certificate for HTTPS when no certificate was provided: a P-256 key and
/// an X.509 v3 certificate for `localhost` and `127.0.0.1`, made with swift-certificates.
///
/// ```swift
/// let created = try SelfSignedCertificate.createIfMissing(
///     certificatePath: root + "/keys/certificate.pem", privateKeyPath: root + "/keys/privateKey.pem")
/// ```
public enum SelfSignedCertificate {
    /// Subject alternative names of generated certificates.
    public static let dnsNames = ["localhost"]
    public static let ipv4Addresses: [[UInt8]] = [[127, 0, 0, 1]]

    /// A new key and certificate, both PEM text (the key as PKCS#8).
    /// - Parameters:
    ///   - commonName: The subject (and issuer) common name.
    ///   - validity: How long the certificate is valid from now (default ten years; a one-hour
    ///     margin before now absorbs clock skew).
    public static func generate(
        commonName: String = "Lyre self-signed",
        validity: Duration = .seconds(10 * 365 * 24 * 3600)
    ) throws -> (certificatePEM: String, privateKeyPEM: String) {
        let signingKey = P256.Signing.PrivateKey()
        let key = Certificate.PrivateKey(signingKey)
        let name = try DistinguishedName {
            CommonName(commonName)
            OrganizationName("Lyre")
        }
        let names = dnsNames.map { GeneralName.dnsName($0) }
            + ipv4Addresses.map { GeneralName.ipAddress(ASN1OctetString(contentBytes: $0[...])) }
        // A leaf, not a CA: clients pin this very certificate. No KeyUsage: one without
        // keyCertSign makes OpenSSL/BoringSSL stop treating the certificate as self-issued,
        // and a pinned self-signed leaf then fails with "unable to get local issuer".
        // Key identifiers keep strict verifiers (OpenSSL's X509_STRICT) happy.
        let keyIdentifier = SubjectKeyIdentifier(hash: key.publicKey)
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            try ExtendedKeyUsage([.serverAuth])
            SubjectAlternativeNames(names)
            keyIdentifier
            AuthorityKeyIdentifier(keyIdentifier: keyIdentifier.keyIdentifier)
        }
        let now = Date()
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: key.publicKey,
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(TimeInterval(validity.components.seconds)),
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: extensions,
            issuerPrivateKey: key
        )
        return (try certificate.serializeAsPEM().pemString, signingKey.pemRepresentation)
    }

    /// Generates a pair into the two files unless both already exist; the files of an
    /// earlier start are kept, so clients that trusted the certificate keep trusting it.
    /// The key is written readable by its owner only.
    /// - Returns: `true` when a new pair was written.
    /// - Throws: ``ServerTLSError`` when only one of the two files exists (a new key would
    ///   not match the kept certificate) or the files cannot be written.
    @discardableResult
    public static func createIfMissing(certificatePath: String, privateKeyPath: String) throws -> Bool {
        let fm = FileManager.default
        let haveCertificate = fm.fileExists(atPath: certificatePath)
        let haveKey = fm.fileExists(atPath: privateKeyPath)
        if haveCertificate && haveKey { return false }
        if haveCertificate != haveKey {
            let missing = haveCertificate ? privateKeyPath : certificatePath
            throw ServerTLSError(
                "TLS file \(missing) is missing while its pair exists; remove both to generate a new self-signed pair")
        }
        let (certificatePEM, privateKeyPEM) = try generate()
        do {
            for path in [certificatePath, privateKeyPath] {
                let folder = (path as NSString).deletingLastPathComponent
                if !folder.isEmpty {
                    try fm.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                           attributes: [.posixPermissions: 0o700])
                }
            }
            // The key first, private from the moment it exists; the certificate last, so a
            // crash in between leaves "key without certificate", which the next start reports.
            try write(privateKeyPEM, to: privateKeyPath, permissions: 0o600)
            try write(certificatePEM, to: certificatePath, permissions: 0o644)
        } catch let error as ServerTLSError {
            throw error
        } catch {
            throw ServerTLSError("Cannot write the self-signed TLS certificate: \(error)")
        }
        return true
    }

    private static func write(_ text: String, to path: String, permissions: Int) throws {
        let temporary = path + ".tmp-\(UUID().uuidString)"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8),
                                             attributes: [.posixPermissions: permissions]) else {
            throw ServerTLSError("Cannot write \(path)")
        }
        guard rename(temporary, path) == 0 else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw ServerTLSError("Cannot write \(path)")
        }
    }
}
