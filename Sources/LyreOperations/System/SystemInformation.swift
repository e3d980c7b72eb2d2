import Foundation
import LyreCore
import LyreStorage

/// `system_information` (logs-config-system.md §6): host facts from `/proc` and storage
/// statistics from the engine. Values are best-effort; the keys are the contract.
enum SystemInformation {
    static func register(into registry: inout OperationRegistry) {
        registry.register(.systemInformation, .async(systemInformation))
    }

    static let sections = ["system", "time", "cpu", "memory", "disk", "network", "harperdb_processes",
                           "table_size", "metrics", "threads", "replication"]
    /// Sections of a call without `attributes`.
    static let defaultSections = ["system", "time", "cpu", "memory", "disk", "network", "harperdb_processes",
                                  "table_size", "metrics", "threads"]

    @Sendable static func systemInformation(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        var wanted = (request["attributes"]?.arrayValue ?? []).compactMap(\.stringValue)
            .map { $0 == "database_metrics" ? "metrics" : $0 }
            .filter(sections.contains)
        if wanted.isEmpty && (request["attributes"]?.arrayValue ?? []).isEmpty { wanted = defaultSections }
        let configuration = context.app.configuration
        var o = JSONObject()
        for section in sections where wanted.contains(section) {
            let value: Value = switch section {
            case "system": system()
            case "time": time()
            case "cpu": await cpu()
            case "memory": memory()
            case "disk": configuration.sysInfoDisk ? disk(root: configuration.root) : .object(JSONObject())
            case "network": network(detailed: configuration.sysInfoNetwork)
            case "harperdb_processes": processes()
            case "table_size": try tableSizes(context.app.storage)
            case "metrics": try metrics(context.app.storage)
            case "threads": threads()
            default: .object(JSONObject())
            }
            o.appendUnchecked(section, value)
        }
        return .json(.object(o))
    }

    // MARK: /proc helpers

    static func read(_ path: String) -> String {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    /// `Key: value` lines (`/proc/meminfo`, `/etc/os-release` with `=`).
    static func fields(_ text: String, separator: Character) -> [String: String] {
        var map: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let i = line.firstIndex(of: separator) else { continue }
            let key = line[..<i].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: i)...].trimmingCharacters(in: .whitespaces)
            if map[key] == nil { map[key] = value.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        }
        return map
    }

    static func object(_ pairs: [(String, Value)]) -> Value { .object(JSONObject(pairs)) }

    // MARK: Sections

    static func system() -> Value {
        var names = utsname()
        uname(&names)
        func text<T>(_ field: T) -> String {
            withUnsafeBytes(of: field) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        let release = fields(read("/etc/os-release"), separator: "=")
        let host = ProcessInfo.processInfo.hostName
        return object([
            ("platform", .string(text(names.sysname).lowercased())),
            ("distro", .string(release["NAME"] ?? "")),
            ("release", .string(release["VERSION_ID"] ?? "")),
            ("codename", .string(release["VERSION_CODENAME"] ?? "")),
            ("kernel", .string(text(names.release))),
            ("arch", .string(text(names.machine))),
            ("hostname", .string(text(names.nodename))),
            ("fqdn", .string(host)),
            ("node_version", .string("swift (Lyre \(LyreVersion.string))")),
            ("npm_version", .string(LyreVersion.harperCompatibility)),
        ])
    }

    static func time() -> Value {
        let uptime = Double(read("/proc/uptime").split(separator: " ").first ?? "") ?? ProcessInfo.processInfo.systemUptime
        let zone = TimeZone.current
        let offset = zone.secondsFromGMT() / 60
        let sign = offset < 0 ? "-" : "+"
        let name = zone.identifier == "UTC" || zone.identifier == "GMT" ? "Coordinated Universal Time"
            : zone.localizedName(for: .standard, locale: Locale(identifier: "en_US")) ?? zone.identifier
        return object([
            ("current", .int(Int64(Date().timeIntervalSince1970 * 1000))),
            ("uptime", .double(uptime)),
            ("timezone", .string(String(format: "GMT%@%02d%02d", sign, abs(offset) / 60, abs(offset) % 60))),
            ("timezoneName", .string(name)),
        ])
    }

    /// Per-CPU jiffies from `/proc/stat`: (user, nice, system, idle, irq, total); index 0 is the sum.
    static func cpuTimes() -> [[Double]] {
        read("/proc/stat").split(separator: "\n").filter { $0.hasPrefix("cpu") }.map { line in
            let n = line.split(separator: " ").dropFirst().compactMap { Double($0) }
            guard n.count >= 7 else { return [0, 0, 0, 0, 0, 1] }
            return [n[0], n[1], n[2], n[3] + n[4], n[5] + n[6], n.prefix(8).reduce(0, +)]
        }
    }

    static func cpu() async -> Value {
        let info = read("/proc/cpuinfo")
        let blocks = info.components(separatedBy: "\n\n").map { fields($0, separator: ":") }.filter { !$0.isEmpty }
        let speeds = blocks.compactMap { $0["cpu MHz"].flatMap(Double.init) }.map { ($0 / 10).rounded() / 100 }
        let physical = Set(blocks.map { "\($0["physical id"] ?? "0")/\($0["core id"] ?? UUID().uuidString)" }).count
        let processors = max(1, Set(blocks.map { $0["physical id"] ?? "0" }).count)
        let first = cpuTimes()
        try? await Task.sleep(for: .milliseconds(100))
        let second = cpuTimes()
        func load(_ i: Int) -> Value {
            guard i < first.count, i < second.count else { return .object(JSONObject()) }
            let d = zip(second[i], first[i]).map { $0 - $1 }
            let total = max(d[5], 1)
            func pct(_ x: Double) -> Value { .double((x / total * 10000).rounded() / 100) }
            return object([("load", pct(total - d[3])), ("loadUser", pct(d[0])), ("loadSystem", pct(d[2])),
                           ("loadNice", pct(d[1])), ("loadIdle", pct(d[3])), ("loadIrq", pct(d[4]))])
        }
        let overall = load(0)
        var loadavg = read("/proc/loadavg").split(separator: " ").first.flatMap { Double($0) } ?? 0
        loadavg = (loadavg * 100).rounded() / 100
        let avg = speeds.isEmpty ? 0 : speeds.reduce(0, +) / Double(speeds.count)
        return object([
            ("manufacturer", .string(blocks.first?["vendor_id"] ?? "")),
            ("brand", .string(blocks.first?["model name"] ?? "")),
            ("vendor", .string(blocks.first?["vendor_id"] ?? "")),
            ("speed", .double((avg * 100).rounded() / 100)),
            ("cores", .int(Int64(ProcessInfo.processInfo.activeProcessorCount))),
            ("physicalCores", .int(Int64(max(1, physical)))),
            ("processors", .int(Int64(processors))),
            ("cpu_speed", object([
                ("min", .double(speeds.min() ?? 0)), ("max", .double(speeds.max() ?? 0)),
                ("avg", .double((avg * 100).rounded() / 100)), ("cores", .array(speeds.map(Value.double))),
            ])),
            ("current_load", object([
                ("avgLoad", .double(loadavg)),
                ("currentLoad", overall["load"] ?? 0), ("currentLoadUser", overall["loadUser"] ?? 0),
                ("currentLoadSystem", overall["loadSystem"] ?? 0), ("currentLoadNice", overall["loadNice"] ?? 0),
                ("currentLoadIdle", overall["loadIdle"] ?? 0), ("currentLoadIrq", overall["loadIrq"] ?? 0),
                ("cpus", .array((1..<max(1, min(first.count, second.count))).map(load))),
            ])),
        ])
    }

    static func memory() -> Value {
        let m = fields(read("/proc/meminfo"), separator: ":")
        func kb(_ key: String) -> Int64 { Int64(m[key]?.split(separator: " ").first ?? "").map { $0 * 1024 } ?? 0 }
        let status = fields(read("/proc/self/status"), separator: ":")
        let rss = Int64(status["VmRSS"]?.split(separator: " ").first ?? "").map { $0 * 1024 } ?? 0
        let data = Int64(status["VmData"]?.split(separator: " ").first ?? "").map { $0 * 1024 } ?? 0
        let total = kb("MemTotal"), free = kb("MemFree"), swapTotal = kb("SwapTotal"), swapFree = kb("SwapFree")
        return object([
            ("total", .int(total)), ("free", .int(free)), ("used", .int(total - free)), ("active", .int(kb("Active"))),
            ("available", .int(kb("MemAvailable"))), ("swaptotal", .int(swapTotal)), ("swapused", .int(swapTotal - swapFree)),
            ("swapfree", .int(swapFree)), ("rss", .int(rss)), ("heapTotal", .int(data)), ("heapUsed", .int(rss)),
            ("external", .int(0)), ("arrayBuffers", .int(0)),
        ])
    }

    static func disk(root: String) -> Value {
        var rIO: Int64 = 0, wIO: Int64 = 0, rx: Int64 = 0, wx: Int64 = 0
        for line in read("/proc/diskstats").split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count >= 10, !f[2].hasPrefix("loop"), !f[2].hasPrefix("ram") else { continue }
            rIO += Int64(f[3]) ?? 0
            rx += (Int64(f[5]) ?? 0) * 512
            wIO += Int64(f[7]) ?? 0
            wx += (Int64(f[9]) ?? 0) * 512
        }
        var sizes: [Value] = []
        for line in read("/proc/mounts").split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count >= 3, f[0].hasPrefix("/") || f[1] == "/" else { continue }
            var s = statvfs()
            guard statvfs(String(f[1]), &s) == 0, s.f_blocks > 0 else { continue }
            let size = Int64(s.f_blocks) * Int64(s.f_frsize)
            let available = Int64(s.f_bavail) * Int64(s.f_frsize)
            let used = size - Int64(s.f_bfree) * Int64(s.f_frsize)
            sizes.append(object([
                ("fs", .string(String(f[0]))), ("type", .string(String(f[2]))), ("size", .int(size)), ("used", .int(used)),
                ("available", .int(available)), ("use", .double((Double(used) / Double(size) * 10000).rounded() / 100)),
                ("mount", .string(String(f[1]))),
            ]))
        }
        return object([
            ("io", object([("rIO", .int(rIO)), ("wIO", .int(wIO)), ("tIO", .int(rIO + wIO))])),
            ("read_write", object([("rx", .int(rx)), ("wx", .int(wx)), ("tx", .int(rx + wx))])),
            ("size", .array(sizes)),
        ])
    }

    static func network(detailed: Bool) -> Value {
        var interfaces: [Value] = []
        var stats: [Value] = []
        if detailed {
            for line in read("/proc/net/dev").split(separator: "\n").dropFirst(2) {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let name = line[..<colon].trimmingCharacters(in: .whitespaces)
                let n = line[line.index(after: colon)...].split(separator: " ").compactMap { Int64($0) }
                guard n.count >= 16 else { continue }
                interfaces.append(object([("iface", .string(name)), ("internal", .bool(name == "lo"))]))
                stats.append(object([
                    ("iface", .string(name)), ("rx_bytes", .int(n[0])), ("rx_dropped", .int(n[3])), ("rx_errors", .int(n[2])),
                    ("tx_bytes", .int(n[8])), ("tx_dropped", .int(n[11])), ("tx_errors", .int(n[10])),
                ]))
            }
        }
        return object([("default_interface", .null), ("latency", .object(JSONObject())), ("interfaces", .array(interfaces)),
                       ("stats", .array(stats)), ("connections", .array([]))])
    }

    static func processes() -> Value {
        let stat = read("/proc/self/stat")
        // Fields after the parenthesised command name: state ppid ... starttime (22nd overall).
        let after = stat.split(separator: ")").last?.split(separator: " ") ?? []
        let parent = after.count > 1 ? Int64(after[1]) ?? 0 : 0
        let startTicks = after.count > 19 ? Double(after[19]) ?? 0 : 0
        let uptime = Double(read("/proc/uptime").split(separator: " ").first ?? "") ?? 0
        let started = Date().timeIntervalSince1970 * 1000 - (uptime - startTicks / 100) * 1000
        let rss = Int64(fields(read("/proc/self/status"), separator: ":")["VmRSS"]?.split(separator: " ").first ?? "") ?? 0
        let command = read("/proc/self/cmdline").split(separator: "\0").joined(separator: " ")
        let core = object([
            ("pid", .int(Int64(ProcessInfo.processInfo.processIdentifier))), ("parentPid", .int(parent)),
            ("name", .string(ProcessInfo.processInfo.processName)), ("cpu", .double(0)), ("memRss", .int(rss)),
            ("started", .int(Int64(started))), ("command", .string(command)),
        ])
        return object([("core", .array([core])), ("clustering", .array([]))])
    }

    static func tableSizes(_ storage: StorageEngine) throws -> Value {
        var rows: [Value] = []
        for name in storage.databaseNames where name != StorageEngine.systemDatabase {
            guard let db = storage.database(name) else { continue }
            let catalog = db.catalog
            try db.read { txn in
                for tableName in catalog.tableNames {
                    guard let table = catalog.tables[tableName] else { continue }
                    let records = try txn.statistics(table.records)
                    let index = try txn.statistics(table.index)
                    let audit = try table.auditLog.map { try txn.statistics($0) }
                    rows.append(object([
                        ("schema", .string(name)), ("table", .string(tableName)),
                        ("table_size", .int(Int64(records.bytes + index.bytes))),
                        ("record_count", .int(Int64(records.entries))),
                        ("transaction_log_size", .int(Int64(audit?.bytes ?? 0))),
                        ("transaction_log_record_count", .int(Int64(audit?.entries ?? 0))),
                    ]))
                }
            }
        }
        return .array(rows)
    }

    static func metrics(_ storage: StorageEngine) throws -> Value {
        var o = JSONObject()
        for name in storage.databaseNames {
            guard let db = storage.database(name) else { continue }
            let catalog = db.catalog
            var tables = JSONObject()
            var auditEntries = 0
            try db.read { txn in
                for tableName in catalog.tableNames {
                    guard let table = catalog.tables[tableName] else { continue }
                    let s = try txn.statistics(table.records)
                    auditEntries += try table.auditLog.map { try txn.statistics($0).entries } ?? 0
                    tables.appendUnchecked(tableName, object([
                        ("treeDepth", .int(Int64(s.depth))), ("treeBranchPageCount", .int(Int64(s.branchPages))),
                        ("treeLeafPageCount", .int(Int64(s.leafPages))), ("entryCount", .int(Int64(s.entries))),
                        ("overflowPages", .int(Int64(s.overflowPages))),
                    ]))
                }
            }
            o.appendUnchecked(name, object([
                ("tables", .object(tables)), ("readers", .array([])),
                ("audit", object([("entryCount", .int(Int64(auditEntries)))])),
                ("size", .int(Int64(db.fileSize))),
                // Lyre's: false with storage.writeAsync (commits synced by a background flush).
                ("syncEachCommit", .bool(db.syncsEachCommit)),
            ]))
        }
        return .object(o)
    }

    static func threads() -> Value {
        let ids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return .array(ids.compactMap(Int64.init).sorted().map { id in
            object([("threadId", .int(id)),
                    ("name", .string(read("/proc/self/task/\(id)/comm").trimmingCharacters(in: .whitespacesAndNewlines)))])
        })
    }
}
