import Crypto
import Foundation
import LyreCore
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
}
