import Crypto
import Foundation
import LyreCore
import LyreOperations
import LyreTestSupport
import Testing

@Suite struct LicenseTests {
    static func base64URL(_ bytes: some DataProtocol) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func license(_ payload: String, key: Curve25519.Signing.PrivateKey,
                        header: String = #"{"typ":"Harper-License","alg":"EdDSA"}"#) throws -> String {
        let signed = base64URL(Data(header.utf8)) + "." + base64URL(Data(payload.utf8))
        return signed + "." + base64URL(try key.signature(for: Data(signed.utf8)))
    }

    static let payload = #"{"id":"license-1","level":2,"region":"us-nw-2","reads":2000000000,"readBytes":8000000000000,"writes":500000000,"writeBytes":1000000000000,"realTimeMessages":10000000000,"realTimeBytes":40000000000000,"cpuTime":108000,"storage":400000000000000,"expiration":"2025-07-25T21:17:21.248Z"}"#

    @Test func registrationWithoutLicenseInferred() async throws {
        let h = try Harness()
        let r = await h.post(#"{"operation":"registration_info"}"#)
        #expect(r.status == 200)
        #expect(r.text == #"{"registered":false,"version":"\#(LyreVersion.harperCompatibility)","ram_allocation":512,"license_expiration_date":null}"#)
    }

    @Test func setLicenseRegisters() async throws {
        let h = try Harness()
        let r = await h.post(#"{"operation":"set_license","key":"abc-123","company":"Acme"}"#)
        #expect(r.text == #"{"message":"Wrote license key file.  Registration successful."}"#)
        let info = await h.post(#"{"operation":"registration_info"}"#)
        #expect(info.json["registered"] == true)
        let bad = await h.post(#"{"operation":"set_license","key":"","company":"Acme"}"#)
        #expect(bad.status == 400 && bad.text == #"{"error":"Invalid key or company specified for license file."}"#)
    }

    @Test func fingerprintIsStableInferredMessageWrapper() async throws {
        let h = try Harness()
        let a = await h.post(#"{"operation":"get_fingerprint"}"#)
        let b = await h.post(#"{"operation":"get_fingerprint"}"#)
        #expect(a.status == 200)
        #expect(a.json["message"]?.stringValue?.count == 64)
        #expect(a.text == b.text)
    }

    @Test func usageLicenseInstallAndList() async throws {
        let issuer = Curve25519.Signing.PrivateKey()
        let h = try Harness { $0.usageLicensePublicKeys = [Array(issuer.publicKey.rawRepresentation)] }
        let text = try Self.license(Self.payload, key: issuer)
        let installed = await h.post(#"{"operation":"install_usage_license","license":"\#(text)"}"#)
        #expect(installed.text == #"{"message":"Successfully installed usage license"}"#)
        let again = await h.post(#"{"operation":"install_usage_license","license":"\#(text)"}"#)
        #expect(again.status == 400)
        #expect(again.text == #"{"error":"Failed to install usage license; A usage license with license-1 already exists"}"#)
        let list = await h.post(#"{"operation":"get_usage_licenses"}"#)
        #expect(list.text == #"[{"id":"license-1","level":2,"region":"us-nw-2","reads":2000000000,"usedReads":0,"readBytes":8000000000000,"usedReadBytes":0,"writes":500000000,"usedWrites":0,"writeBytes":1000000000000,"usedWriteBytes":0,"realTimeMessages":10000000000,"usedRealTimeMessages":0,"realTimeBytes":40000000000000,"usedRealTimeBytes":0,"cpuTime":108000,"usedCpuTime":0,"storage":400000000000000,"expiration":"2025-07-25T21:17:21.248Z"}]"#)
        let other = await h.post(#"{"operation":"get_usage_licenses","region":"eu"}"#)
        #expect(other.text == "[]")
    }

    @Test func malformedUsageLicensesAre400() async throws {
        let issuer = Curve25519.Signing.PrivateKey()
        let h = try Harness { $0.usageLicensePublicKeys = [Array(issuer.publicKey.rawRepresentation)] }
        let forged = try Self.license(Self.payload, key: Curve25519.Signing.PrivateKey())
        let noLevel = try Self.license(#"{"id":"x","expiration":"2025-01-01"}"#, key: issuer)
        let cases: [(String, String)] = [
            ("garbage", "Failed to install usage license; the license must be three base64url blocks separated by '.'"),
            (forged, "Failed to install usage license; the license signature is invalid"),
            (noLevel, "Failed to install usage license; 'level' must be a number"),
        ]
        for (license, message) in cases {
            let r = await h.post(#"{"operation":"install_usage_license","license":"\#(license)"}"#)
            #expect(r.status == 400)
            #expect(r.json == .object(JSONObject([("error", .string(message))])))
        }
    }

    /// The key as `openssl pkey -pubout` writes it: PEM of the Ed25519 SubjectPublicKeyInfo.
    static func pem(_ key: Curve25519.Signing.PublicKey) -> String {
        let der: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00] + Array(key.rawRepresentation)
        return "-----BEGIN PUBLIC KEY-----\n\(Data(der).base64EncodedString())\n-----END PUBLIC KEY-----\n"
    }

    @Test func issuerKeysComeFromTheConfiguration() async throws {
        let issuer = Curve25519.Signing.PrivateKey()
        let h = try Harness()
        let text = try Self.license(Self.payload, key: issuer)

        // None configured: refused, saying what to configure.
        let none = await h.post(#"{"operation":"install_usage_license","license":"\#(text)"}"#)
        #expect(none.status == 400)
        #expect(none.json["error"] == "Failed to install usage license; no license issuer key is configured (licensing.issuerKeys)")

        // A PEM file, set with set_configuration and applied by restart.
        let path = h.root + "/keys/license-issuer.pem"
        try Self.pem(issuer.publicKey).write(toFile: path, atomically: true, encoding: .utf8)
        let set = await h.post(#"{"operation":"set_configuration","licensing_issuerKeys":"\#(path)"}"#)
        #expect(set.status == 200)
        #expect(await h.post(#"{"operation":"get_configuration"}"#).json["licensing"]?["issuerKeys"] == .string(path))
        _ = await h.post(#"{"operation":"restart"}"#)
        var events = h.app.events.makeAsyncIterator()
        _ = await events.next()
        let installed = await h.post(#"{"operation":"install_usage_license","license":"\#(text)"}"#)
        #expect(installed.text == #"{"message":"Successfully installed usage license"}"#)
    }

    @Test func issuerKeysAcceptPEMTextBase64AndLists() throws {
        let a = Curve25519.Signing.PrivateKey().publicKey
        let b = Curve25519.Signing.PrivateKey().publicKey
        let c = Curve25519.Signing.PrivateKey().publicKey
        let root = TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try (Self.pem(a) + Self.pem(b)).write(toFile: root + "/two.pem", atomically: true, encoding: .utf8)
        var configuration = Configuration(root: root)
        let list = #"["\#(root)/two.pem","\#(Self.base64URL(c.rawRepresentation))"]"#
        configuration.environment = ["LICENSING_ISSUERKEYS": list]
        try ConfigurationFile.apply(to: &configuration)
        #expect(configuration.usageLicensePublicKeys == [a, b, c].map { Array($0.rawRepresentation) })
        configuration.environment = ["LICENSING_ISSUERKEYS": Self.pem(c)]
        try ConfigurationFile.apply(to: &configuration)
        #expect(configuration.usageLicensePublicKeys == [Array(c.rawRepresentation)])
    }

    @Test func unusableIssuerKeysAreRefusedAndWriteNothing() async throws {
        let h = try Harness()
        try ConfigurationFile.writeDefaultsIfMissing(root: h.root)
        let before = try Data(contentsOf: URL(fileURLWithPath: h.root + "/harperdb-config.yaml"))
        let rsa = "-----BEGIN PUBLIC KEY-----\\nMFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8QuKUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQ==\\n-----END PUBLIC KEY-----"
        let cases: [(String, String)] = [
            (#""/nowhere/issuer.pem""#, "'/nowhere/issuer.pem' is neither a readable PEM file nor a base64 Ed25519 public key"),
            (#""\#(rsa)""#, "the PEM text holds a public key that is not Ed25519"),
            ("42", "must be a string or an array of strings"),
        ]
        for (value, reason) in cases {
            let r = await h.post(#"{"operation":"set_configuration","licensing_issuerKeys":\#(value)}"#)
            #expect(r.status == 400)
            #expect(r.json["error"] == .string("HarperDB config file validation error: 'licensing.issuerKeys' " + reason))
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: h.root + "/harperdb-config.yaml")) == before)
    }
}
