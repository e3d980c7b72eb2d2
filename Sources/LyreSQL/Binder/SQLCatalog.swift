package import LyreStorage

/// Where the SQL engine finds databases. The engine never sees HTTP or operation names; the
/// `sql` operation hands it the storage engine.
package protocol SQLCatalog: Sendable {
    /// The database called `name`, or `nil` when it does not exist.
    func database(_ name: String) -> Database?
}

extension StorageEngine: SQLCatalog {}
