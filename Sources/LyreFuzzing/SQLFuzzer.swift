import Foundation
import Logging
import LyreCore
import LyreSQL
import LyreStorage

/// The SQL front end (LyreSQL): lexer, parser, binder, and then the planner and executor
/// on a tiny table, so that what binds also runs through evaluation and the functions.
///
/// The input is the SQL text (invalid UTF-8 repaired). Queries can use the tables of the
/// SQL tests' fixture (`SQLFixture`): `conf.pet`, `conf.owner`, `conf.mixed`, `conf.empty`. Only `SELECT`s run; `INSERT`/`UPDATE`/`DELETE` are parsed.
///
/// Invariants: no trap (thrown `LyreError`s are the contract for bad SQL); parsing is
/// deterministic; a statement that parses alone also parses as the first of the text
/// `sql;` (a trailing `;` is allowed).
enum SQLFuzzer {
    /// Joins multiply rows; past this the run would measure loops, not find bugs.
    static let maximumJoins = 2

    static func run(_ bytes: UnsafeRawBufferPointer) throws(InvariantViolation) {
        let sql = String(decoding: bytes, as: UTF8.self)
        _ = try? Lexer.tokenize(sql)
        guard let request = try? SQLRequest(sql: sql) else { return }
        let again = try? SQLRequest(sql: sql)
        try check(again == request, "parsing \(show(sql.utf8)) twice gives different statements")

        guard case .select(let select) = request.statement else { return }
        guard let bound = try? SelectBinder(catalog: SQLFixture.shared.engine).bind(select),
              select.joins.count <= maximumJoins else { return }
        let executor = SelectExecutor(bound, functionContext: SQLFixture.functionContext)
        _ = try? executor.plan()
        _ = try? executor.run()
    }
}

/// A storage engine on a temporary root with the SQL tests' tables
/// (Tests/LyreOperationsTests/Resources/statements/fixture.jsonl), made once per process and
/// removed at exit.
final class SQLFixture: Sendable {
    static let shared = SQLFixture()

    /// A fixed clock and random source: every run of an input does the same thing.
    static let functionContext = FunctionContext(now: { 1_700_000_000_000 }, random: { 0.5 })

    let root: String
    let engine: StorageEngine

    private init() {
        root = FileManager.default.temporaryDirectory.path + "/lyre-fuzz-sql-\(getpid())"
        try? FileManager.default.removeItem(atPath: root)
        var logger = Logger(label: "lyre-fuzz")
        logger.logLevel = .critical
        do {
            engine = try StorageEngine(root: root, durable: false, initialMapSize: 1 << 24, logger: logger)
            let database = try engine.createDatabase("conf")
            _ = try database.writeSync { context in
                for (name, records) in [("pet", Self.pet), ("owner", Self.owner), ("mixed", Self.mixed), ("empty", [])] {
                    _ = try context.createTable(name, primaryKey: "id")
                    if !records.isEmpty { _ = try context.write(records, mode: .insert, to: name) }
                }
            }
        } catch {
            fatalError("lyre-fuzz: cannot create the SQL fixture under \(root): \(error)")
        }
        atexit { SQLFixture.removeRoot() }
    }

    private static func removeRoot() {
        try? FileManager.default.removeItem(atPath: shared.root)
    }

    static let pet: [JSONObject] = [
        ["id": 1, "name": "Rex", "species": "dog", "age": 3, "weight": 12.5, "owner_id": 10, "tags": ["good", "loud"], "vaccinated": true],
        ["id": 2, "name": "Tom", "species": "cat", "age": 7, "weight": 4.2, "owner_id": 11, "vaccinated": false],
        ["id": 3, "name": "bubbles", "species": "fish", "age": 1, "weight": 0.1, "owner_id": 10],
        ["id": 4, "name": "Luna", "species": "cat", "age": nil, "weight": 3.9, "owner_id": 12, "meta": ["color": "black"]],
        ["id": 5, "name": "Zed", "species": "dog", "age": 11, "weight": 30, "owner_id": 99],
    ]

    static let owner: [JSONObject] = [
        ["id": 10, "name": "Ana", "city": "Lima"],
        ["id": 11, "name": "Ben", "city": "Oslo"],
        ["id": 12, "name": "Cai", "city": "Lima"],
        ["id": 13, "name": "Dee", "city": nil],
    ]

    static let mixed: [JSONObject] = [
        ["id": 1, "v": 1, "s": "apple", "g": "a"],
        ["id": 2, "v": 2.5, "s": "Apple", "g": "a"],
        ["id": 3, "v": "2", "s": "banana", "g": "b"],
        ["id": 4, "v": true, "s": nil, "g": "b"],
        ["id": 5, "v": nil, "s": "berry", "g": nil],
        ["id": 6, "v": [1, 2], "s": "apricot"],
        ["id": 7, "v": ["k": 1], "s": "cherry", "g": "a"],
        ["id": 8, "g": "c"],
        ["id": -1, "v": -3, "s": "a%b", "g": "c"],
        ["id": 9.5, "v": "abc", "s": "zed", "g": "b"],
        ["id": "k1", "v": 10, "s": "Bob", "g": "a"],
        ["id": "a0", "v": false, "s": "bob", "g": "c"],
    ]
}
