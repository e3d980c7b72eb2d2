import Foundation
import Logging
import LyreCore
import LyreOperations
import LyreTestSupport
import Testing

/// Harper's level names, as the generated logs use them.
enum HarperLevelNames {
    static let all = ["trace", "debug", "info", "warn", "error", "fatal", "notify"]
}

@Suite struct LogsTests {
    static let sample = """
    2021-01-25T22:05:27.464Z [main/0] [notify]: HarperDB successfully started.
    2021-01-25T22:10:00.000Z [http/9] [warn]: Login failed
    2021-01-25T22:24:45.113Z [http/9] [error] [auth-event]: Bad token
    with a second line
    2021-01-25T23:03:20.710Z [main/0] [notify]: Connected to cluster server.
    2021-01-26T01:00:00.000Z [job/1] [info]: job done

    """

    func withLog(_ text: String = sample) throws -> Harness {
        let h = try Harness()
        try FileManager.default.createDirectory(atPath: h.root + "/log", withIntermediateDirectories: true)
        try text.write(toFile: h.root + "/log/hdb.log", atomically: true, encoding: .utf8)
        return h
    }

    @Test func parsesEntriesWithTheSpecShape() async throws {
        let h = try withLog()
        let r = await h.post(#"{"operation":"read_log"}"#)
        #expect(r.status == 200)
        let entries = r.json.arrayValue ?? []
        #expect(entries.count == 5)
        #expect(JSON.string(entries[0]) == #"{"timestamp":"2021-01-25T22:05:27.464Z","thread":"main/0","level":"notify","tags":[],"message":"HarperDB successfully started."}"#)
        #expect(entries[2]["tags"] == ["auth-event"])
        #expect(entries[2]["message"] == "Bad token\nwith a second line")
    }

    @Test func filtersByLevelDatesAndPaging() async throws {
        let h = try withLog()
        let notify = await h.post(#"{"operation":"read_log","level":"notify"}"#)
        #expect(notify.json.arrayValue?.count == 2)
        let range = await h.post(#"{"operation":"read_log","from":"2021-01-25T22:05:27.464+0000","until":"2021-01-25 23:00:00"}"#)
        #expect(range.json.arrayValue?.compactMap { $0["message"]?.stringValue }.count == 3)
        let to = await h.post(#"{"operation":"read_log","to":"2021-01-25"}"#)
        #expect(to.json.arrayValue?.count == 0)
        let paged = await h.post(#"{"operation":"read_log","start":1,"limit":2}"#)
        #expect(paged.json.arrayValue?.map { $0["level"] } == ["warn", "error"])
        let asc = await h.post(#"{"operation":"read_log","order":"asc","from":"2021-01-25"}"#)
        #expect(asc.json.arrayValue?.first?["level"] == "notify")
        let filtered = await h.post(#"{"operation":"read_log","filter":"cluster"}"#)
        #expect(filtered.json.arrayValue?.count == 1)
    }

    @Test func descWithoutRangeReturnsMostRecentInferred() async throws {
        let h = try withLog()
        let r = await h.post(#"{"operation":"read_log","order":"desc","limit":2}"#)
        #expect(r.json.arrayValue?.map { $0["message"] } == ["job done", "Connected to cluster server."])
    }

    /// One generated entry: its JSON as `read_log` answers it, and what the filters look at.
    struct Generated {
        var json: Value
        var level: String
        var seconds: Int
        var raw: String
    }

    /// `count` entries one second apart from 2024-05-01T00:00:00Z, every 13th spanning three
    /// lines, after a line that belongs to no entry: about 100 bytes per entry.
    static func generatedLog(count: Int) -> (text: String, entries: [Generated]) {
        var text = "a line before the first entry\n"
        var entries: [Generated] = []
        for i in 0..<count {
            func pad(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
            let timestamp = "2024-05-01T\(pad(i / 3600)):\(pad(i / 60 % 60)):\(pad(i % 60)).000Z"
            let level = HarperLevelNames.all[i % 7]
            let tags = i % 11 == 0 ? ["auth-event"] : []
            var message = "entry \(i) " + String(repeating: "x", count: i % 50)
            if i % 13 == 0 { message += "\nsecond line \(i)\n  third" }
            let raw = "\(timestamp) [http/\(i % 4)] [\(level)]\(tags.map { " [\($0)]" }.joined()): \(message)"
            text += raw + "\n"
            let json: Value = .object(JSONObject([
                ("timestamp", .string(timestamp)), ("thread", .string("http/\(i % 4)")), ("level", .string(level)),
                ("tags", .array(tags.map(Value.string))), ("message", .string(message)),
            ]))
            entries.append(Generated(json: json, level: level, seconds: i, raw: raw))
        }
        return (text, entries)
    }

    @Test func aLogLargerThanTheReadChunkGivesTheSameAnswers() async throws {
        let (text, entries) = Self.generatedLog(count: 20_000)
        #expect(text.utf8.count > 1_500_000)  // many 64 KiB chunks, entries cut across them
        let h = try withLog(text)
        /// `read_log`'s semantics over the generated entries, the slow obvious way.
        func expected(level: String? = nil, from: Int? = nil, until: Int? = nil, filter: String? = nil,
                      start: Int = 0, limit: Int = 1000, order: String? = nil) -> [Value] {
            var matching = entries.filter { e in
                (level == nil || e.level == level) && (from == nil || e.seconds >= from!)
                    && (until == nil || e.seconds <= until!) && (filter == nil || e.raw.contains(filter!))
            }
            if order == "desc", from == nil, until == nil { matching.reverse() }
            var picked = Array(matching.dropFirst(start).prefix(limit))
            if order == "asc" { picked.sort { $0.seconds < $1.seconds } }
            if order == "desc" { picked.sort { $0.seconds > $1.seconds } }
            return picked.map(\.json)
        }
        func ask(_ fields: String) async -> [Value] {
            await h.post(#"{"operation":"read_log"\#(fields)}"#).json.arrayValue ?? []
        }
        #expect(await ask("") == expected())
        #expect(await ask(#","order":"desc","limit":3"#) == expected(limit: 3, order: "desc"))
        #expect(await ask(#","order":"desc","start":19990,"limit":20"#) == expected(start: 19_990, limit: 20, order: "desc"))
        #expect(await ask(#","level":"error","start":100,"limit":50"#) == expected(level: "error", start: 100, limit: 50))
        #expect(await ask(#","filter":"second line 1300""#) == expected(filter: "second line 1300"))
        #expect(await ask(#","filter":"3\n  third","order":"desc","limit":5"#) == expected(filter: "3\n  third", limit: 5, order: "desc"))
        #expect(await ask(#","from":"2024-05-01T01:23:20Z","until":"2024-05-01 01:25:00","order":"desc""#)
                == expected(from: 5_000, until: 5_100, order: "desc"))
        #expect(await ask(#","order":"asc","start":19998,"limit":5"#) == expected(start: 19_998, limit: 5, order: "asc"))
        #expect(await ask(#","level":"notify","limit":10000"#) == expected(level: "notify", limit: 10_000))
        let last = await ask(#","order":"desc","limit":1"#)
        #expect(last.first?["message"] == .string("entry 19999 " + String(repeating: "x", count: 19_999 % 50)))
    }

    @Test func entriesAreCutTheSameWayWhateverTheEnding() async throws {
        for text in ["", "\n", "no header at all\n", "2021-01-25T22:05:27.464Z [main/0] [notify]: no newline at the end",
                     "2021-01-25T22:05:27.464Z [main/0] [notify]: blank lines after\n\n\n",
                     "2021-01-25T22:05:27.464Z [main/0] [warn]: a\n2021-01-25T22:05:28.464Z [main/0] [warn]: b\ntail"] {
            let h = try withLog(text)
            let forward = await h.post(#"{"operation":"read_log"}"#).json.arrayValue ?? []
            let backward = await h.post(#"{"operation":"read_log","order":"desc"}"#).json.arrayValue ?? []
            #expect(Array(forward.reversed()) == backward, "\(text)")
        }
        let h = try withLog("2021-01-25T22:05:27.464Z [main/0] [notify]: blank lines after\n\n\n")
        #expect(await h.post(#"{"operation":"read_log","order":"desc"}"#).json.arrayValue?.first?["message"] == "blank lines after")
    }

    @Test func validationErrors() async throws {
        let h = try withLog()
        let cases: [(String, String)] = [
            (#""level":"loud""#, "'level' must be one of [notify, fatal, error, warn, info, debug, trace]"),
            (#""order":"up""#, "'order' must be one of [asc, desc]"),
            (#""limit":0"#, "'limit' must be greater than or equal to 1"),
            (#""start":-1"#, "'start' must be greater than or equal to 0"),
            (#""from":"garbage""#, "'from' date 'garbage' is invalid."),
            (#""until":"garbage""#, "'until' date 'garbage' is invalid."),
            (#""to":"garbage""#, "'to' date 'garbage' is invalid."),
        ]
        for (field, message) in cases {
            let r = await h.post(#"{"operation":"read_log",\#(field)}"#)
            #expect(r.status == 400)
            #expect(r.json == .object(JSONObject([("error", .string(message))])))
        }
        let both = await h.post(#"{"operation":"read_log","limit":0,"level":"loud"}"#)
        #expect(both.json["error"] == "'limit' must be greater than or equal to 1. 'level' must be one of [notify, fatal, error, warn, info, debug, trace]")
        let name = await h.post(#"{"operation":"read_log","log_name":"x.log"}"#)
        #expect(name.text == #"{"error":"'log_name' 'x.log' is invalid."}"#)
        let absent = await h.post(#"{"operation":"read_log","log_name":"install.log"}"#)
        #expect(absent.text == #"{"error":"'log_name' 'install.log' does not exist."}"#)
    }

    @Test func handlerWritesHarperLinesThatReadLogParses() async throws {
        let h = try Harness()
        var configuration = h.app.configuration
        configuration.logLevel = "info"
        let sink = HarperLogSink(configuration: configuration, foreground: false)
        var logger = Logger(label: "t") { HarperLogHandler(label: $0, sink: sink) }
        logger.info("hello", metadata: ["tags": "operation", "thread": "http/3"])
        logger.debug("not written")
        logger.notice("always")
        logger.logLevel = .trace
        #expect(sink.filePath == h.root + "/log/hdb.log")
        let r = await h.post(#"{"operation":"read_log"}"#)
        let entries = r.json.arrayValue ?? []
        #expect(entries.count == 2)
        #expect(entries.first?["thread"] == "http/3")
        #expect(entries.first?["tags"] == ["operation"])
        #expect(entries.first?["level"] == "info")
        #expect(entries.last?["level"] == "notify")
        let text = try String(contentsOfFile: sink.filePath, encoding: .utf8)
        #expect(text.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[http/3\] \[info\] \[operation\]: hello\n"#, options: .regularExpression) != nil)
    }

    @Test func notifyIsWrittenAboveTheConfiguredLevel() throws {
        let root = TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var configuration = Configuration(root: root)
        configuration.logLevel = "fatal"
        let sink = HarperLogSink(configuration: configuration, foreground: false)
        let logger = Logger(label: "t") { HarperLogHandler(label: $0, sink: sink) }
        logger.error("dropped")
        logger.notice("kept")
        let text = try String(contentsOfFile: sink.filePath, encoding: .utf8)
        #expect(!text.contains("dropped") && text.contains("[notify]: kept"))
    }

    @Test func rotatesBySize() throws {
        let root = TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var configuration = Configuration(root: root)
        configuration.logLevel = "info"
        configuration.logRotationMaxBytes = 200
        let sink = HarperLogSink(configuration: configuration, foreground: false)
        let logger = Logger(label: "t") { HarperLogHandler(label: $0, sink: sink) }
        for i in 0..<10 { logger.info("line number \(i) with some padding text") }
        let files = try FileManager.default.contentsOfDirectory(atPath: root + "/log")
        #expect(files.contains("hdb.log"))
        #expect(files.filter { $0.hasPrefix("HDB-") && $0.hasSuffix(".log") }.count >= 2)
    }

    @Test func rotatesByIntervalAndGzipsTheRotatedFile() throws {
        let root = TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var configuration = Configuration(root: root)
        configuration.logLevel = "info"
        configuration.logRotationInterval = 86_400  // 1D
        configuration.logRotationCompress = true
        let clock = TestClock(Date(timeIntervalSince1970: 1_700_000_000))  // 2023-11-14T22:13:20Z
        let sink = HarperLogSink(configuration: configuration, foreground: false, clock: clock)
        let logger = Logger(label: "t") { HarperLogHandler(label: $0, sink: sink) }
        logger.info("day one")
        clock.advance(by: 23 * 3600)
        logger.info("still day one")
        clock.advance(by: 3600)
        logger.info("day two")  // a day after the file began: rotate first
        sink.waitForCompression()

        let files = try FileManager.default.contentsOfDirectory(atPath: root + "/log").sorted()
        #expect(files == ["HDB-2023-11-15T22-13-20-000Z.log.gz", "hdb.log"])
        let rotated = String(decoding: try Gzip.decompress(file: root + "/log/HDB-2023-11-15T22-13-20-000Z.log.gz"), as: UTF8.self)
        #expect(rotated.hasPrefix("2023-11-14T22:13:20.000Z ["))
        #expect(rotated.contains("[info]: day one\n") && rotated.contains("still day one") && !rotated.contains("day two"))
        let current = try String(contentsOfFile: root + "/log/hdb.log", encoding: .utf8)
        #expect(current.hasPrefix("2023-11-15T22:13:20.000Z [") && current.hasSuffix("[info]: day two\n"))

        // The interval counts from the new file's start.
        clock.advance(by: 86_399)
        logger.info("same day")
        sink.waitForCompression()
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/log").count == 2)
    }

    @Test func anExistingFileRotatesByTheAgeOfItsFirstEntry() throws {
        let root = TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/log", withIntermediateDirectories: true)
        try "2023-11-14T00:00:00.000Z [main/0] [notify]: written before a restart\n"
            .write(toFile: root + "/log/hdb.log", atomically: true, encoding: .utf8)
        var configuration = Configuration(root: root)
        configuration.logRotationInterval = 12 * 3600  // 12h
        configuration.logRotationPath = root + "/rotated"
        let clock = TestClock(Date(timeIntervalSince1970: 1_699_920_000 + 11 * 3600))  // 11 h after that entry
        let sink = HarperLogSink(configuration: configuration, foreground: false, clock: clock)
        let logger = Logger(label: "t") { HarperLogHandler(label: $0, sink: sink) }
        logger.notice("eleven hours")
        #expect(!FileManager.default.fileExists(atPath: root + "/rotated"))
        clock.advance(by: 3600)
        logger.notice("twelve hours")
        let rotated = try FileManager.default.contentsOfDirectory(atPath: root + "/rotated")
        #expect(rotated == ["HDB-2023-11-14T12-00-00-000Z.log"])  // not compressed
        let text = try String(contentsOfFile: root + "/rotated/" + rotated[0], encoding: .utf8)
        #expect(text.contains("written before a restart") && text.contains("eleven hours") && !text.contains("twelve"))
    }

    @Test func sizeRotationCanCompressToo() throws {
        let root = TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var configuration = Configuration(root: root)
        configuration.logLevel = "info"
        configuration.logRotationMaxBytes = 200
        configuration.logRotationCompress = true
        let clock = TestClock(Date(timeIntervalSince1970: 1_700_000_000))
        let sink = HarperLogSink(configuration: configuration, foreground: false, clock: clock)
        let logger = Logger(label: "t") { HarperLogHandler(label: $0, sink: sink) }
        for i in 0..<10 { logger.info("line number \(i) with some padding text") }  // same millisecond: suffixes
        sink.waitForCompression()
        let files = try FileManager.default.contentsOfDirectory(atPath: root + "/log")
        let gz = files.filter { $0.hasPrefix("HDB-") && $0.hasSuffix(".log.gz") }
        #expect(gz.count >= 2)
        #expect(!files.contains { $0.hasSuffix(".log") && $0 != "hdb.log" })
        var all = try String(contentsOfFile: root + "/log/hdb.log", encoding: .utf8)
        for file in gz { all += String(decoding: try Gzip.decompress(file: root + "/log/" + file), as: UTF8.self) }
        for i in 0..<10 { #expect(all.contains("line number \(i) ")) }
    }
}
