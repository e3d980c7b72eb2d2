import Crypto
import Foundation
import LyreCluster
import LyreCore
import LyreStorage

/// The cluster user (`clustering.user`, a user whose role has `cluster_user: true`), whose
/// name and password authenticate the routes between the nodes' hubs, as in Harper 4.x.
///
/// nats-server needs the password itself (in the route URLs it solicits and in the route
/// listener's authorization), not Lyre's one-way hash, and every node must know it, so, as
/// Harper does for cluster users, `add_user`/`alter_user` keep a reversible copy of a cluster
/// user's password in the record's hidden `hash` field (never returned to clients). It
/// travels with the user record when users replicate. The key is fixed (so every node can
/// read every node's copy): this keeps the password out of plain sight in a dump, it is not
/// secrecy against someone who can read the root folder (neither is Harper's).
enum ClusterUser {
    private static let prefix = "lyre-cluster-v1:"
    private static let key = SymmetricKey(data: SHA256.hash(data: Data("Lyre cluster user password, v1".utf8)))

    /// The reversible form of a cluster user's password.
    static func seal(_ password: String) throws -> String {
        let box = try AES.GCM.seal(Data(password.utf8), using: key)
        guard let combined = box.combined else { throw LyreError.internalError() }
        return prefix + combined.base64EncodedString()
    }

    /// The password back from `seal`'s form, or nil.
    static func open(_ sealed: String) -> String? {
        guard sealed.hasPrefix(prefix), let data = Data(base64Encoded: String(sealed.dropFirst(prefix.count))),
              let box = try? AES.GCM.SealedBox(combined: data), let plain = try? AES.GCM.open(box, using: key) else { return nil }
        return String(data: plain, encoding: .utf8)
    }

    /// Whether the role with this id has `cluster_user: true`.
    static func isClusterRole(_ roleID: Value?, in storage: StorageEngine) -> Bool {
        guard let roleID, !roleID.isNull, let db = storage.database(StorageEngine.systemDatabase),
              let roles = db.table(SystemDatabase.roleTable),
              let role = try? db.read(completeIndexes: false, { try $0.record(in: roles, id: roleID) }) else { return false }
        return role["permission"]?.objectValue?["cluster_user"] == .bool(true)
    }

    /// The route credentials of `clustering.user`, or why there are none (the routes are
    /// then disabled: a node without the cluster credentials neither joins nor is joined).
    static func credentials(_ settings: ClusteringSettings, storage: StorageEngine) -> Result<ClusterEngineSettings.Credentials, Problem> {
        guard let name = settings.user else {
            return .failure(Problem("no cluster user configured (clustering.user): routes are disabled, this node is a cluster of one"))
        }
        guard let db = storage.database(StorageEngine.systemDatabase), let users = db.table(SystemDatabase.userTable),
              let user = try? db.read(completeIndexes: false, { try $0.record(in: users, id: .string(name)) }) else {
            return .failure(Problem("the cluster user '\(name)' (clustering.user) does not exist: routes are disabled"))
        }
        guard user["active"] != .bool(false) else {
            return .failure(Problem("the cluster user '\(name)' is not active: routes are disabled"))
        }
        guard isClusterRole(user["role"], in: storage) else {
            return .failure(Problem("the user '\(name)' (clustering.user) has no role with cluster_user: true: routes are disabled"))
        }
        guard let sealed = user["hash"]?.stringValue, let password = open(sealed) else {
            return .failure(Problem("the cluster user '\(name)' has no cluster password yet (set it with alter_user): routes are disabled"))
        }
        return .success(ClusterEngineSettings.Credentials(user: name, password: password))
    }

    struct Problem: Error, Sendable, Equatable {
        let text: String
        init(_ text: String) { self.text = text }
    }
}
