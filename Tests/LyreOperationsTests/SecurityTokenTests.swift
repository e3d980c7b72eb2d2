import Foundation
import LyreCore
import LyreOperations
import LyreTestSupport
import Testing

/// create_authentication_tokens, refresh_operation_token and Bearer authentication
/// (security.md §1.3, §2), with an injected clock for expiry.
@Suite struct SecurityTokenTests {
    static func tokens(_ lyre: TestApplication, _ username: String = TestApplication.adminUsername,
                       _ password: String = TestApplication.adminPassword) async throws -> (operation: String, refresh: String) {
        let r = await lyre.post(#"{"operation": "create_authentication_tokens", "username": "\#(username)", "password": "\#(password)"}"#,
                                authorization: nil)
        #expect(r.status == 200, "\(r)")
        #expect(r.json.objectValue?.keys == ["operation_token", "refresh_token"])
        return (try #require(r.json["operation_token"]?.stringValue), try #require(r.json["refresh_token"]?.stringValue))
    }

    static let describe = #"{"operation": "describe_all"}"#

    @Test func operationTokenAuthenticatesUntilItExpires() async throws {
        let clock = TestClock()
        let lyre = try TestApplication(clock: clock)
        let (operation, refresh) = try await Self.tokens(lyre)
        #expect(await lyre.post(Self.describe, authorization: "Bearer " + operation).status == 200)

        clock.advance(by: 86_400 + 1)
        let expired = await lyre.post(Self.describe, authorization: "Bearer " + operation)
        #expect(expired.status == 401)
        #expect(expired.text == #"{"error":"token expired"}"#)
        #expect(expired.headers.contains { $0.0 == "WWW-Authenticate" && $0.1 == "Basic" })

        // The refresh token (30 days) still gives a new operation token.
        let renewed = await lyre.post(#"{"operation": "refresh_operation_token"}"#, authorization: "Bearer " + refresh)
        #expect(renewed.status == 200)
        #expect(renewed.json.objectValue?.keys == ["operation_token"])
        let fresh = try #require(renewed.json["operation_token"]?.stringValue)
        #expect(await lyre.post(Self.describe, authorization: "Bearer " + fresh).status == 200)

        clock.advance(by: 30 * 86_400)
        let refreshExpired = await lyre.post(#"{"operation": "refresh_operation_token"}"#, authorization: "Bearer " + refresh)
        #expect(refreshExpired.text == #"{"error":"token expired"}"#)
    }

    @Test func aVerifiedTokenIsAnsweredInlineUntilItExpiresOrItsUserChanges() async throws {
        let clock = TestClock()
        let lyre = try TestApplication(clock: clock)
        let (operation, _) = try await Self.tokens(lyre)
        let request = IncomingRequest(body: Array(Self.describe.utf8), authorization: "Bearer " + operation)
        func isInline() -> Bool {
            if case .immediate = lyre.app.handle(request) { return true }
            return false
        }
        #expect(!isInline(), "the first use verifies the signature asynchronously")
        #expect(await lyre.app.handle(request).response().status == 200)
        #expect(isInline(), "a verified token is remembered")

        _ = await lyre.post(#"{"operation": "alter_user", "username": "admin", "active": true}"#)
        #expect(!isInline(), "any user change forgets verified tokens")
        #expect(await lyre.app.handle(request).response().status == 200)
        #expect(isInline())

        clock.advance(by: 86_400 + 1)
        #expect(!isInline(), "expiry is checked on every use")
        #expect(await lyre.post(Self.describe, authorization: "Bearer " + operation).text == #"{"error":"token expired"}"#)
    }

    @Test func expiresInOverridesTheLifetime() async throws {
        let clock = TestClock()
        let lyre = try TestApplication(clock: clock)
        let r = await lyre.post(#"{"operation": "create_authentication_tokens", "username": "admin", "password": "password", "expires_in": "15m"}"#,
                                authorization: nil)
        let token = try #require(r.json["operation_token"]?.stringValue)
        clock.advance(by: 14 * 60)
        #expect(await lyre.post(Self.describe, authorization: "Bearer " + token).status == 200)
        clock.advance(by: 2 * 60)
        #expect(await lyre.post(Self.describe, authorization: "Bearer " + token).text == #"{"error":"token expired"}"#)
    }

    @Test func invalidTokens() async throws {
        let lyre = try TestApplication()
        let (operation, refresh) = try await Self.tokens(lyre)
        let invalid = #"{"error":"invalid token"}"#
        var tampered = Array(operation)
        let middle = tampered.firstIndex(of: ".")! + 3
        tampered[middle] = tampered[middle] == "A" ? "B" : "A"
        for token in ["garbage", String(tampered), refresh] {
            let r = await lyre.post(Self.describe, authorization: "Bearer " + token)
            #expect(r.status == 401)
            #expect(r.text == invalid)
        }
        // An operation token is not a refresh token.
        #expect(await lyre.post(#"{"operation": "refresh_operation_token"}"#, authorization: "Bearer " + operation).text == invalid)
        // A newer refresh token supersedes the older one.
        _ = try await Self.tokens(lyre)
        #expect(await lyre.post(#"{"operation": "refresh_operation_token"}"#, authorization: "Bearer " + refresh).text == invalid)
        // Tokens carrying a role claim are for applications, not the Operations API.
        let roleToken = await lyre.post(#"{"operation": "create_authentication_tokens", "username": "admin", "password": "password", "role": "app"}"#,
                                        authorization: nil)
        let token = try #require(roleToken.json["operation_token"]?.stringValue)
        #expect(await lyre.post(Self.describe, authorization: "Bearer " + token).text == invalid)
    }

    @Test func refreshBodyForm() async throws {
        let lyre = try TestApplication()
        let (_, refresh) = try await Self.tokens(lyre)
        let missing = await lyre.post(#"{"operation": "refresh_operation_token"}"#)
        #expect(missing.status == 400)
        #expect(missing.text == #"{"error":"'refresh_token' is required"}"#)
        let ok = await lyre.post(#"{"operation": "refresh_operation_token", "refresh_token": "\#(refresh)"}"#)
        #expect(ok.status == 200)
        #expect(ok.json["operation_token"]?.stringValue != nil)
    }

    @Test func inactiveAndDeletedUsers() async throws {
        let lyre = try TestApplication()
        _ = try await lyre.addUser("sam", password: "pw", role: "reader", permission: #"{"super_user": false}"#)
        let (operation, _) = try await Self.tokens(lyre, "sam", "pw")
        #expect(await lyre.post(#"{"operation": "user_info"}"#, authorization: "Bearer " + operation).status == 200)

        _ = await lyre.post(#"{"operation": "alter_user", "username": "sam", "active": false}"#)
        #expect(await lyre.post(#"{"operation": "user_info"}"#, authorization: "Bearer " + operation).text == #"{"error":"invalid token"}"#)

        _ = await lyre.post(#"{"operation": "drop_user", "username": "sam"}"#)
        let deleted = await lyre.post(#"{"operation": "describe_all"}"#, authorization: "Bearer " + operation)
        #expect(deleted.status == 403)
        #expect(deleted.text == TestApplication.refusal(access: #"["User sam has no role or permissions.  Please assign the user a valid role."]"#))
    }

    @Test(arguments: [
        (#"{"username": "admin", "password": "wrong"}"#, 401, #"{"error":"invalid credentials"}"#),
        (#"{"username": "nobody", "password": "password"}"#, 401, #"{"error":"invalid credentials"}"#),
        (#"{"username": "admin"}"#, 401, #"{"error":"invalid credentials"}"#),
        (#"{"username": "", "password": "password"}"#, 400, #"{"error":"'username' is not allowed to be empty"}"#),
        (#"{"username": "admin", "password": ""}"#, 400, #"{"error":"'password' is not allowed to be empty"}"#),
        (#"{"username": "", "password": ""}"#, 401, #"{"error":"Must login"}"#),
        (#"{}"#, 401, #"{"error":"Must login"}"#),
    ])
    func createTokensErrors(body: String, status: Int, text: String) async throws {
        let lyre = try TestApplication()
        let json = "{\"operation\": \"create_authentication_tokens\"," + body.dropFirst()
        let r = await lyre.post(body == "{}" ? #"{"operation": "create_authentication_tokens"}"# : json, authorization: nil)
        #expect(r.status == status)
        #expect(r.text == text)
    }

    @Test func tokensForTheAuthenticatedCallerAndLocalBypass() async throws {
        let lyre = try TestApplication(authorizeLocal: true)
        let basic = await lyre.post(#"{"operation": "create_authentication_tokens"}"#)
        #expect(basic.status == 200)
        let local = await lyre.post(#"{"operation": "create_authentication_tokens", "username": "", "password": ""}"#,
                                    authorization: nil, remoteAddress: "127.0.0.1")
        #expect(local.status == 400)
        #expect(local.text == #"{"error":"'username' is not allowed to be empty. 'password' is not allowed to be empty"}"#)
    }

    @Test func keysSurviveARestart() async throws {
        let directory = TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try TokenAuthorityProbe(directory)
        let token = try await first.issue()
        let second = try TokenAuthorityProbe(directory)
        #expect(try await second.verify(token) == "admin")
    }
}
