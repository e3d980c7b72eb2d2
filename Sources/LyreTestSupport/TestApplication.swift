import Foundation
public import LyreCore
public import LyreOperations
public import LyreAuth
import Logging
import Synchronization

/// A response as a test sees it.
public struct TestResponse: Sendable, CustomStringConvertible {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public var text: String { String(decoding: body, as: UTF8.self) }
    /// The body parsed as JSON (`.null` if it is not JSON).
    public var json: Value { (try? JSON.parse(body)) ?? .null }
    public var description: String { "\(status) \(text)" }

    public init(status: Int, headers: [(String, String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// A Lyre application on its own temporary root, driven in-process through `handle`.
/// Each test makes its own, so tests run in parallel safely.
public final class TestApplication: Sendable {
    public static let adminUsername = "admin"
    public static let adminPassword = "password"
    public static let adminAuthorization = basic(adminUsername, adminPassword)

    public let root: String
    public let app: Application

    /// - Parameters:
    ///   - durable: fsync on commit (off by default: tests don't need it).
    ///   - clock: "Now" for token lifetimes (a ``TestClock`` lets tests expire tokens).
    public init(durable: Bool = false, authorizeLocal: Bool = false, clock: (any AuthClock)? = nil) throws {
        root = Self.temporaryRoot()
        Self.seedTokenKeys(root: root)
        var logger = Logger(label: "lyre-test")
        logger.logLevel = .critical
        app = try Application(
            configuration: Configuration(
                root: root, port: 0, bootstrapAdmin: (Self.adminUsername, Self.adminPassword),
                authorizeLocal: authorizeLocal, durableWrites: durable, passwordHashRounds: 100_000),
            logger: logger, clock: clock ?? SystemClock())
    }

    /// Token signing keys generated once per test process and copied into each new root:
    /// an RSA key pair per test would cost most of a test run's CPU.
    private static let sharedKeys = Mutex<[String: Data]?>(nil)

    static func seedTokenKeys(root: String) {
        let names = [".jwtPrivate.key", ".jwtPublic.key"]
        let keys = sharedKeys.withLock { cached -> [String: Data]? in
            if let cached { return cached }
            let scratch = temporaryRoot()
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            guard (try? TokenAuthority(keyDirectory: scratch + "/keys", clock: SystemClock())) != nil else { return nil }
            var files: [String: Data] = [:]
            for name in names { files[name] = FileManager.default.contents(atPath: scratch + "/keys/" + name) }
            cached = files.count == names.count ? files : nil
            return cached
        }
        guard let keys else { return }
        try? FileManager.default.createDirectory(atPath: root + "/keys", withIntermediateDirectories: true)
        for (name, data) in keys {
            _ = FileManager.default.createFile(atPath: root + "/keys/" + name, contents: data, attributes: [.posixPermissions: 0o600])
        }
    }

    deinit {
        app.shutdown()
        try? FileManager.default.removeItem(atPath: root)
    }

    /// A fresh, unique folder under the system's temporary directory.
    public static func temporaryRoot() -> String {
        NSTemporaryDirectory() + "lyre-test-" + UUID().uuidString
    }

    public static func basic(_ username: String, _ password: String) -> String {
        "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
    }

    /// Sends one operation (JSON text) as the super user, or with `authorization`.
    public func post(_ json: String, authorization: String? = TestApplication.adminAuthorization,
                     remoteAddress: String? = "10.0.0.1") async -> TestResponse {
        let request = IncomingRequest(body: Array(json.utf8), authorization: authorization, remoteAddress: remoteAddress)
        let response = await app.handle(request).response()
        return await Self.encode(response)
    }

    /// Sends one operation given as a `Value`.
    public func post(_ value: Value, authorization: String? = TestApplication.adminAuthorization) async -> TestResponse {
        await post(JSON.string(value), authorization: authorization)
    }

    static func encode(_ response: OutgoingResponse) async -> TestResponse {
        let body: [UInt8]
        switch response.body {
        case .json(let v): body = JSON.encode(v)
        case .rawJSON(let b), .binary(let b): body = b
        case .stream(let stream): body = (try? await stream.collect()) ?? []
        }
        return TestResponse(status: response.status, headers: response.headers, body: body)
    }
}
