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
    let cache = CredentialCache()
    private let storage: StorageEngine
    /// A hash to verify against when the user does not exist (equalizes timing).
    private let decoyHash: String

    init(storage: StorageEngine, hasher: PasswordHasher) {
        self.storage = storage
        self.hasher = hasher
        decoyHash = (try? hasher.hash("lyre-decoy-password")) ?? ""
    }

    func authenticate(_ request: IncomingRequest, body: JSONObject, authorizeLocal: Bool) throws -> User {
        if let header = request.authorization {
            if header.hasPrefix("Basic ") || header.hasPrefix("basic ") {
                return try basic(header)
            }
            if header.hasPrefix("Bearer ") || header.hasPrefix("bearer ") {
                throw LyreError.invalidToken
            }
            throw LyreError.loginFailed
        }
        // Harper's quirk: without an Authorization header, body credentials are tried.
        if case .string(let username)? = body["username"], case .string(let password)? = body["password"] {
            return try verify(username: username, password: password)
        }
        if authorizeLocal, let address = request.remoteAddress, Self.isLoopback(address),
           let user = try firstSuperUser() {
            return user
        }
        throw LyreError.mustLogin
    }

    private func basic(_ header: String) throws -> User {
        let generation = cache.generation
        if let username = cache.username(for: header), let user = try loadUser(username) {
            guard user.active else { throw LyreError.userInactive }
            return user
        }
        guard let credentials = BasicCredentials.parse(authorizationHeader: header) else { throw LyreError.loginFailed }
        let user = try verify(username: credentials.username, password: credentials.password)
        cache.store(header, username: user.username, generation: generation)
        return user
    }

    /// Checks a username and password. - Throws: `Login failed` / the inactive-user text.
    func verify(username: String, password: String) throws -> User {
        guard let record = try userRecord(username), case .string(let stored)? = record["password"] else {
            _ = hasher.verify(password, against: decoyHash)
            throw LyreError.loginFailed
        }
        guard hasher.verify(password, against: stored), let user = try user(from: record) else {
            throw LyreError.loginFailed
        }
        guard user.active else { throw LyreError.userInactive }
        return user
    }

    /// Drops every cached credential: call after any change to users or roles.
    func invalidate() { cache.invalidateAll() }

    func loadUser(_ username: String) throws -> User? {
        guard let record = try userRecord(username) else { return nil }
        return try user(from: record)
    }

    private func userRecord(_ username: String) throws -> JSONObject? {
        guard let system = storage.database(StorageEngine.systemDatabase),
              let table = system.table(SystemDatabase.userTable) else { return nil }
        return try system.read { txn in try txn.record(in: table, id: .string(username)) }
    }

    private func user(from record: JSONObject) throws -> User? {
        guard case .string(let username)? = record["username"] else { return nil }
        let active = record["active"] == .bool(true)
        let role = try self.role(record["role"]) ?? Role(id: "", name: "", permission: JSONObject())
        return User(username: username, active: active, role: role)
    }

    /// The role a user record names, by id (or, for hand-written records, by name).
    func role(_ reference: Value?) throws -> Role? {
        guard let reference, let system = storage.database(StorageEngine.systemDatabase),
              let table = system.table(SystemDatabase.roleTable) else { return nil }
        return try system.read { txn in
            if let record = try txn.record(in: table, id: reference) { return Self.role(from: record) }
            guard case .string(let name) = reference else { return nil }
            for record in try txn.allRecords(in: table) where record["role"] == .string(name) {
                return Self.role(from: record)
            }
            return nil
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
}
