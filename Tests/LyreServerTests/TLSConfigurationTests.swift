import Foundation
import LyreOperations
import Testing

/// The YAML keys the HTTPS listener reads (logs-config-system.md §5.3), as mapped onto `Configuration`.
@Suite struct TLSConfigurationTests {
    private func configuration(yaml: String, environment: [String: String] = [:]) throws -> Configuration {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lyre-tlsconf-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: ConfigurationFile.path(root: root)))
        var configuration = Configuration(root: root)
        configuration.environment = environment
        try ConfigurationFile.apply(to: &configuration)
        return configuration
    }

    @Test func defaultsServePlainHTTPOnlyWithTheCertificateUnderKeys() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lyre-tlsconf-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try ConfigurationFile.writeDefaultsIfMissing(root: root)
        var configuration = Configuration(root: root)
        try ConfigurationFile.apply(to: &configuration)
        #expect(configuration.servesPlainHTTP)
        #expect(configuration.port == 9925)
        #expect(configuration.securePort == nil)
        #expect(configuration.certificatePath == configuration.defaultCertificatePath)
        #expect(configuration.privateKeyPath == configuration.defaultPrivateKeyPath)
        #expect(configuration.defaultCertificatePath == root + "/keys/certificate.pem")
        #expect(configuration.defaultPrivateKeyPath == root + "/keys/privateKey.pem")
    }

    @Test func securePortAndTLSFilesAreRead() throws {
        let configuration = try configuration(yaml: """
            operationsApi:
              network:
                port: 9925
                securePort: 9443
            tls:
              certificate: /etc/lyre/cert.pem
              privateKey: /etc/lyre/key.pem
            """)
        #expect(configuration.servesPlainHTTP)
        #expect(configuration.securePort == 9443)
        #expect(configuration.certificatePath == "/etc/lyre/cert.pem")
        #expect(configuration.privateKeyPath == "/etc/lyre/key.pem")
    }

    @Test func operationsAPITLSOverridesTheSharedTLSSection() throws {
        let configuration = try configuration(yaml: """
            operationsApi:
              network:
                securePort: 9443
              tls:
                certificate: /ops/cert.pem
            tls:
              certificate: /shared/cert.pem
              privateKey: /shared/key.pem
            """)
        #expect(configuration.certificatePath == "/ops/cert.pem")
        #expect(configuration.privateKeyPath == "/shared/key.pem")
    }

    @Test func aNullPortTurnsPlainHTTPOff() throws {
        let configuration = try configuration(yaml: """
            operationsApi:
              network:
                port: null
                securePort: 9443
            """)
        #expect(!configuration.servesPlainHTTP)
        #expect(configuration.securePort == 9443)
    }

    @Test func theEnvironmentCanSetTheSecurePort() throws {
        let configuration = try configuration(yaml: "logging:\n  level: warn\n",
                                              environment: ["OPERATIONSAPI_NETWORK_SECUREPORT": "9444"])
        #expect(configuration.securePort == 9444)
    }
}
