package import LyreCore

extension ReadTransaction {
    /// The record with primary key `id`, decoded, or `nil`.
    package func record(in table: TableDefinition, id: Value) throws -> JSONObject? {
        guard let key = KeyCodec.encode(id), key.count <= KeyCodec.maximumKeySize,
              let bytes = try get(table.records, key) else { return nil }
        return try RecordCodec.decode(bytes)
    }

    /// Calls `body` with every record's key and encoded bytes, in primary-key order,
    /// until it returns false.
    package func forEachRecord(in table: TableDefinition, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool) throws {
        try withCursor(table.records) { cursor in
            var entry = try cursor.first()
            while let e = entry {
                guard try body(e.key, e.value) else { return }
                entry = try cursor.next()
            }
        }
    }

    /// Every record of a table, decoded (for small system tables).
    package func allRecords(in table: TableDefinition) throws -> [JSONObject] {
        var records: [JSONObject] = []
        try forEachRecord(in: table) { _, bytes in
            records.append(try RecordCodec.decode(bytes))
            return true
        }
        return records
    }
}
