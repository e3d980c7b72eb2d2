import Foundation
import Logging
import LyreCore
import LyreOperations
import LyreTestSupport

/// An application on its own temporary root with a configuration the test shapes
/// (`TestApplication` with knobs: audit log, usage-license keys, a prepared root).
final class Harness: Sendable {
    let root: String
    let app: Application

    init(root: String = TestApplication.temporaryRoot(), _ shape: (inout Configuration) -> Void = { _ in }) throws {
        self.root = root
        var logger = Logger(label: "lyre-test")
        logger.logLevel = .critical
        var configuration = Configuration(
            root: root, port: 0, bootstrapAdmin: (TestApplication.adminUsername, TestApplication.adminPassword),
            durableWrites: false, passwordHashRounds: 100_000)
        shape(&configuration)
        app = try Application(configuration: configuration, logger: logger)
    }

    deinit {
        app.shutdown()
        try? FileManager.default.removeItem(atPath: root)
    }

    /// The application's response as it is, before any encoding (streams unread).
    func respond(_ json: String, authorization: String? = TestApplication.adminAuthorization) async -> OutgoingResponse {
        let request = IncomingRequest(body: Array(json.utf8), authorization: authorization, remoteAddress: "10.0.0.1")
        return await app.handle(request).response()
    }

    func post(_ json: String, authorization: String? = TestApplication.adminAuthorization) async -> TestResponse {
        let response = await respond(json, authorization: authorization)
        let body: [UInt8]
        switch response.body {
        case .json(let v): body = JSON.encode(v)
        case .rawJSON(let b), .binary(let b): body = b
        case .stream(let stream): body = (try? await stream.collect()) ?? []
        }
        return TestResponse(status: response.status, headers: response.headers, body: body)
    }

    func header(_ name: String, in response: TestResponse) -> String? {
        response.headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}

extension Value {
    /// The value with `__createdtime__`/`__updatedtime__`/`timestamp` removed everywhere, for comparisons.
    var withoutTimes: Value {
        switch self {
        case .array(let items): return .array(items.map(\.withoutTimes))
        case .object(let o):
            return .object(JSONObject(o.entries
                .filter { !["__createdtime__", "__updatedtime__", "timestamp"].contains($0.key) }
                .map { ($0.key, $0.value.withoutTimes) }))
        default: return self
        }
    }
}
