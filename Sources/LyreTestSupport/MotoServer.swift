import Foundation
package import LyreS3

/// A moto server (PyPI `moto[server]`, installed by `scripts/bootstrap`) on a free loopback
/// port, for the S3 tests: an S3-compatible store that really checks SigV4 signatures and
/// IAM policies once `enforceAuthentication()` has run. `stop()` (or release) ends it.
package final class MotoServer: @unchecked Sendable {
    // @unchecked: `process` is started in init and only signalled afterwards.
    package let port: Int
    private let process: Subprocess
    package let log: String

    /// Keys moto accepts before authentication is enforced (any works then).
    package static let setupCredentials = S3Credentials(accessKeyID: "AKIASETUPSETUPSETUP1", secretAccessKey: "setup")

    /// `moto.server.main` with a watchdog: the server exits when its parent (the test
    /// process) is gone, so a crashed test run leaves no moto behind.
    static let launcher = """
        import os, sys, threading, time
        parent = os.getppid()
        def watch():
            while os.getppid() == parent:
                time.sleep(0.5)
            os._exit(0)
        threading.Thread(target=watch, daemon=True).start()
        from moto.server import main
        main(sys.argv[1:])
        """

    package static var isAvailable: Bool {
        (try? Subprocess.runBlocking(["python3", "-c", "import moto.server"]))?.status == 0
    }

    package init() async throws {
        port = LyreProcess.freePort()
        log = TestApplication.temporaryRoot() + "-moto.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONUNBUFFERED"] = "1"
        process = try Subprocess(["python3", "-c", Self.launcher, "-H", "127.0.0.1", "-p", String(port)],
                                 environment: environment, log: log)
        // Until it answers or exits: importing moto takes seconds, and over 20 s on a loaded
        // machine (a fixed 20 s bound failed a suite once). The ceiling only guards a hang.
        for _ in 0..<2_400 where process.isRunning {
            if (try? await HTTPClient.request(port: port, method: "GET", path: "/moto-api/data.json", headers: [], body: []))?.status == 200 {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let exited = !process.isRunning
        process.kill()
        throw HTTPClient.Failure(reason: "moto \(exited ? "exited before it answered" : "did not answer within 120 s") on port \(port); see \(log)")
    }

    package var endpoint: String { "http://127.0.0.1:\(port)" }

    /// SIGKILL: moto's server does not end on SIGTERM, and it holds nothing to save.
    package func stop() {
        process.kill()
    }

    deinit { stop() }

    /// One signed S3 request (path style) through the test's raw HTTP client.
    package func s3(_ method: String, bucket: String, key: String? = nil, query: [(String, String)] = [],
                    body: [UInt8] = [], credentials: S3Credentials = MotoServer.setupCredentials) async throws -> TestResponse {
        let location = S3Location(bucket: bucket, region: "us-east-1", endpoint: endpoint)
        let headers = S3RequestSigner(location: location, credentials: credentials)
            .headers(method, key: key, query: query, body: body)
        let target = location.url(key: key, query: query).dropFirst(endpoint.count)
        return try await HTTPClient.request(port: port, method: method, path: String(target),
                                            headers: headers.filter { $0.0 != "Host" }.map { "\($0.0): \($0.1)" }, body: body)
    }

    /// One IAM query-API call (`Action=…`), signed for the `iam` service.
    @discardableResult
    package func iam(_ action: String, _ parameters: [(String, String)]) async throws -> String {
        let form = ([("Action", action), ("Version", "2010-05-08")] + parameters)
            .map { "\(SigV4.encode($0.0))=\(SigV4.encode($0.1))" }.joined(separator: "&")
        let body = Array(form.utf8)
        let hash = SigV4.sha256Hex(body)
        let date = SigV4.amzDate(Date())
        let headers = [("Host", "127.0.0.1:\(port)"), ("Content-Type", "application/x-www-form-urlencoded"), ("X-Amz-Date", date)]
        let auth = SigV4.authorization(SigV4.Request(method: "POST", canonicalURI: "/", headers: headers, payloadHash: hash),
                                       accessKeyID: Self.setupCredentials.accessKeyID,
                                       secretAccessKey: Self.setupCredentials.secretAccessKey,
                                       region: "us-east-1", service: "iam", amzDate: date)
        let response = try await HTTPClient.request(port: port, method: "POST", path: "/",
                                                    headers: headers.dropFirst().map { "\($0.0): \($0.1)" } + ["Authorization: \(auth)"],
                                                    body: body)
        let text = String(decoding: response.body, as: UTF8.self)
        guard response.status == 200 else { throw HTTPClient.Failure(reason: "IAM \(action): \(response.status) \(text)") }
        return text
    }

    /// Creates an IAM user with an inline policy and returns its new access key.
    package func user(_ name: String, policy: String) async throws -> S3Credentials {
        try await iam("CreateUser", [("UserName", name)])
        try await iam("PutUserPolicy", [("UserName", name), ("PolicyName", name + "-policy"), ("PolicyDocument", policy)])
        let key = try await iam("CreateAccessKey", [("UserName", name)])
        func element(_ tag: String) -> String? {
            guard let start = key.range(of: "<\(tag)>"), let end = key.range(of: "</\(tag)>", range: start.upperBound..<key.endIndex) else { return nil }
            return String(key[start.upperBound..<end.lowerBound])
        }
        guard let id = element("AccessKeyId"), let secret = element("SecretAccessKey") else {
            throw HTTPClient.Failure(reason: "CreateAccessKey: \(key)")
        }
        return S3Credentials(accessKeyID: id, secretAccessKey: secret)
    }

    /// From now on every request must be signed by a known IAM key with a matching
    /// signature and be allowed by that user's policy (moto's `INITIAL_NO_AUTH_ACTION_COUNT`
    /// set to 0 through its `/moto-api/reset-auth`).
    package func enforceAuthentication() async throws {
        let response = try await HTTPClient.request(port: port, method: "POST", path: "/moto-api/reset-auth", headers: [], body: Array("0".utf8))
        guard response.status == 200 else { throw HTTPClient.Failure(reason: "reset-auth: \(response.status)") }
    }

    /// An IAM policy allowing `actions` on every S3 resource.
    package static func policy(allowing actions: [String]) -> String {
        let list = actions.map { "\"\($0)\"" }.joined(separator: ",")
        return #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[\#(list)],"Resource":"*"}]}"#
    }
}
