import LyreCore
import LyreTestSupport
import Testing

@Suite struct SystemInformationTests {
    @Test func defaultCallHasEverySection() async throws {
        let h = try Harness()
        _ = await h.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#)
        _ = await h.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":1},{"id":2}]}"#)
        let r = await h.post(#"{"operation":"system_information"}"#)
        #expect(r.status == 200)
        let info = r.json
        for section in ["system", "time", "cpu", "memory", "disk", "network", "harperdb_processes", "table_size"] {
            #expect(info[section] != nil, "missing \(section)")
        }
        for key in ["platform", "distro", "release", "codename", "kernel", "arch", "hostname", "fqdn", "node_version", "npm_version"] {
            #expect(info["system"]?[key]?.stringValue != nil, "system.\(key)")
        }
        for key in ["current", "uptime", "timezone", "timezoneName"] { #expect(info["time"]?[key] != nil, "time.\(key)") }
        for key in ["manufacturer", "brand", "vendor", "speed", "cores", "physicalCores", "processors", "cpu_speed", "current_load"] {
            #expect(info["cpu"]?[key] != nil, "cpu.\(key)")
        }
        for key in ["avgLoad", "currentLoad", "currentLoadUser", "currentLoadSystem", "currentLoadNice", "currentLoadIdle", "currentLoadIrq", "cpus"] {
            #expect(info["cpu"]?["current_load"]?[key] != nil, "current_load.\(key)")
        }
        for key in ["total", "free", "used", "active", "available", "swaptotal", "swapused", "swapfree"] {
            #expect(info["memory"]?[key]?.isNumber == true, "memory.\(key)")
        }
        #expect((info["memory"]?["total"]?.intValue ?? 0) > 0)
        #expect(info["disk"] == .object(JSONObject()))
        #expect(JSON.string(info["network"]!) == #"{"default_interface":null,"latency":{},"interfaces":[],"stats":[],"connections":[]}"#)
        #expect(info["harperdb_processes"]?["core"]?.arrayValue?.first?["pid"]?.isNumber == true)
        let dog = info["table_size"]?.arrayValue?.first { $0["table"] == "dog" }
        #expect(dog?["schema"] == "dev")
        #expect(dog?["record_count"] == 2)
        #expect(dog?["table_size"]?.isNumber == true)
        #expect(dog?["transaction_log_size"] != nil && dog?["transaction_log_record_count"] != nil)
        #expect(info["table_size"]?.arrayValue?.contains { $0["schema"] == "system" } == false)
        #expect(info["metrics"]?["dev"]?["tables"]?["dog"]?["entryCount"] == 2)
    }

    @Test func attributesSelectSections() async throws {
        let h = try Harness()
        let r = await h.post(#"{"operation":"system_information","attributes":["memory","time","nonsense"]}"#)
        #expect(r.json.objectValue?.keys == ["time", "memory"])
        let metrics = await h.post(#"{"operation":"system_information","attributes":["database_metrics","threads"]}"#)
        #expect(metrics.json.objectValue?.keys == ["metrics", "threads"])
        #expect((metrics.json["threads"]?.arrayValue?.count ?? 0) > 0)
    }

    @Test func diskDetailsWhenConfigured() async throws {
        let h = try Harness { $0.sysInfoDisk = true }
        let r = await h.post(#"{"operation":"system_information","attributes":["disk"]}"#)
        #expect(r.json["disk"]?["io"]?["tIO"]?.isNumber == true)
        #expect(r.json["disk"]?["read_write"]?["tx"]?.isNumber == true)
        #expect(r.json["disk"]?["size"]?.arrayValue != nil)
    }
}
