import Foundation
import Logging
import LyreOperations
import LyreServer
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import ServiceLifecycle
import Testing

@Suite struct TLSTests {
    /// A fresh folder with a self-signed pair in `keys/`, as the server makes at first start.
    private func makeKeys() throws -> (folder: String, certificate: String, privateKey: String) {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("lyre-tls-\(UUID().uuidString)").path
        let certificate = folder + "/keys/certificate.pem"
        let privateKey = folder + "/keys/privateKey.pem"
        let created = try SelfSignedCertificate.createIfMissing(certificatePath: certificate, privateKeyPath: privateKey)
        #expect(created)
        return (folder, certificate, privateKey)
    }

    /// A client context that trusts exactly this certificate (and nothing else).
    private func clientTrusting(_ certificatePath: String) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(certificatePath))
        return try NIOSSLContext(configuration: configuration)
    }

    /// Runs an HTTPS server on an ephemeral port for the duration of `body`.
    private func withHTTPSServer(
        _ tls: ServerTLS, handler: FakeHandler = .ok(),
        _ body: @Sendable (_ port: Int) async throws -> Void
    ) async throws {
        try await withRunning(LyreHTTPServer(host: "127.0.0.1", port: 0, handler: handler, logger: .quiet,
                                             numberOfThreads: 1, tls: tls), body)
    }

    @Test func servesARealHTTPSRequestWithASelfSignedCertificate() async throws {
        let keys = try makeKeys()
        defer { try? FileManager.default.removeItem(atPath: keys.folder) }
        let tls = try ServerTLS(certificatePath: keys.certificate, privateKeyPath: keys.privateKey)
        let handler = FakeHandler { request in
            .deferred { OutgoingResponse(body: .rawJSON(request.body)) }
        }
        let client = try clientTrusting(keys.certificate)

        try await withHTTPSServer(tls, handler: handler) { port in
            let body = #"{"operation":"describe_all"}"#
            // The certificate names localhost (DNS) and 127.0.0.1 (IP): both verify.
            for hostname in ["localhost", nil] as [String?] {
                let response = try await HTTPTestClient.post(port: port, body: Array(body.utf8), tls: client,
                                                             serverHostname: hostname)
                #expect(response.status == .ok)
                #expect(response.headers.first(name: "content-type") == "application/json; charset=utf-8")
                #expect(String(decoding: response.body, as: UTF8.self) == body)
            }
            #expect(handler.requests.count == 2)
            #expect(handler.requests.first?.remoteAddress == "127.0.0.1")
        }
    }

    @Test func aClientThatDoesNotTrustTheCertificateIsRefused() async throws {
        let keys = try makeKeys()
        let other = try makeKeys()
        defer {
            try? FileManager.default.removeItem(atPath: keys.folder)
            try? FileManager.default.removeItem(atPath: other.folder)
        }
        let tls = try ServerTLS(certificatePath: keys.certificate, privateKeyPath: keys.privateKey)
        let handler = FakeHandler.ok()
        let client = try clientTrusting(other.certificate)
        try await withHTTPSServer(tls, handler: handler) { port in
            await #expect(throws: (any Error).self) {
                try await HTTPTestClient.post(port: port, body: Array("{}".utf8), tls: client,
                                              serverHostname: "localhost")
            }
            // A plain-HTTP client gets no answer from the TLS port either.
            await #expect(throws: (any Error).self) {
                try await HTTPTestClient.post(port: port, body: Array("{}".utf8))
            }
            #expect(handler.requests.isEmpty)
        }
    }

    @Test func theGeneratedCertificateIsKeptAcrossRestarts() async throws {
        let keys = try makeKeys()
        defer { try? FileManager.default.removeItem(atPath: keys.folder) }
        let certificateBefore = try Data(contentsOf: URL(fileURLWithPath: keys.certificate))
        let keyBefore = try Data(contentsOf: URL(fileURLWithPath: keys.privateKey))
        let attributes = try FileManager.default.attributesOfItem(atPath: keys.privateKey)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)

        // A second start finds both files and leaves them as they are.
        let created = try SelfSignedCertificate.createIfMissing(certificatePath: keys.certificate,
                                                                privateKeyPath: keys.privateKey)
        #expect(!created)
        #expect(try Data(contentsOf: URL(fileURLWithPath: keys.certificate)) == certificateBefore)
        #expect(try Data(contentsOf: URL(fileURLWithPath: keys.privateKey)) == keyBefore)

        // A client that trusted the certificate of the first run still connects after a restart.
        let client = try clientTrusting(keys.certificate)
        for _ in 0..<2 {
            let tls = try ServerTLS(certificatePath: keys.certificate, privateKeyPath: keys.privateKey)
            try await withHTTPSServer(tls) { port in
                let response = try await HTTPTestClient.post(port: port, body: Array("{}".utf8), tls: client,
                                                             serverHostname: "localhost")
                #expect(response.status == .ok)
                #expect(String(decoding: response.body, as: UTF8.self) == #"{"ok":true}"#)
            }
        }
    }

    @Test func eachGenerationMakesANewKey() throws {
        let first = try SelfSignedCertificate.generate()
        let second = try SelfSignedCertificate.generate()
        #expect(first.certificatePEM.hasPrefix("-----BEGIN CERTIFICATE-----"))
        #expect(first.privateKeyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        #expect(first.privateKeyPEM != second.privateKeyPEM)
        #expect(first.certificatePEM != second.certificatePEM)
    }

    @Test func aMissingCertificateIsAClearStartupError() throws {
        let keys = try makeKeys()
        defer { try? FileManager.default.removeItem(atPath: keys.folder) }
        let missing = keys.folder + "/nowhere/certificate.pem"
        let error = try #require(throws: ServerTLSError.self) {
            try ServerTLS(certificatePath: missing, privateKeyPath: keys.privateKey)
        }
        #expect(error.description == "TLS certificate not found: \(missing) (set tls.certificate in harperdb-config.yaml)")

        let missingKey = keys.folder + "/nowhere/privateKey.pem"
        let keyError = try #require(throws: ServerTLSError.self) {
            try ServerTLS(certificatePath: keys.certificate, privateKeyPath: missingKey)
        }
        #expect(keyError.description.contains("TLS private key not found: \(missingKey)"))
    }

    @Test func brokenOrMismatchedFilesAreClearStartupErrors() throws {
        let keys = try makeKeys()
        let other = try makeKeys()
        defer {
            try? FileManager.default.removeItem(atPath: keys.folder)
            try? FileManager.default.removeItem(atPath: other.folder)
        }
        let garbage = keys.folder + "/garbage.pem"
        try Data("not a certificate\n".utf8).write(to: URL(fileURLWithPath: garbage))

        let badCertificate = try #require(throws: ServerTLSError.self) {
            try ServerTLS(certificatePath: garbage, privateKeyPath: keys.privateKey)
        }
        #expect(badCertificate.description.contains("\(garbage) (tls.certificate)"))

        let badKey = try #require(throws: ServerTLSError.self) {
            try ServerTLS(certificatePath: keys.certificate, privateKeyPath: garbage)
        }
        #expect(badKey.description.contains("\(garbage) (tls.privateKey) is not a valid PEM private key"))

        let mismatch = try #require(throws: ServerTLSError.self) {
            try ServerTLS(certificatePath: keys.certificate, privateKeyPath: other.privateKey)
        }
        #expect(mismatch.description.contains("does not match"))
    }

    @Test func onlyOneFileOfAPairIsNotSilentlyReplaced() throws {
        let keys = try makeKeys()
        defer { try? FileManager.default.removeItem(atPath: keys.folder) }
        try FileManager.default.removeItem(atPath: keys.privateKey)
        let error = try #require(throws: ServerTLSError.self) {
            try SelfSignedCertificate.createIfMissing(certificatePath: keys.certificate, privateKeyPath: keys.privateKey)
        }
        #expect(error.description.contains(keys.privateKey))
        #expect(FileManager.default.fileExists(atPath: keys.certificate))
    }
}
