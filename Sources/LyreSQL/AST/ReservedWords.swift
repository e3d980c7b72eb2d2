/// The reserved-word rules of sql.md §2.5.
public enum ReservedWords {
    /// Where an unquoted word is being used as a name.
    public enum Context: Sendable {
        /// A column (or a qualifier in `q.col`).
        case column
        /// A database or table name.
        case table
        /// An alias after `AS`.
        case aliasAfterAs
        /// An alias without `AS`: only non-reserved words.
        case bareAlias
    }

    /// The documented list plus the grammar keywords missing from it (sql.md §2.5).
    public static let all: Set<String> = Set("""
        ABSOLUTE ACTION ADD AGGR ALL ALTER AND ANTI ANY APPLY ARRAY AS ASSERT ASC ATTACH
        AUTOINCREMENT AUTO_INCREMENT AVG BEGIN BETWEEN BREAK BY CALL CASE CAST CHECK CLASS
        CLOSE COLLATE COLUMN COLUMNS COMMIT CONSTRAINT CONTENT CONTINUE CONVERT CORRESPONDING
        COUNT CREATE CROSS CUBE CURRENT_TIMESTAMP CURSOR DATABASE DECLARE DEFAULT DELETE
        DELETED DESC DETACH DISTINCT DOUBLEPRECISION DROP ECHO EDGE END ENUM ELSE EXCEPT
        EXISTS EXPLAIN FALSE FETCH FIRST FOREIGN FROM GO GRAPH GROUP GROUPING HAVING
        HDB_HASH HELP IF IDENTITY IS IN INDEX INNER INSERT INSERTED INTERSECT INTO JOIN
        KEY LAST LET LEFT LIKE LIMIT LOOP MATCHED MATRIX MAX MERGE MIN MINUS MODIFY
        NATURAL NEXT NEW NOCASE NO NOT NULL OFF ON ONLY OFFSET OPEN OPTION OR ORDER
        OUTER OVER PATH PARTITION PERCENT PLAN PRIMARY PRINT PRIOR QUERY READ RECORDSET
        REDUCE REFERENCES RELATIVE REPLACE REMOVE RENAME REQUIRE RESTORE RETURN RETURNS RIGHT
        ROLLBACK ROLLUP ROW SCHEMA SCHEMAS SEARCH SELECT SEMI SET SETS SHOW SOME SOURCE
        STRATEGY STORE SYSTEM SUM TABLE TABLES TARGET TEMP TEMPORARY TEXTSTRING THEN TIMEOUT
        TO TOP TOTAL TRAN TRANSACTION TRIGGER TRUE TRUNCATE UNION UNIQUE UPDATE USE USING
        VALUE VERTEX VIEW WHEN WHERE WHILE WITH WORK
        AGGREGATE AGGREGATOR DATEADD DATEDIFF ESCAPE EXEC EXECUTE FOR FULL FUNCTION GLOB ILIKE
        INDEXED INTERVAL OF PIVOT REGEXP REINDEX REPEAT ROWS TIMESTAMPDIFF UNPIVOT VALUES
        """.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))

    /// Reserved words accepted unquoted as a column name.
    public static let acceptedAsColumn: Set<String> = [
        "ABSOLUTE", "ACTION", "ADD", "COLUMN", "COLUMNS", "CONTENT", "CONTINUE", "DOUBLEPRECISION",
        "HDB_HASH", "HELP", "INDEX", "KEY", "LOOP", "MATCHED", "MATRIX", "MAX", "MIN", "NEXT",
        "OFF", "OPTION", "PATH", "PRIOR", "READ", "RECORDSET", "RELATIVE", "RESTORE", "ROW", "SOURCE",
        "SYSTEM", "TEXTSTRING", "TRAN", "TRANSACTION", "VALUE", "VIEW", "WORK",
    ]

    /// Reserved words accepted unquoted as a table name (and as an alias after `AS`).
    public static let acceptedAsTable: Set<String> = [
        "ABSOLUTE", "ACTION", "ADD", "CONTENT", "CONTINUE", "DOUBLEPRECISION", "FIRST", "GO",
        "HDB_HASH", "HELP", "KEY", "LAST", "LIMIT", "LOOP", "MATCHED", "MAX", "MIN", "NEXT",
        "OFF", "OPTION", "PATH", "PRIOR", "READ", "RELATIVE", "RESTORE", "SOURCE", "SYSTEM",
        "TRAN", "TRANSACTION", "VIEW", "WORK",
    ]

    /// Whether the unquoted `word` may be used as a name in `context`.
    public static func allows(_ word: String, in context: Context) -> Bool {
        let upper = word.uppercased()
        guard all.contains(upper) else { return true }
        switch context {
        case .column: return acceptedAsColumn.contains(upper)
        case .table, .aliasAfterAs: return acceptedAsTable.contains(upper)
        case .bareAlias: return false
        }
    }
}
