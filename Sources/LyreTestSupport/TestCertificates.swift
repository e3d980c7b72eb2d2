import Foundation

/// A certificate authority and a node certificate it signed (for 127.0.0.1 and localhost),
/// and a second, unrelated pair, made with the openssl command.
package enum TestCertificates {
    package struct Material {
        package let directory: String
        package let authority: String
        package let certificate: String
        package let privateKey: String
        package let strangerAuthority: String
        package let strangerCertificate: String
        package let strangerPrivateKey: String
    }

    package static func make() throws -> Material? {
        guard let openssl = ["/usr/bin/openssl", "/usr/local/bin/openssl"].first(where: FileManager.default.isExecutableFile) else { return nil }
        let directory = TestApplication.temporaryRoot() + "-tls"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let extensions = directory + "/node.ext"
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n"
            .write(toFile: extensions, atomically: true, encoding: .utf8)
        func run(_ arguments: [String]) throws {
            guard try Subprocess.runBlocking([openssl] + arguments).status == 0 else { throw OpenSSLFailed(arguments: arguments) }
        }
        func pair(_ prefix: String) throws {
            let p = directory + "/" + prefix
            try run(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                     "-subj", "/CN=\(prefix) test CA", "-keyout", p + "-ca.key", "-out", p + "-ca.pem"])
            try run(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                     "-subj", "/CN=\(prefix) node", "-keyout", p + "-node.key", "-out", p + "-node.csr"])
            try run(["x509", "-req", "-in", p + "-node.csr", "-CA", p + "-ca.pem", "-CAkey", p + "-ca.key", "-CAcreateserial",
                     "-days", "2", "-extfile", extensions, "-out", p + "-node.pem"])
        }
        try pair("cluster")
        try pair("stranger")
        return Material(directory: directory, authority: directory + "/cluster-ca.pem", certificate: directory + "/cluster-node.pem",
                        privateKey: directory + "/cluster-node.key", strangerAuthority: directory + "/stranger-ca.pem",
                        strangerCertificate: directory + "/stranger-node.pem", strangerPrivateKey: directory + "/stranger-node.key")
    }

    package struct OpenSSLFailed: Error {
        package let arguments: [String]
    }
}
