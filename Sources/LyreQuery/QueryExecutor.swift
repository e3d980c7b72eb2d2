package import LyreCore
package import LyreStorage

/// Runs a `QueryPlan` inside one read transaction, handing each result record's encoded
/// bytes to a closure in result order (after `offset`, up to `limit`). Records are never
/// gathered: a collected plan keeps only primary keys and sort keys.
///
/// ```swift
/// try db.read { txn in
///     let plan = try QueryPlanner.plan(query, table: table, in: txn)
///     try QueryExecutor.run(plan, table: table, in: txn) { record in
///         try RecordCodec.writeJSON(record, attributes: nil, into: &out)
///     }
/// }
/// ```
package enum QueryExecutor {
    /// - Throws: storage failures and malformed records (`LyreError.internalError`).
    package static func run(_ plan: QueryPlan, table: TableDefinition, in txn: ReadTransaction,
                            _ emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        try withoutActuallyEscaping(emit) { emit in
            let run = Run(plan: plan, table: table, txn: txn, emit: emit)
            if plan.streamed {
                try run.streamed()
            } else {
                try run.collected()
            }
        }
    }

    /// Every record the plan's access path yields that matches the plan's filter, once each, in
    /// primary-key order, ignoring the plan's order and page: for callers that evaluate their
    /// own predicate on these candidates (SQL borrows the planner's choice of index path and
    /// keeps its `WHERE` as a residual filter). The filter's typed matching is what an index
    /// lookup finds (numbers compare with numbers, strings with strings, arrays by element), so
    /// the candidates do not depend on which index the planner picked. `body` returns false to stop.
    ///
    /// A records path streams the records DBI; index, key-scan and union paths gather the
    /// candidates' primary keys (deduplicated, sorted) and fetch each record once.
    /// - Throws: storage failures and malformed records, or what `body` throws.
    package static func candidates(_ plan: QueryPlan, table: TableDefinition, in txn: ReadTransaction,
                                   _ body: (UnsafeRawBufferPointer) throws -> Bool) throws {
        let filter = plan.filter.map(FilterMatcher.init)
        var checkpoint = ReadCancellation.Checkpoint()
        func deliver(_ record: UnsafeRawBufferPointer) throws -> Bool {
            try checkpoint.tick()
            if let filter, !(try filter.matches(record: record)) { return true }
            return try body(record)
        }
        switch plan.access {
        case .nothing:
            return
        case .records(.all):
            try txn.forEachRecord(in: table) { _, record in try deliver(record) }
        case .records(let span):
            guard let range = KeyRange(span, .records) else { return }
            try txn.withCursor(table.records) { cursor in
                try cursor.visit(range, descending: false) { _, record in try deliver(record) }
            }
        default:
            var keys = Set<[UInt8]>()
            try withoutActuallyEscaping({ (_: UnsafeRawBufferPointer) in }) { emit in
                try Run(plan: plan, table: table, txn: txn, emit: emit).primaryKeys { keys.insert($0) }
            }
            for key in keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
                guard let record = try txn.get(table.records, key) else { continue }
                guard try deliver(record) else { return }
            }
        }
    }

    /// The primary keys of the results, in order (for tests and internal callers).
    package static func primaryKeys(_ plan: QueryPlan, table: TableDefinition, in txn: ReadTransaction) throws -> [Value] {
        var keys: [Value] = []
        try run(plan, table: table, in: txn) { record in
            keys.append(try RecordCodec.value(of: table.primaryKey, in: record) ?? .null)
        }
        return keys
    }
}

/// One execution's state: the page counters and the prepared matchers.

private final class Run {
    let plan: QueryPlan
    let table: TableDefinition
    let txn: ReadTransaction
    let emit: (UnsafeRawBufferPointer) throws -> Void
    let filter: FilterMatcher?
    let orderKeys: [OrderKey]
    var skipped = 0
    var emitted = 0
    var checkpoint = ReadCancellation.Checkpoint()

    init(plan: QueryPlan, table: TableDefinition, txn: ReadTransaction, emit: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        self.plan = plan
        self.table = table
        self.txn = txn
        self.emit = emit
        filter = plan.filter.map(FilterMatcher.init)
        orderKeys = plan.order.map { OrderKey($0, table: table) }
    }

    var done: Bool { plan.limit.map { emitted >= $0 } ?? false }

    /// Passes one result through offset/limit. Returns false once the page is full.
    func output(_ record: UnsafeRawBufferPointer) throws -> Bool {
        if done { return false }
        if skipped < plan.offset {
            skipped += 1
            return true
        }
        try emit(record)
        emitted += 1
        return !done
    }

    func matches(_ record: UnsafeRawBufferPointer) throws -> Bool {
        try checkpoint.tick()
        return try filter?.matches(record: record) ?? true
    }

    // MARK: Streamed

    func streamed() throws {
        let descending = orderKeys.first?.key.descending ?? plan.primaryKeyDescending
        let first = orderKeys.first
        let rest = Array(orderKeys.dropFirst())
        // Without a secondary sort, records of one key go out as they come: hand them over
        // in small chunks so a limit stops before a large tie group is gathered.
        let chunk = rest.isEmpty ? 64 : Int.max
        try visit(plan.access, descending: descending, descendingDuplicates: plan.primaryKeyDescending, chunk: chunk) { key, pks in
            // A cut index key holds different long values (the visit hands its whole group
            // at once): its records are ordered by their whole values.
            let cut = first != nil && TableIndex.isTruncated(key)
            var group: [Row] = []
            for pk in pks {
                guard let record = try txn.get(table.records, pk), try matches(record) else { continue }
                if let first {
                    // A record met at several keys (array values) is placed at its own order key.
                    guard let own = try first.sortKey(of: record, cut: true), own.elementsEqual(key) else { continue }
                }
                if cut {
                    group.append(Row(pk: pk, keys: try orderKeys.map { try $0.sortKey(of: record) }))
                } else if rest.isEmpty {
                    guard try output(record) else { return false }
                } else {
                    group.append(Row(pk: pk, keys: try rest.map { try $0.sortKey(of: record) }))
                }
            }
            return try flush(group, keys: cut ? orderKeys : rest)
        }
        guard plan.tail, !done, let first else { return }
        // Records the index does not hold (attribute missing or unindexable) come last.
        var group: [Row] = []
        try txn.withCursor(table.records) { cursor in
            try cursor.visit(KeyRange(.all, .records)!, descending: plan.primaryKeyDescending) { pk, record in
                if try first.sortKey(of: record) == nil, try matches(record) {
                    group.append(Row(pk: Array(pk), keys: try rest.map { try $0.sortKey(of: record) }))
                }
                return true
            }
        }
        _ = try flush(group, keys: rest, sortAlways: !rest.isEmpty)
    }

    /// Sorts a group of rows tied on the streamed key and outputs them.
    private func flush(_ group: [Row], keys: [OrderKey], sortAlways: Bool = true) throws -> Bool {
        guard !group.isEmpty else { return true }
        var rows = group
        if sortAlways && !keys.isEmpty { rows.sort { Row.precedes($0, $1, keys: keys, pkDescending: plan.primaryKeyDescending) } }
        for row in rows {
            guard let record = try txn.get(table.records, row.pk) else { continue }
            guard try output(record) else { return false }
        }
        return true
    }

    /// Every primary key the access path yields (possibly more than once), unfiltered.
    func primaryKeys(_ body: ([UInt8]) -> Void) throws {
        try visit(plan.access, descending: false, descendingDuplicates: false) { _, pks in
            for pk in pks { body(pk) }
            return true
        }
    }

    // MARK: Collected

    func collected() throws {
        var seen = Set<[UInt8]>()
        var rows: [Row] = []
        let keys = orderKeys
        try visit(plan.access, descending: false, descendingDuplicates: false) { _, pks in
            for pk in pks where seen.insert(pk).inserted {
                guard let record = try txn.get(table.records, pk), try matches(record) else { continue }
                rows.append(Row(pk: pk, keys: try keys.map { try $0.sortKey(of: record) }))
            }
            return true
        }
        seen = []
        let pkDescending = plan.primaryKeyDescending
        rows.sort { Row.precedes($0, $1, keys: keys, pkDescending: pkDescending) }
        for row in rows {
            guard let record = try txn.get(table.records, row.pk) else { continue }
            guard try output(record) else { return }
        }
    }

    // MARK: Sources

    /// Visits the candidates of `path` as groups of primary keys sharing one key.
    private func visit(_ path: AccessPath, descending: Bool, descendingDuplicates: Bool, chunk: Int = .max,
                       _ body: (UnsafeRawBufferPointer, [[UInt8]]) throws -> Bool) throws {
        switch path {
        case .nothing:
            return
        case .records(let span):
            guard let range = KeyRange(span, .records) else { return }
            try txn.withCursor(table.records) { cursor in
                try cursor.visit(range, descending: descending) { key, _ in
                    try body(key, [Array(key)])
                }
            }
        case .index(let name, let span):
            guard let attribute = table.attribute(name),
                  let range = KeyRange(span, .index(attribute: attribute.id)) else { return }
            try txn.withCursor(table.index) { cursor in
                try cursor.visitIndex(range, descending: descending, descendingDuplicates: descendingDuplicates,
                                      chunk: chunk, body)
            }
        case .keyScan(let name, let condition):
            guard let attribute = table.attribute(name) else { return }
            let matcher = ConditionMatcher(condition)
            if attribute.isPrimaryKey {
                try txn.withCursor(table.records) { cursor in
                    try cursor.visit(KeyRange(.all, .records)!, descending: descending) { key, _ in
                        try checkpoint.tick()
                        guard matcher.matches(try KeyCodec.decode(key)) else { return true }
                        return try body(key, [Array(key)])
                    }
                }
                return
            }
            guard let range = KeyRange(.all, .index(attribute: attribute.id)) else { return }
            try txn.withCursor(table.index) { cursor in
                try cursor.visitIndex(range, descending: descending, descendingDuplicates: descendingDuplicates,
                                      chunk: chunk) { key, pks in
                    try checkpoint.tick()
                    // A cut key cannot be decoded faithfully: keep its records for the re-check.
                    if !TableIndex.isTruncated(key) {
                        let value = try TableIndex.value(of: key)
                        guard matcher.matchesElement(value) else { return true }
                    }
                    return try body(key, pks)
                }
            }
        case .union(let paths):
            for p in paths {
                var go = true
                try visit(p, descending: descending, descendingDuplicates: descendingDuplicates, chunk: chunk) { key, pks in
                    go = try body(key, pks)
                    return go
                }
                if !go { return }
            }
        }
    }
}

/// A collected result: its primary key and its sort keys (nil: sorts last).
struct Row {
    var pk: [UInt8]
    var keys: [[UInt8]?]

    static func precedes(_ a: Row, _ b: Row, keys: [OrderKey], pkDescending: Bool) -> Bool {
        for (i, k) in keys.enumerated() {
            switch (a.keys[i], b.keys[i]) {
            case (nil, nil): continue
            case (nil, _): return false
            case (_, nil): return true
            case (let x?, let y?):
                if x == y { continue }
                return k.key.descending ? y.lexicographicallyPrecedes(x) : x.lexicographicallyPrecedes(y)
            }
        }
        return pkDescending ? b.pk.lexicographicallyPrecedes(a.pk) : a.pk.lexicographicallyPrecedes(b.pk)
    }
}

/// Computes a record's place for one sort key, as the attribute's index orders it: the
/// index key of its value, or of its smallest (largest when descending) element of an
/// array, among the elements satisfying `restrict` when any does.
struct OrderKey {
    let key: SortKey
    let attributeID: UInt16?
    let restrict: ConditionMatcher?

    init(_ key: SortKey, table: TableDefinition) {
        self.key = key
        attributeID = table.attribute(key.attribute)?.id
        restrict = key.restrict.map(ConditionMatcher.init)
    }

    /// The record's key for this order: its (best) value's index key, whole unless `cut`
    /// (the cut key is the one its index entry is stored under).
    func sortKey(of record: UnsafeRawBufferPointer, cut: Bool = false) throws -> [UInt8]? {
        guard let id = attributeID, let value = try RecordCodec.value(of: key.attribute, in: record) else { return nil }
        let elements: [Value]
        if case .array(let a) = value { elements = a.filter { if case .array = $0 { false } else { true } } } else { elements = [value] }
        var candidates = elements
        if let restrict {
            let matching = elements.filter(restrict.matchesElement)
            if !matching.isEmpty { candidates = matching }
        }
        var best: [UInt8]?
        for e in candidates {
            guard let k = TableIndex.key(id, e, cut: cut) else { continue }
            if let b = best {
                if key.descending ? b.lexicographicallyPrecedes(k) : k.lexicographicallyPrecedes(b) { best = k }
            } else {
                best = k
            }
        }
        return best
    }
}
