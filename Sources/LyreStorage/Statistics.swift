internal import CLMDB

/// B-tree statistics of one DBI (`mdb_stat`), for `system_information`'s `metrics`.
package struct DBIStatistics: Sendable {
    package var depth: Int
    package var branchPages: Int
    package var leafPages: Int
    package var overflowPages: Int
    package var entries: Int
    package var pageSize: Int

    package var bytes: Int { (branchPages + leafPages + overflowPages) * pageSize }
}

extension ReadTransaction {
    /// `mdb_stat` of a DBI.
    package func statistics(_ dbi: DBI) throws -> DBIStatistics {
        var stat = MDB_stat()
        try check(mdb_stat(txn, dbi.raw, &stat), "mdb_stat")
        return DBIStatistics(depth: Int(stat.ms_depth), branchPages: Int(stat.ms_branch_pages), leafPages: Int(stat.ms_leaf_pages),
                             overflowPages: Int(stat.ms_overflow_pages), entries: Int(stat.ms_entries), pageSize: Int(stat.ms_psize))
    }
}
