import LyreAuth

/// Two authorities over one key folder stand for two runs of the server.
struct TokenAuthorityProbe {
    let authority: TokenAuthority

    init(_ directory: String) throws {
        authority = try TokenAuthority(keyDirectory: directory + "/keys", clock: SystemClock())
    }

    func issue() async throws -> String {
        try await authority.issue(username: "admin", superUser: true, kind: .operation, lifetime: 60)
    }

    func verify(_ token: String) async throws -> String {
        try await authority.verify(token, as: .operation).username
    }
}
