import LyreAuth
import Testing

@Suite struct BasicCredentialsTests {
    @Test func parsesAWellFormedHeader() {
        // base64("HDB_ADMIN:password")
        let credentials = BasicCredentials.parse(authorizationHeader: "Basic SERCX0FETUlOOnBhc3N3b3Jk")
        #expect(credentials == BasicCredentials(username: "HDB_ADMIN", password: "password"))
    }

    @Test func splitsAtTheFirstColonOnly() {
        // base64("user:pa:ss")
        let credentials = BasicCredentials.parse(authorizationHeader: "Basic dXNlcjpwYTpzcw==")
        #expect(credentials == BasicCredentials(username: "user", password: "pa:ss"))
    }

    @Test func schemeIsCaseInsensitiveAndPaddingOptional() {
        // base64("a:b") = "YTpi"; base64("ab:c") = "YWI6Yw=="
        #expect(BasicCredentials.parse(authorizationHeader: "basic YTpi") == .init(username: "a", password: "b"))
        #expect(BasicCredentials.parse(authorizationHeader: "BASIC  YWI6Yw") == .init(username: "ab", password: "c"))
    }

    @Test func aLoneColonIsEmptyCredentials() {
        // base64(":") = "Og=="
        let credentials = BasicCredentials.parse(authorizationHeader: "Basic Og==")
        #expect(credentials?.isEmpty == true)
    }

    @Test func utf8NamesDecode() {
        // base64("jürgen:pw") = "asO8cmdlbjpwdw=="
        #expect(BasicCredentials.parse(authorizationHeader: "Basic asO8cmdlbjpwdw==")
                == .init(username: "jürgen", password: "pw"))
    }

    @Test(arguments: [
        "", "Basic", "Basic ", "Bearer eyJhbGciOi", "Basic !!!!", "Basic dXNlcg==" /* "user": no colon */,
        "Basicdg==", "Basic /w==" /* 0xFF: not UTF-8 */,
    ])
    func malformedHeadersGiveNil(header: String) {
        #expect(BasicCredentials.parse(authorizationHeader: header) == nil)
    }
}
