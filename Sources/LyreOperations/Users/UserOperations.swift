import LyreAuth
import LyreCore
import LyreStorage

/// add_user / alter_user / drop_user / list_users / user_info (security.md §3). Passwords are
/// stored as `PasswordHasher` hashes and never returned; every change drops cached credentials.
enum UserOperations {
    static func register(into registry: inout OperationRegistry) {
        registry.register(.addUser, .async(addUser))
        registry.register(.alterUser, .async(alterUser))
        registry.register(.dropUser, .async(dropUser))
        registry.register(.listUsers, .sync(listUsers))
        registry.register(.userInfo, .sync(userInfo))
    }

    @Sendable static func listUsers(_ request: Request, _ context: OperationContext) throws -> OutgoingResponse.Body {
        let store = try SecurityStore(context)
        return .json(.array(try store.allUsers().map { try store.publicUser($0, systemGrant: true) }))
    }

    @Sendable static func userInfo(_ request: Request, _ context: OperationContext) throws -> OutgoingResponse.Body {
        let store = try SecurityStore(context)
        guard let record = try store.user(context.user.username) else { throw Authorization.noRole(context.user.username) }
        return .json(try store.publicUser(record, systemGrant: false))
    }

    @Sendable static func addUser(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        var problems: [String] = []
        for (key, label) in [("username", "Username"), ("password", "Password"), ("role", "Role"), ("active", "Active")] {
            switch request[key] {
            case nil, .null?, .string("")?: problems.append("\(label) can't be blank")
            default: break
            }
        }
        guard problems.isEmpty else { throw LyreError.validation(problems.joined(separator: ",")) }
        guard case .string(let roleName)? = request["role"], RolePermissionValidator.isValidName(roleName) else {
            throw LyreError.validation("Role is invalid")
        }
        guard case .bool(let active)? = request["active"] else { throw LyreError.validation("Active must be a boolean") }
        guard case .string(let username)? = request["username"], username != "system",
              !username.unicodeScalars.contains(where: Self.isControl) else {
            throw LyreError.validation("Username is invalid")
        }
        guard case .string(let password)? = request["password"] else { throw LyreError.validation("Password must be a string") }
        let store = try SecurityStore(context)
        let roleID = try store.roleID(named: roleName,
                                      notFound: LyreError(.notFound, status: 404, "\(roleName) role not found"))
        if try store.user(username) != nil {
            throw LyreError(.conflict, status: 409, "User \(username) already exists")
        }
        var record = JSONObject()
        record.appendUnchecked("username", .string(username))
        record.appendUnchecked("password", .string(try context.app.authenticator.hasher.hash(password)))
        record.appendUnchecked("role", roleID)
        record.appendUnchecked("active", .bool(active))
        record.appendUnchecked("hash_function", .string(PasswordHasher.scheme))
        // Clustering: a cluster user's password also kept reversibly (routes need it).
        if ClusterUser.isClusterRole(roleID, in: context.app.storage) { record.appendUnchecked("hash", .string(try ClusterUser.seal(password))) }
        let result = try await store.write([record], mode: .insert, to: SystemDatabase.userTable)
        guard !result.written.isEmpty else { throw LyreError(.conflict, status: 409, "User \(username) already exists") }
        context.app.cluster.userChanged(username)
        return .message("\(username) successfully added")
    }

    /// C0 and C1 control characters and DEL: a username holding one could not be typed in a
    /// Basic header or shown in a log line as it is (a NUL cut it short in C APIs).
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    @Sendable static func alterUser(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        func failure(_ text: String) -> LyreError { LyreError(.validation, status: 400, text) }
        guard case .string(let username)? = request["username"], !username.isEmpty else {
            throw failure("username is required")
        }
        // A null is not given (Harper's checks treat it so; docs/compatibility.md, "Users").
        // Not `flatMap { $0.isNull ? nil : $0 }`: `Value` is nil-literal expressible, so that
        // `nil` was `Value.null` and a null password came through as a value.
        func given(_ key: String) -> Value? {
            guard let value = request[key], !value.isNull else { return nil }
            return value
        }
        let password = given("password")
        let role = given("role")
        let active = given("active")
        guard password != nil || role != nil || active != nil else {
            throw failure("nothing to update, must supply active, role or password to update")
        }
        var record = JSONObject()
        record.appendUnchecked("username", .string(username))
        if let password {
            guard case .string(let text) = password, !text.allSatisfy(\.isWhitespace) else {
                throw failure("password cannot be an empty string")
            }
            record.appendUnchecked("password", .string(try context.app.authenticator.hasher.hash(text)))
            record.appendUnchecked("hash_function", .string(PasswordHasher.scheme))
        }
        if let active {
            guard case .bool = active else { throw failure("active must be true or false") }
            record.appendUnchecked("active", active)
        }
        let store = try SecurityStore(context)
        if let role {
            guard case .string(let name) = role, !name.isEmpty else { throw failure("If role is specified, it cannot be empty.") }
            let id = try store.roleID(named: name, notFound: LyreError(
                .notFound, status: 404, "Update failed.  Requested '\(name)' role not found."))
            record.appendUnchecked("role", id)
        }
        if case .string(let text)? = password {
            // Clustering: a cluster user's password also kept reversibly (routes need it), no one else's.
            let existing = try store.user(username)
            if ClusterUser.isClusterRole(record["role"] ?? existing?["role"], in: context.app.storage) {
                record["hash"] = .string(try ClusterUser.seal(text))
            } else if existing?["hash"] != nil {
                record["hash"] = .null
            }
        }
        let result = try await store.write([record], mode: .update, to: SystemDatabase.userTable)
        context.app.cluster.userChanged(username)
        var body = JSONObject()
        body.appendUnchecked("message", .string("updated \(result.written.count) of 1 records"))
        body.appendUnchecked("update_hashes", .array(result.written))
        body.appendUnchecked("skipped_hashes", .array(result.skipped))
        return .json(.object(body))
    }

    @Sendable static func dropUser(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        guard case .string(let username)? = request["username"], !username.isEmpty else {
            throw LyreError.validation("Username can't be blank")
        }
        let store = try SecurityStore(context)
        guard try await store.delete(username, from: SystemDatabase.userTable) else {
            throw LyreError(.notFound, status: 404, "User \(username) does not exist")
        }
        context.app.cluster.userChanged(username)
        return .message("\(username) successfully deleted")
    }
}
