import Foundation
import LyreAuth
import LyreCore
import LyreStorage
import Logging

/// The `system` database: its tables (databases-and-tables.md §8) and first-start setup.
enum SystemDatabase {
    static let userTable = "hdb_user"
    static let roleTable = "hdb_role"
    static let jobTable = "hdb_job"
    static let infoTable = "hdb_info"
    static let nodesTable = "hdb_nodes"
    static let licenseTable = "hdb_license"
    static let statusTable = "hdb_status"
    static let certificateTable = "hdb_certificate"
    static let temporaryTable = "hdb_temp"
    static let analyticsTable = "hdb_analytics"

    /// Tables and their primary keys.
    static let tables: [(name: String, primaryKey: String)] = [
        (userTable, "username"), (roleTable, "id"), (jobTable, "id"), (infoTable, "info_id"),
        (nodesTable, "name"), (licenseTable, "id"), (statusTable, "id"), (certificateTable, "name"),
        (temporaryTable, "id"), (analyticsTable, "id"),
    ]

    /// System tables whose records a super user may write directly (§8.2).
    static let superUserWritable: Set<String> = [nodesTable, roleTable, userTable]

    /// Creates the system tables, the first super user and the `data` database on an empty
    /// root; on an existing root only adds system tables a newer version introduced.
    static func bootstrap(storage: StorageEngine, configuration: Configuration, hasher: PasswordHasher, logger: Logger) throws {
        let firstStart = storage.database(StorageEngine.systemDatabase) == nil
        if firstStart {
            guard let admin = configuration.bootstrapAdmin, !admin.username.isEmpty, !admin.password.isEmpty else {
                throw LyreError(.badRequest, status: 400,
                    "The root '\(configuration.root)' has no users yet: set HDB_ADMIN_USERNAME and HDB_ADMIN_PASSWORD to create the super user on this first start.")
            }
            let passwordHash = try hasher.hash(admin.password)
            let system = try storage.createDatabase(StorageEngine.systemDatabase)
            let roleID = "super_user"  // security.md §9: the role's id is its name
            let infoID = UUID().uuidString.lowercased()
            try system.writeSync { ctx in
                try createMissingTables(&ctx)
                var role = JSONObject()
                role.appendUnchecked("id", .string(roleID))
                role.appendUnchecked("role", "super_user")
                role.appendUnchecked("permission", ["super_user": true])
                _ = try ctx.write([role], mode: .insert, to: roleTable)
                var user = JSONObject()
                user.appendUnchecked("username", .string(admin.username))
                user.appendUnchecked("password", .string(passwordHash))
                user.appendUnchecked("role", .string(roleID))
                user.appendUnchecked("active", true)
                user.appendUnchecked("hash_function", .string(PasswordHasher.scheme))
                _ = try ctx.write([user], mode: .insert, to: userTable)
                var info = JSONObject()
                info.appendUnchecked("info_id", .string(infoID))
                info.appendUnchecked("data_version_num", .string(LyreVersion.harperCompatibility))
                info.appendUnchecked("hdb_version_num", .string(LyreVersion.harperCompatibility))
                _ = try ctx.write([info], mode: .insert, to: infoTable)
            }
            _ = try storage.databaseCreatingIfNeeded(StorageEngine.defaultDatabase)
            logger.info("created super user '\(admin.username)' in a new root \(configuration.root)")
        } else if let system = storage.database(StorageEngine.systemDatabase),
                  tables.contains(where: { system.table($0.name) == nil }) {
            try system.writeSync { ctx in try createMissingTables(&ctx) }
        }
    }

    private static func createMissingTables(_ ctx: inout WriteContext) throws {
        for (name, primaryKey) in tables where ctx.catalog[name] == nil {
            _ = try ctx.createTable(name, primaryKey: primaryKey, audit: false)
        }
    }
}
