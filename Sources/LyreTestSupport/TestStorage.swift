import Foundation
package import LyreCore
package import LyreStorage
import Logging

/// A storage engine on its own temporary root, for engine-level tests (no operations layer).
package final class TestStorage: Sendable {
    package let root: String
    package let engine: StorageEngine

    package init() throws {
        root = TestApplication.temporaryRoot()
        var logger = Logger(label: "lyre-test-storage")
        logger.logLevel = .critical
        engine = try StorageEngine(root: root, durable: false, logger: logger)
    }

    deinit {
        engine.close()
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Creates `data.<name>` (primary key `id`) holding `records`, and returns it.
    package func table(_ name: String, primaryKey: String = "id", records: [JSONObject]) throws -> (Database, TableDefinition) {
        let db = try engine.databaseCreatingIfNeeded(StorageEngine.defaultDatabase)
        try db.writeSync { ctx in
            _ = try ctx.createTable(name, primaryKey: primaryKey)
            _ = try ctx.write(records, mode: .insert, to: name)
        }
        return (db, db.table(name)!)
    }
}
