import Foundation
import Logging
import LyreAuth
import LyreCore
import Synchronization

/// `logging.auditAuthEvents`: each failed (`logFailed`) and successful (`logSuccessful`)
/// authentication is written to the main log with the tag `auth-event` (security.md §1.4),
/// failures at `error`, successes at `notify` (written whatever `logging.level` is):
///
/// ```
/// 2026-12-06T18:00:00.000Z [http/1] [error] [auth-event]: {"username":"admin","status":"failure","type":"authentication","originating_ip":"127.0.0.1","request_method":"POST","path":"/","auth_strategy":"Basic"}
/// ```
///
/// The line's timestamp is the event's time. The user is the one the credentials name (a
/// failed token names nobody: `null`); a password or token is never written.
final class AuthenticationAudit: Sendable {
    private let logger: Logger
    private let flags = Atomic<UInt8>(0)
    private static let failures: UInt8 = 1
    private static let successes: UInt8 = 2

    init(logger: Logger) {
        self.logger = logger
    }

    /// Takes `logging.auditAuthEvents.*` from the configuration in force.
    func configure(_ configuration: Configuration) {
        flags.store((configuration.logFailedAuthentication ? Self.failures : 0)
                    | (configuration.logSuccessfulAuthentication ? Self.successes : 0), ordering: .relaxed)
    }

    func succeeded(_ user: User, _ request: IncomingRequest) {
        guard flags.load(ordering: .relaxed) & Self.successes != 0 else { return }
        let strategy = switch user.method {
        case .basic: "Basic"
        case .operationToken, .refreshToken: "Bearer"
        case .local: "Local"
        case .bodyCredentials: "Body"
        case .none: "None"
        }
        logger.notice("\(Self.entry(username: user.username, status: "success", request, strategy: strategy))",
                      metadata: ["tags": "auth-event"])
    }

    /// A request whose credentials were refused: the user named by its Basic header, else by
    /// its body (Harper's body credentials); a bearer token names nobody.
    func failed(_ request: IncomingRequest, body: JSONObject) {
        guard flags.load(ordering: .relaxed) & Self.failures != 0 else { return }
        var username: String?
        var strategy = "Body"
        if let header = request.authorization {
            if Authenticator.isBearer(header) {
                strategy = "Bearer"
            } else {
                strategy = "Basic"
                username = BasicCredentials.parse(authorizationHeader: header)?.username
            }
        } else {
            username = body["username"]?.stringValue
        }
        logger.error("\(Self.entry(username: username, status: "failure", request, strategy: strategy))",
                     metadata: ["tags": "auth-event"])
    }

    private static func entry(username: String?, status: String, _ request: IncomingRequest, strategy: String) -> String {
        JSON.string(.object(JSONObject([
            ("username", username.map(Value.string) ?? .null), ("status", .string(status)),
            ("type", .string("authentication")),
            ("originating_ip", request.remoteAddress.map(Value.string) ?? .null),
            ("request_method", .string("POST")), ("path", .string("/")), ("auth_strategy", .string(strategy)),
        ])))
    }
}
