import LyreAuth
import LyreCore
import LyreStorage

/// create_authentication_tokens / refresh_operation_token (security.md §2).
enum TokenOperations {
    static func register(into registry: inout OperationRegistry) {
        registry.register(.createAuthenticationTokens, .async(createTokens))
        registry.register(.refreshOperationToken, .async(refreshToken))
    }

    static let invalidCredentials = LyreError(.unauthorized, status: 401, "invalid credentials")

    @Sendable static func createTokens(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        let user = try tokenUser(request, context)
        let lifetime = try operationLifetime(request, context)
        let role: String?
        switch request["role"] {
        case nil, .null?: role = nil
        case .string(let s)?: role = s
        default: throw LyreError.validation("'role' must be a string")
        }
        let tokens = context.app.authenticator.tokens
        let refreshLifetime = TokenDuration.seconds(context.app.configuration.refreshTokenTimeout) ?? 30 * 86_400
        let operation = try await tokens.issue(username: user.username, superUser: user.isSuperUser, kind: .operation,
                                               lifetime: lifetime, role: role)
        let refresh = try await tokens.issue(username: user.username, superUser: user.isSuperUser, kind: .refresh,
                                             lifetime: refreshLifetime, role: role)
        var record = JSONObject()
        record.appendUnchecked("username", .string(user.username))
        record.appendUnchecked("refresh_token", .string(TokenAuthority.fingerprint(refresh)))
        do {
            let store = try SecurityStore(context)
            let update = [record]
            let result = try await store.db.write { ctx in try ctx.write(update, mode: .update, to: SystemDatabase.userTable) }
            guard !result.written.isEmpty else { throw LyreError.internalError() }
        } catch {
            throw LyreError(.internalError, status: 500, "unable to store refresh_token", underlying: error as? LyreError)
        }
        var body = JSONObject()
        body.appendUnchecked("operation_token", .string(operation))
        body.appendUnchecked("refresh_token", .string(refresh))
        return .json(.object(body))
    }

    @Sendable static func refreshToken(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        let authenticator = context.app.authenticator
        let user: User
        if context.user.method == .refreshToken {
            user = context.user
        } else {
            guard case .string(let token)? = request["refresh_token"], !token.isEmpty else {
                // A bearer that is an operation token is not a refresh token.
                if context.user.method == .operationToken { throw LyreError.invalidToken }
                throw LyreError.validation("'refresh_token' is required")
            }
            user = try await authenticator.bearer("Bearer " + token, operation: .refreshOperationToken)
            guard user.method == .refreshToken else { throw LyreError.invalidToken }
        }
        let lifetime = TokenDuration.seconds(context.app.configuration.operationTokenTimeout) ?? 86_400
        let token = try await authenticator.tokens.issue(username: user.username, superUser: user.isSuperUser,
                                                         kind: .operation, lifetime: lifetime)
        return .json(.object(JSONObject([("operation_token", .string(token))])))
    }

    /// The user the tokens are for: the body's credentials when given, else the authenticated caller.
    private static func tokenUser(_ request: Request, _ context: OperationContext) throws -> User {
        var problems: [String] = []
        for key in ["username", "password"] {
            if let value = request[key], !value.isNull, value.stringValue == nil { problems.append("'\(key)' must be a string") }
        }
        guard problems.isEmpty else { throw LyreError.validation(problems) }
        let username = request["username"]?.stringValue
        let password = request["password"]?.stringValue
        if username == nil && password == nil {
            guard context.user.method != .none else { throw LyreError.mustLogin }
            return context.user
        }
        switch (username, password) {
        case ("", ""):
            guard context.user.method != .none else { throw LyreError.mustLogin }
            throw LyreError.validation("'username' is not allowed to be empty. 'password' is not allowed to be empty")
        case ("", _): throw LyreError.validation("'username' is not allowed to be empty")
        case (_, ""): throw LyreError.validation("'password' is not allowed to be empty")
        case (let username?, let password?):
            do {
                return try context.app.authenticator.verify(username: username, password: password)
            } catch let error as LyreError where error.status == 401 {
                throw invalidCredentials
            }
        default:
            throw invalidCredentials
        }
    }

    /// `expires_in` (a duration text or seconds) or `authentication.operationTokenTimeout`.
    private static func operationLifetime(_ request: Request, _ context: OperationContext) throws -> Double {
        switch request["expires_in"] {
        case nil, .null?:
            return TokenDuration.seconds(context.app.configuration.operationTokenTimeout) ?? 86_400
        case let value?:
            let seconds = value.doubleValue ?? value.stringValue.flatMap(TokenDuration.seconds)
            guard let seconds, seconds > 0 else {
                throw LyreError.validation("'expires_in' must be a number of seconds or a duration such as '2h'")
            }
            return seconds
        }
    }
}
