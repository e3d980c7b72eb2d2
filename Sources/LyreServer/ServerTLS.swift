import Foundation
public import NIOSSL

/// The TLS side of a listener: a server `NIOSSLContext` built from a PEM certificate chain
/// and a PEM private key (Harper's `tls.certificate` / `tls.privateKey`).
///
/// Loading happens once, before the listener binds, so a bad path or a broken file is a
/// startup error naming the file and the configuration key rather than a handshake failure
/// on the first connection.
///
/// ```swift
/// let tls = try ServerTLS(certificatePath: "/hdb/keys/certificate.pem",
///                         privateKeyPath: "/hdb/keys/privateKey.pem")
/// let server = LyreHTTPServer(host: "127.0.0.1", port: 9926, handler: app, logger: logger, tls: tls)
/// ```
public struct ServerTLS: Sendable {
    public let certificatePath: String
    public let privateKeyPath: String
    /// Shared by every connection of the listener (thread-safe).
    public let context: NIOSSLContext

    /// Reads both files and builds the server context (TLS 1.2 and later).
    /// - Throws: ``ServerTLSError`` naming the file that is missing, unreadable, or not
    ///   valid PEM, or saying that the key does not belong to the certificate.
    public init(certificatePath: String, privateKeyPath: String) throws {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
        let certificateBytes = try Self.read(certificatePath, what: "certificate", key: "tls.certificate")
        let keyBytes = try Self.read(privateKeyPath, what: "private key", key: "tls.privateKey")

        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(certificateBytes)
        } catch {
            throw ServerTLSError("TLS certificate \(certificatePath) (tls.certificate) is not a valid PEM certificate: \(error)")
        }
        guard !chain.isEmpty else {
            throw ServerTLSError("TLS certificate \(certificatePath) (tls.certificate) holds no PEM certificate")
        }
        let privateKey: NIOSSLPrivateKey
        do {
            privateKey = try NIOSSLPrivateKey(bytes: keyBytes, format: .pem)
        } catch {
            throw ServerTLSError("TLS private key \(privateKeyPath) (tls.privateKey) is not a valid PEM private key: \(error)")
        }

        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(privateKey)
        )
        configuration.minimumTLSVersion = .tlsv12
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw ServerTLSError(
                "TLS private key \(privateKeyPath) does not match certificate \(certificatePath): \(error)")
        }
    }

    private static func read(_ path: String, what: String, key: String) throws -> [UInt8] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ServerTLSError("TLS \(what) not found: \(path) (set \(key) in harperdb-config.yaml)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ServerTLSError("TLS \(what) \(path) (\(key)) cannot be read")
        }
        return Array(data)
    }
}

/// Why TLS could not be set up; `description` is the message printed at startup.
public struct ServerTLSError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ description: String) { self.description = description }
}
