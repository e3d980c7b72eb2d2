import LyreAuth
import Testing

@Suite struct PasswordHasherTests {
    /// The lowest allowed rounds, so the suite stays fast.
    let hasher = PasswordHasher(rounds: PasswordHasher.minimumRounds)

    @Test func hashVerifiesTheRightPasswordOnly() throws {
        let stored = try hasher.hash("correct horse")
        #expect(hasher.verify("correct horse", against: stored))
        #expect(!hasher.verify("correct hors", against: stored))
        #expect(!hasher.verify("", against: stored))
    }

    @Test func storedFormIsSelfDescribingAndHidesThePassword() throws {
        let stored = try hasher.hash("password")
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        #expect(parts.count == 4)
        #expect(parts[0] == "pbkdf2-sha256")
        #expect(parts[1] == "\(PasswordHasher.minimumRounds)")
        #expect(!stored.contains("password"))
    }

    @Test func saltMakesEveryHashDifferent() throws {
        let first = try hasher.hash("same")
        let second = try hasher.hash("same")
        #expect(first != second)
        #expect(hasher.verify("same", against: first))
        #expect(hasher.verify("same", against: second))
    }

    @Test func verifyHonoursTheRoundsStoredInTheHash() throws {
        let stored = try hasher.hash("pw")
        let stronger = PasswordHasher(rounds: PasswordHasher.minimumRounds + 1)
        #expect(stronger.verify("pw", against: stored))
        #expect(stronger.needsRehash(stored))
        #expect(!hasher.needsRehash(stored))
    }

    @Test func defaultRoundsAreAtLeastTheFloor() {
        #expect(PasswordHasher().rounds >= 100_000)
    }

    @Test func unicodePasswordsRoundTrip() throws {
        let stored = try hasher.hash("pässwörd 🔑")
        #expect(hasher.verify("pässwörd 🔑", against: stored))
        #expect(!hasher.verify("passwort 🔑", against: stored))
    }

    @Test(arguments: [
        "", "password", "pbkdf2-sha256$x$AAAA$AAAA", "md5$1000$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA==",
        "pbkdf2-sha256$1000$!!!$AAAAAAAAAAAAAAAAAAAAAA==", "pbkdf2-sha256$999999999$AAAA$AAAAAAAAAAAAAAAAAAAAAA==",
        "pbkdf2-sha256$1000$AAAA$AAAA$extra",
    ])
    func malformedStoredHashesNeverVerify(stored: String) {
        #expect(!hasher.verify("password", against: stored))
    }

    @Test func constantTimeEqualsComparesWholeArrays() {
        #expect(PasswordHasher.constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!PasswordHasher.constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!PasswordHasher.constantTimeEquals([1, 2, 3], [1, 2]))
        #expect(PasswordHasher.constantTimeEquals([], []))
    }
}
