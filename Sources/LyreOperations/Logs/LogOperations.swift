import Foundation
import LyreCore

/// One parsed entry of `hdb.log`.
struct LogEntry: Sendable {
    var timestamp: String
    var time: Double
    var thread: String
    var level: String
    var tags: [String]
    var message: String
    /// The whole entry as written (for the `filter` substring match).
    var raw: String

    var json: Value {
        var o = JSONObject()
        o.appendUnchecked("timestamp", .string(timestamp))
        o.appendUnchecked("thread", .string(thread))
        o.appendUnchecked("level", .string(level))
        o.appendUnchecked("tags", .array(tags.map(Value.string)))
        o.appendUnchecked("message", .string(message))
        return .object(o)
    }
}

/// Splits log text into entries: a line starting with a timestamp header begins an entry;
/// other lines continue the previous entry's message.
enum LogParser {
    /// Every entry of a whole text (the reference for `LogFileReader`, which reads files in chunks).
    static func entries(_ text: Substring) -> [LogEntry] {
        var entries: [LogEntry] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if let entry = header(line) {
                entries.append(entry)
            } else if !entries.isEmpty {
                entries[entries.count - 1].message += "\n" + line
                entries[entries.count - 1].raw += "\n" + line
            }
        }
        return entries.map(finished)
    }

    /// An entry whose lines are all collected: its message without trailing newlines.
    static func finished(_ entry: LogEntry) -> LogEntry {
        var entry = entry
        while entry.message.hasSuffix("\n") { entry.message.removeLast() }
        return entry
    }

    /// `<timestamp> [<thread>] [<level>] [<tag>]…: <message>`, or nil when `line` is not a header.
    static func header(_ line: Substring) -> LogEntry? {
        guard let space = line.firstIndex(of: " "), line[line.startIndex] >= "0", line[line.startIndex] <= "9" else { return nil }
        let timestamp = String(line[..<space])
        guard timestamp.count >= 20, let time = LogTime.parse(timestamp) else { return nil }
        var groups: [String] = []
        var rest = line[line.index(after: space)...]
        while rest.first == "[", let close = rest.firstIndex(of: "]") {
            groups.append(String(rest[rest.index(after: rest.startIndex)..<close]))
            rest = rest[rest.index(after: close)...]
            if rest.first == " ", rest.dropFirst().first == "[" { rest = rest.dropFirst() }
        }
        guard groups.count >= 2, rest.hasPrefix(":") else { return nil }
        var message = rest.dropFirst()
        if message.first == " " { message = message.dropFirst() }
        return LogEntry(timestamp: timestamp, time: time, thread: groups[0], level: groups[1],
                        tags: Array(groups.dropFirst(2)), message: String(message), raw: String(line))
    }
}

/// `read_log` (logs-config-system.md §1.2).
enum LogOperations {
    static func register(into registry: inout OperationRegistry) {
        registry.register(.readLog, .sync(readLog))
    }

    struct Query {
        var start = 0
        var limit = 1000
        var level: String?
        var from: Double?
        var until: Double?
        var order: String?
        var filter: String?
        var logName = "hdb.log"
    }

    static func query(_ request: Request) throws -> Query {
        var q = Query()
        var problems: [String] = []
        if let v = request["start"], !v.isNull {
            if let n = number(v) { if n < 0 { problems.append("'start' must be greater than or equal to 0") } else { q.start = n } }
            else { problems.append("'start' must be a number") }
        }
        if let v = request["limit"], !v.isNull {
            if let n = number(v) { if n < 1 { problems.append("'limit' must be greater than or equal to 1") } else { q.limit = n } }
            else { problems.append("'limit' must be a number") }
        }
        if let v = request["level"], !v.isNull {
            if let s = v.stringValue, HarperLevel.all.contains(s) { q.level = s } else {
                problems.append("'level' must be one of [notify, fatal, error, warn, info, debug, trace]")
            }
        }
        for field in ["from", "until", "to"] {
            guard let v = request[field], !v.isNull else { continue }
            let time: Double? = switch v {
            case .string(let s): LogTime.parse(s)
            case .int, .double: v.doubleValue
            default: nil
            }
            guard let time else {
                problems.append("'\(field)' date '\(v.stringValue ?? JSON.string(v))' is invalid.")
                continue
            }
            if field == "from" { q.from = time } else { q.until = time }
        }
        if let v = request["order"], !v.isNull {
            if let s = v.stringValue, s == "asc" || s == "desc" { q.order = s } else {
                problems.append("'order' must be one of [asc, desc]")
            }
        }
        if let v = request["filter"], !v.isNull { q.filter = v.stringValue ?? JSON.string(v) }
        if let v = request["log_name"], !v.isNull {
            if let s = v.stringValue, s == "hdb.log" || s == "install.log" { q.logName = s } else {
                problems.append("'log_name' '\(v.stringValue ?? JSON.string(v))' is invalid.")
            }
        }
        guard problems.isEmpty else { throw LyreError.validation(problems) }
        return q
    }

    private static func number(_ v: Value) -> Int? {
        if let i = v.intValue { return Int(i) }
        if let s = v.stringValue, let i = Int(s) { return i }
        return nil
    }

    @Sendable static func readLog(_ request: Request, _ context: OperationContext) throws -> OutgoingResponse.Body {
        let q = try query(request)
        let path = context.app.configuration.logDirectory + "/" + q.logName
        let reader: LogFileReader
        do {
            reader = try LogFileReader(path: path)
        } catch {
            throw LyreError.validation("'log_name' '\(q.logName)' does not exist.")
        }
        return .json(.array(try select(reader, q).map(\.json)))
    }

    /// With `desc` and no date range the most recent entries are taken (reading the file from
    /// its end) **(inferred)**; otherwise entries are taken in file order.
    static func newestFirst(_ q: Query) -> Bool {
        q.order == "desc" && q.from == nil && q.until == nil
    }

    /// Reads only as far as the query needs: the `start + limit` matching entries.
    static func select(_ reader: borrowing LogFileReader, _ q: Query) throws -> [LogEntry] {
        var picker = Picker(query: q)
        try reader.forEach(newestFirst: newestFirst(q)) { picker.take($0) }
        return picker.result()
    }

    /// Filters, skips `start`, takes `limit`, then orders (the whole-text form of `select`).
    static func select(_ entries: [LogEntry], _ q: Query) -> [LogEntry] {
        var picker = Picker(query: q)
        let sequence: AnySequence<LogEntry> = newestFirst(q) ? AnySequence(entries.reversed()) : AnySequence(entries)
        for entry in sequence {
            guard picker.take(entry) else { break }
        }
        return picker.result()
    }

    /// The filters, `start` and `limit` applied to entries as they come.
    struct Picker {
        let query: Query
        private var picked: [LogEntry] = []
        private var skipped = 0

        init(query: Query) { self.query = query }

        func keeps(_ e: LogEntry) -> Bool {
            if let level = query.level, e.level != level { return false }
            if let from = query.from, e.time < from { return false }
            if let until = query.until, e.time > until { return false }
            if let filter = query.filter, !e.raw.contains(filter) { return false }
            return true
        }

        /// Considers one entry; `false` once `limit` entries are picked (nothing more is needed).
        mutating func take(_ entry: LogEntry) -> Bool {
            guard picked.count < query.limit else { return false }
            if keeps(entry) {
                if skipped < query.start {
                    skipped += 1
                } else {
                    picked.append(entry)
                }
            }
            return picked.count < query.limit
        }

        /// The picked entries in the requested order.
        func result() -> [LogEntry] {
            switch query.order {
            case "asc": picked.sorted { $0.time < $1.time }
            case "desc": picked.sorted { $0.time > $1.time }
            default: picked
            }
        }
    }
}
