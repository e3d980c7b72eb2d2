import Foundation
import LyreCluster
import LyreTestSupport
import Testing

/// Routes between hubs: authenticated with the cluster user, reloaded without a restart,
/// and over TLS, on real nats-servers.
@Suite(.serialized, .enabled(if: NATSTestNode.isAvailable, "nats-server is not installed (scripts/bootstrap)"))
struct RouteTests {
    /// Polls until `condition` holds (up to 30 s); records an issue when it never does.
    static func waitFor(_ what: String, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if (try? condition()) == true { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        Issue.record("timed out waiting for \(what)")
        throw Timeout()
    }

    struct Timeout: Error {}

    @Test func hubsWithTheSameClusterCredentialsRouteToEachOther() throws {
        let alpha = try NATSTestNode(name: "alpha")
        let beta = try NATSTestNode(name: "beta", routes: [alpha.routePort])
        let system = try alpha.connectSystem()
        try Self.waitFor("alpha routed to beta") { try alpha.routedHubs(using: system) == ["beta-hub"] }
        #expect(alpha.engine.routeProblems().isEmpty)
        #expect(beta.engine.routeProblems().isEmpty)
    }

    @Test func aHubWithWrongClusterCredentialsCannotJoinAndBothLogsSayWhyUntilItsCredentialsAreReloaded() throws {
        let alpha = try NATSTestNode(name: "alpha")
        let beta = try NATSTestNode(name: "beta", routes: [alpha.routePort],
                                    credentials: .init(user: NATSTestNode.clusterCredentials.user, password: "wrong"))
        let betaPid = beta.engine.pids.hub
        try Self.waitFor("beta told its credentials were refused") {
            beta.engine.routeProblems().contains { $0.contains("refused this node's cluster credentials") }
        }
        try Self.waitFor("alpha rejecting beta") {
            alpha.engine.routeProblems().contains { $0.contains("wrong cluster credentials was rejected") }
        }
        let system = try alpha.connectSystem()
        #expect(try alpha.routedHubs(using: system).isEmpty)
        // The right password, applied to the running hub: it joins without a restart.
        try beta.engine.reload(routes: beta.engine.settings.routes, credentials: NATSTestNode.clusterCredentials, tls: nil)
        try Self.waitFor("alpha routed to beta") { try alpha.routedHubs(using: system) == ["beta-hub"] }
        #expect(beta.engine.pids.hub == betaPid, "reloaded, not restarted")
        #expect(beta.engine.routeProblems().isEmpty)
    }

    @Test func aHubWithoutClusterCredentialsSolicitsNoRouteAndAcceptsNone() throws {
        let lonely = try NATSTestNode(name: "lonely", credentials: nil)
        let hub = try String(contentsOfFile: lonely.directory + "/hub.json", encoding: .utf8)
        #expect(hub.contains(#""routes" : ["#) && !hub.contains("nats-route://"))
        // A hub with the cluster credentials routing to it is refused.
        let other = try NATSTestNode(name: "other", routes: [lonely.routePort])
        try Self.waitFor("other refused") {
            other.engine.routeProblems().contains { $0.contains("refused this node's cluster credentials") }
        }
        let system = try lonely.connectSystem()
        #expect(try lonely.routedHubs(using: system).isEmpty)
    }

    @Test func routesAddedAndRemovedByReloadConnectAndDisconnectWithoutARestart() throws {
        let alpha = try NATSTestNode(name: "alpha")
        let beta = try NATSTestNode(name: "beta")
        let system = try alpha.connectSystem()
        let pid = beta.engine.pids.hub
        try beta.engine.reload(routes: [ClusterRoute(host: "127.0.0.1", port: alpha.routePort)],
                               credentials: NATSTestNode.clusterCredentials, tls: nil)
        try Self.waitFor("alpha routed to beta") { try alpha.routedHubs(using: system) == ["beta-hub"] }
        try beta.engine.reload(routes: [], credentials: NATSTestNode.clusterCredentials, tls: nil)
        try Self.waitFor("the route gone") { try alpha.routedHubs(using: system).isEmpty }
        #expect(beta.engine.pids.hub == pid)
        let hub = try String(contentsOfFile: beta.directory + "/hub.json", encoding: .utf8)
        #expect(!hub.contains("nats-route://"), "the file says what runs")
    }

    @Test func routesOverTLSJoinHubsWithCertificatesOfTheSameAuthorityOnly() throws {
        guard let material = try TestCertificates.make() else {
            Issue.record("openssl is not installed")
            return
        }
        defer { try? FileManager.default.removeItem(atPath: material.directory) }
        let tls = ClusterEngineSettings.TLS(certificate: material.certificate, privateKey: material.privateKey,
                                            certificateAuthority: material.authority, insecure: false, verify: true)
        let alpha = try NATSTestNode(name: "alpha", tls: tls)
        let beta = try NATSTestNode(name: "beta", routes: [alpha.routePort], tls: tls)
        let system = try alpha.connectSystem()
        try Self.waitFor("alpha routed to beta over TLS") { try alpha.routedHubs(using: system) == ["beta-hub"] }
        let hub = try String(contentsOfFile: alpha.directory + "/hub.json", encoding: .utf8)
        #expect(hub.contains(material.certificate) && hub.contains(material.authority))
        _ = beta
        // A hub whose certificate another authority signed: refused, and its log says TLS.
        let strangerTLS = ClusterEngineSettings.TLS(certificate: material.strangerCertificate, privateKey: material.strangerPrivateKey,
                                                    certificateAuthority: material.strangerAuthority, insecure: false, verify: true)
        let stranger = try NATSTestNode(name: "stranger", routes: [alpha.routePort], tls: strangerTLS)
        try Self.waitFor("the stranger's TLS failure logged") { !stranger.engine.routeProblems().isEmpty }
        #expect(try alpha.routedHubs(using: system) == ["beta-hub"])
    }
}

