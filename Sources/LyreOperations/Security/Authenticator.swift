import Synchronization
import Foundation
import LyreAuth
import LyreCore
import LyreStorage

/// Authenticates requests against `system.hdb_user` (security.md §1–2).
///
/// Verified Basic credentials are cached by the exact header value, so a request pays
/// the slow password hash only on the first use of a credential; any change to users or
/// roles invalidates the cache. An unknown user costs the same hash as a wrong password,
/// and both answer `Login failed`, so neither timing nor text tells them apart.
final class Authenticator: Sendable {
    let hasher: PasswordHasher
    /// Verified `Authorization` headers and the users (with their parsed roles) behind them:
    /// a repeated credential costs one dictionary lookup — no base64, no hash, no LMDB read.
    /// Any change to users or roles invalidates it.
    let cache = CredentialCache<User>()
    /// Verified operation tokens (the whole `Authorization` value) with their users and
    /// expiry, which is checked against the clock on every use: a repeated token skips the
    /// RS256 verification and the user read, and is answered inline like Basic.
    let tokenCache = CredentialCache<(user: User, expiresAt: Int64)>()
    /// The super user that `authorizeLocal` lets loopback requests in as.
    private let localCache = CredentialCache<User>()
    let tokens: TokenAuthority
    private let storage: StorageEngine
    /// Made on first need (an unknown user), then kept.
    private let decoy = Mutex<String?>(nil)

    init(storage: StorageEngine, hasher: PasswordHasher, tokens: TokenAuthority) {
        self.storage = storage
        self.hasher = hasher
        self.tokens = tokens
    }

    /// Whether the header carries a bearer token (verified asynchronously by ``bearer(_:operation:)``).
    static func isBearer(_ header: String) -> Bool {
        header.hasPrefix("Bearer ") || header.hasPrefix("bearer ")
    }

    /// Authenticates a request without a bearer token, in security.md §1.1's order:
    /// Basic header, local bypass (loopback with `authorizeLocal`, or the domain socket, as
    /// Harper's CLI uses it), body credentials (Harper's quirk), else `Must login`.
    func authenticate(_ request: IncomingRequest, body: JSONObject, authorizeLocal: Bool) throws -> User {
        if let header = request.authorization, header.hasPrefix("Basic ") || header.hasPrefix("basic ") {
            if let user = cache.subject(for: header) { return user }
            if let credentials = BasicCredentials.parse(authorizationHeader: header), credentials.isEmpty {
                // Legacy: `Basic base64(":")` is no credentials at all.
            } else {
                return try basic(header)
            }
        }
        if request.viaDomainSocket || (authorizeLocal && request.remoteAddress.map(Self.isLoopback) == true) {
            if let user = localCache.subject(for: "local") { return user }
            let generation = localCache.generation
            if var user = try firstSuperUser() {
                user.method = .local
                localCache.store("local", subject: user, generation: generation)
                return user
            }
        }
        // Harper's quirk: body credentials are tried as a last resort.
        if request.authorization == nil,
           case .string(let username)? = body["username"], case .string(let password)? = body["password"],
           !(username.isEmpty && password.isEmpty) {
            var user = try verify(username: username, password: password)
            user.method = .bodyCredentials
            return user
        }
        throw LyreError.mustLogin
    }

    /// Authenticates a bearer token (security.md §1.3). A refresh token is accepted only for
    /// `refresh_operation_token`; the user's current role and active flag are what count.
    /// - Throws: `invalid token` / `token expired` (401).
    func bearer(_ header: String, operation: OperationName?) async throws -> User {
        let generation = tokenCache.generation
        let token = String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces)
        let claims: TokenClaims
        let method: AuthenticationMethod
        switch await Self.check(token, as: .operation, with: tokens) {
        case .success(let verified):
            claims = verified
            method = .operationToken
        case .failure(.expired):
            throw LyreError.tokenExpired
        case .failure(.invalid):
            guard operation == .refreshOperationToken else { throw LyreError.invalidToken }
            switch await Self.check(token, as: .refresh, with: tokens) {
            case .success(let refresh):
                guard let record = try userRecord(refresh.username),
                      record["refresh_token"] == .string(TokenAuthority.fingerprint(token)) else { throw LyreError.invalidToken }
                claims = refresh
                method = .refreshToken
            case .failure(.expired): throw LyreError.tokenExpired
            case .failure(.invalid): throw LyreError.invalidToken
            }
        }
        guard var user = try loadUser(claims.username) else {
            // A deleted user: authorization answers "has no role or permissions".
            var user = User(username: claims.username, active: true, role: .missing, method: method)
            user.schema = storage
            return user
        }
        guard user.active else { throw LyreError.invalidToken }
        user.method = method
        if method == .operationToken {
            tokenCache.store(header, subject: (user, claims.expiresAt), generation: generation)
        }
        return user
    }

    /// The user of an operation token verified before, if it has not expired since and no
    /// user or role changed; `nil` sends the request through ``bearer(_:operation:)``
    /// (which also gives an expired token its `token expired`).
    func cachedBearer(_ header: String) -> User? {
        guard let (user, expiresAt) = tokenCache.subject(for: header),
              Int64(tokens.clock.now().timeIntervalSince1970) < expiresAt else { return nil }
        return user
    }

    private static func check(_ token: String, as kind: TokenKind, with tokens: TokenAuthority) async -> Result<TokenClaims, TokenFailure> {
        do throws(TokenFailure) {
            return .success(try await tokens.verify(token, as: kind))
        } catch {
            return .failure(error)
        }
    }

    /// Verifies a Basic header that missed the cache (an active user only: `verify` refuses
    /// inactive ones) and remembers it for the cache's generation read before hashing.
    private func basic(_ header: String) throws -> User {
        let generation = cache.generation
        guard let credentials = BasicCredentials.parse(authorizationHeader: header) else { throw LyreError.loginFailed }
        let user = try verify(username: credentials.username, password: credentials.password)
        cache.store(header, subject: user, generation: generation)
        return user
    }

    /// Checks a username and password. - Throws: `Login failed` / the inactive-user text.
    func verify(username: String, password: String) throws -> User {
        guard let record = try userRecord(username), case .string(let stored)? = record["password"] else {
            _ = hasher.verify(password, against: decoyHash())
            throw LyreError.loginFailed
        }
        guard hasher.verify(password, against: stored), let user = try user(from: record) else {
            throw LyreError.loginFailed
        }
        guard user.active else { throw LyreError.userInactive }
        return user
    }

    /// Drops every cached credential: call after any change to users or roles.
    func invalidate() {
        cache.invalidateAll()
        tokenCache.invalidateAll()
        localCache.invalidateAll()
    }

    func loadUser(_ username: String) throws -> User? {
        guard let record = try userRecord(username) else { return nil }
        return try user(from: record)
    }

    func userRecord(_ username: String) throws -> JSONObject? {
        guard let system = storage.database(StorageEngine.systemDatabase),
              let table = system.table(SystemDatabase.userTable) else { return nil }
        return try system.read { txn in try txn.record(in: table, id: .string(username)) }
    }

    private func user(from record: JSONObject) throws -> User? {
        guard case .string(let username)? = record["username"] else { return nil }
        let active = record["active"] == .bool(true)
        let role = try self.role(record["role"]) ?? .missing
        var user = User(username: username, active: active, role: role)
        user.schema = storage
        return user
    }

    /// The role a user record names, by id (or, for hand-written records, by name).
    func role(_ reference: Value?) throws -> Role? {
        try roleRecord(reference).map(Self.role(from:))
    }

    /// The stored role record a user record names, by id (or, for hand-written records, by name).
    func roleRecord(_ reference: Value?) throws -> JSONObject? {
        guard let reference, let system = storage.database(StorageEngine.systemDatabase),
              let table = system.table(SystemDatabase.roleTable) else { return nil }
        return try system.read { txn in
            if let record = try txn.record(in: table, id: reference) { return record }
            guard case .string(let name) = reference else { return nil }
            return try txn.allRecords(in: table).first { $0["role"] == .string(name) }
        }
    }

    static func role(from record: JSONObject) -> Role {
        let id: String = switch record["id"] {
        case .string(let s)?: s
        case let v?: JSON.string(v)
        case nil: ""
        }
        return Role(id: id, name: record["role"]?.stringValue ?? "", permission: record["permission"]?.objectValue ?? JSONObject())
    }

    private func firstSuperUser() throws -> User? {
        guard let system = storage.database(StorageEngine.systemDatabase),
              let table = system.table(SystemDatabase.userTable) else { return nil }
        let records = try system.read { txn in try txn.allRecords(in: table) }
        for record in records {
            if let user = try user(from: record), user.isSuperUser, user.active { return user }
        }
        return nil
    }

    static func isLoopback(_ address: String) -> Bool {
        address.hasPrefix("127.") || address == "::1" || address == "::ffff:127.0.0.1" || address.hasPrefix("unix")
    }

    /// A hash to verify against when the user does not exist, so that path costs the same.
    private func decoyHash() -> String {
        decoy.withLock { cached in
            if let cached { return cached }
            let made = (try? hasher.hash("lyre-decoy-password")) ?? ""
            cached = made
            return made
        }
    }
}
