#if canImport(Glibc)
import Glibc
#endif
import Foundation
import LyreCore

// What OperationFuzzer sends: seeded choices, JSON trees with raw leaves and their mutations,
// and the requests of each family (SQL, conditions, CSV).

extension OperationFuzzer {
    // MARK: Random choices

    func below(_ n: Int) -> Int { Int(random.next() % UInt64(max(n, 1))) }
    func chance(_ percent: Int) -> Bool { below(100) < percent }
    func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

    // MARK: JSON trees with raw leaves (numbers JSON cannot hold as a Double, bad escapes)

    indirect enum Node {
        case raw(String)
        case array([Node])
        case object([(String, Node)])

        init(_ value: Value) {
            switch value {
            case .array(let items): self = .array(items.map(Node.init))
            case .object(let object): self = .object(object.map { ($0.key, Node($0.value)) })
            default: self = .raw(JSON.string(value))
            }
        }

        func write(into output: inout String) {
            switch self {
            case .raw(let text): output += text
            case .array(let items):
                output += "["
                for (i, item) in items.enumerated() {
                    if i > 0 { output += "," }
                    item.write(into: &output)
                }
                output += "]"
            case .object(let members):
                output += "{"
                for (i, member) in members.enumerated() {
                    if i > 0 { output += "," }
                    output += JSON.string(.string(member.0)) + ":"
                    member.1.write(into: &output)
                }
                output += "}"
            }
        }

        var text: String {
            var output = ""
            write(into: &output)
            return output
        }
    }

    static func quoted(_ text: String) -> Node { .raw(JSON.string(.string(text))) }

    /// Parameters naming server files: mutated only to values that cannot name a new file
    /// (a wrong type, a NUL byte, a name too long for the file system), so a run writes
    /// nothing outside its scratch folder.
    static let pathKeys: Set<String> = ["path", "file_path", "filename", "log_name", "project", "file", "type",
                                         "logging_root", "endpoint", "csv_url"]

    func randomScalarText() -> String {
        pick([
            "", " ", "NaN", "Infinity", "-Infinity", "null", "undefined", "true", "0", "-1", "1e999", "0x10",
            "2026-13-45", "0000-00-00T00:00:00Z", "9999999-01-01", "2020-02-30T25:61:61.999Z", "-271821-04-20",
            "*", "%", "_", "'", "\"", "\\", "'; DROP TABLE dog; --", "a/b", "..", ".", "é", "😀", "\u{202E}abc",
            "\u{0}", "a\u{0}b", "\u{FEFF}", "\u{7F}", "dev", "dog", "id", "name", "fuzz_user", "fuzz_role", "scratch",
            "$", "${x}", "{{x}}", "[", "]", "{", "}", "/", "//", "?", "#", "%00", "%2e%2e",
            String(repeating: "a", count: 300), String(repeating: "x", count: 100_000), String(repeating: "é", count: 5_000),
        ])
    }

    /// A random JSON value, as raw text where JSON has forms `Value` cannot hold.
    func randomNode(depth: Int = 0) -> Node {
        switch below(11) {
        case 0: return .raw(pick(["null", "true", "false"]))
        case 1: return .raw(pick(["0", "-0", "1", "-1", "2147483648", "-2147483649", "9223372036854775807", "-9223372036854775808",
                                  "9223372036854775808", "-9223372036854775809", "123456789012345678901234567890",
                                  "1e308", "1e309", "-1e309", "1e-400", "0.5", "-0.0", "4.9e-324", "1.7976931348623157e308",
                                  "1E2", "1e+2", "0.1e1", "100000000000000000000000000000000000000000000000000"]))
        case 2, 3: return Self.quoted(randomScalarText())
        case 4: return .raw(pick([#""\ud800""#, #""\udc00x""#, #""\u0000""#, #""a\u0000""#, #""\uD83D\uDE00""#, #""\t\n\r""#]))
        case 5: return .array([])
        case 6: return .object([])
        case 7:
            guard depth < 3 else { return .raw("1") }
            return .array((0..<below(4)).map { _ in randomNode(depth: depth + 1) })
        case 8:
            guard depth < 3 else { return .raw("{}") }
            return .object((0..<below(4)).map { _ in (pick(["a", "id", "", "__proto__", "constructor", "operation", "😀"]), randomNode(depth: depth + 1)) })
        case 9:
            let levels = pick([100, 500, 511, 600, 5_000])
            return chance(50)
                ? .raw(String(repeating: "[", count: levels) + "1" + String(repeating: "]", count: levels))
                : .raw(String(repeating: #"{"a":"#, count: levels) + "1" + String(repeating: "}", count: levels))
        default:
            let count = pick([1_000, 20_000, 100_000])
            let element = pick(["1", "\"a\"", "null", "{}", "-1", "1.5"])
            return .raw("[" + Array(repeating: element, count: count).joined(separator: ",") + "]")
        }
    }

    func pathSafeNode() -> Node {
        switch below(4) {
        case 0: return .raw(pick(["null", "1", "true", "[]", "{}", "-1e309"]))
        case 1: return Self.quoted("a\u{0}b")
        case 2: return Self.quoted(String(repeating: "p", count: 5_000))
        default: return .raw(#"[""# + String(repeating: "q", count: 10) + #""]"#)
        }
    }

    /// One to three mutations somewhere in the tree.
    func mutate(_ node: Node) -> Node {
        var result = node
        for _ in 0..<(1 + below(3)) { result = mutateOnce(result, key: nil, depth: 0) }
        return result
    }

    func mutateOnce(_ node: Node, key: String?, depth: Int) -> Node {
        let isPath = key.map(Self.pathKeys.contains) ?? false
        switch node {
        case .object(var members) where !members.isEmpty && (depth == 0 || chance(70)):
            switch below(10) {
            case 0 where depth > 0 || members.count > 1:
                let i = below(members.count)
                if members[i].0 == "operation" && chance(80) || Self.pathKeys.contains(members[i].0) { return node }
                members.remove(at: i)  // a missing field
            case 1:
                members.append((pick(["extra", "hdb_user", "bypass_auth", "hdbAuthHeader", "operation", "", "__proto__", members[0].0]), randomNode()))
            default:
                let i = below(members.count)
                if members[i].0 == "operation" && chance(90) { return node }
                members[i].1 = mutateOnce(members[i].1, key: members[i].0, depth: depth + 1)
            }
            return .object(members)
        case .array(var items) where !items.isEmpty && chance(70):
            switch below(6) {
            case 0: items.remove(at: below(items.count))
            case 1: items.append(isPath ? pathSafeNode() : randomNode())
            case 2: items = Array(repeating: items[0], count: 2_000)
            default:
                let i = below(items.count)
                items[i] = mutateOnce(items[i], key: key, depth: depth + 1)
            }
            return .array(items)
        default:
            return isPath ? pathSafeNode() : randomNode()
        }
    }

    // MARK: Requests per family

    func makeRequest(_ family: String) -> FuzzRequest {
        switch family {
        case "http": return httpRequest()
        case "sql": return json(#"{"operation":"sql","sql":\#(JSON.string(.string(sqlStatement())))}"#, mutate: chance(15))
        case "csv":
            let text = csvText()
            // Thousands of columns go to a table the SQL templates do not read: SELECT * over
            // very wide rows is still slow (docs/fuzzing.md), which would drown other findings.
            let table = text.hasPrefix("c0,") ? "csvwide" : pick(["dog", "scratch", "csvnew"])
            return json(#"{"operation":"csv_data_load","database":"dev","table":"\#(table)","action":"\#(pick(["insert", "update", "upsert"]))","data":\#(JSON.string(.string(text)))}"#, mutate: chance(25))
        case "conditions": return json(conditionsRequest(), mutate: chance(25))
        default:
            return json(pick(templates(family)), mutate: true)
        }
    }

    func json(_ text: String, mutate shouldMutate: Bool) -> FuzzRequest {
        var body = text
        if shouldMutate, let value = try? JSON.parse(text) {
            body = mutate(Node(value)).text
            // Mutations compound (a huge array repeated 2,000 times): keep bodies under 8 MB,
            // about what the largest single mutation makes, so a run tests parsing rather
            // than this machine's memory (1 GiB bodies are allowed, see docs/fuzzing.md).
            if body.utf8.count > 8 << 20 { body = text }
        }
        return FuzzRequest(bytes: Self.post(Array(body.utf8)), responses: 1)
    }

    func templates(_ family: String) -> [String] {
        let dir = scratchDirectory
        let search = #"{"operation":"search_by_value","database":"dev","table":"dog","search_attribute":"name","search_value":"*","get_attributes":["*"]}"#
        switch family {
        case "schema": return [
            #"{"operation":"describe_all"}"#,
            #"{"operation":"describe_database","database":"dev"}"#,
            #"{"operation":"describe_table","database":"dev","table":"dog"}"#,
            #"{"operation":"create_database","database":"fz"}"#,
            #"{"operation":"drop_database","database":"fz"}"#,
            #"{"operation":"create_table","database":"fz","table":"t","primary_key":"id","attributes":[{"name":"a","indexed":true,"type":"String"}],"expiration":60}"#,
            #"{"operation":"create_table","schema":"dev","table":"t2","hash_attribute":"id"}"#,
            #"{"operation":"drop_table","database":"fz","table":"t"}"#,
            #"{"operation":"create_attribute","database":"dev","table":"dog","attribute":"color"}"#,
            #"{"operation":"drop_attribute","database":"dev","table":"scratch","attribute":"color"}"#,
            #"{"operation":"compact_database","database":"dev"}"#,
            #"{"operation":"cleanup_orphan_blobs","database":"dev"}"#,
        ]
        case "records": return [
            #"{"operation":"insert","database":"dev","table":"scratch","records":[{"id":1,"a":"x","b":[1,2],"c":{"d":true}}]}"#,
            #"{"operation":"insert","database":"dev","table":"scratch","records":[{"a":"no id"},{"id":"s","when":"2026-01-01T00:00:00Z"}]}"#,
            #"{"operation":"update","database":"dev","table":"scratch","records":[{"id":1,"a":"y"}]}"#,
            #"{"operation":"upsert","database":"dev","table":"scratch","records":[{"id":2,"a":null}]}"#,
            #"{"operation":"upsert","schema":"dev","table":"newtable","records":[{"id":3,"n":1.5}]}"#,
            #"{"operation":"delete","database":"dev","table":"scratch","ids":[1,2,"s"]}"#,
            #"{"operation":"delete","database":"dev","table":"scratch","hash_values":[1]}"#,
            #"{"operation":"delete_records_before","database":"dev","table":"scratch","date":"2000-01-01T00:00:00.000Z"}"#,
        ]
        case "search": return [
            #"{"operation":"search_by_id","database":"dev","table":"dog","ids":[1,2,"x"],"get_attributes":["*"]}"#,
            #"{"operation":"search_by_hash","schema":"dev","table":"dog","hash_values":[1],"get_attributes":["name","id"]}"#,
            search,
            #"{"operation":"search_by_value","database":"dev","table":"dog","search_attribute":"age","search_value":5,"get_attributes":["id"],"limit":10,"offset":0,"sort":{"attribute":"age","descending":true}}"#,
            #"{"operation":"search_by_value","database":"dev","table":"dog","search_attribute":"name","search_value":"P*","get_attributes":["id"]}"#,
        ]
        case "jobs": return [
            #"{"operation":"get_job","id":"\#(jobID)"}"#,
            #"{"operation":"search_jobs_by_start_date","from_date":"2020-01-01T00:00:00.000+0000","to_date":"2099-01-01T00:00:00.000+0000"}"#,
            #"{"operation":"cancel_job","id":"\#(jobID)"}"#,
            #"{"operation":"export_local","format":"json","path":"\#(dir)","filename":"out","search_operation":\#(search)}"#,
            #"{"operation":"export_local","format":"csv","path":"\#(dir)","search_operation":{"operation":"sql","sql":"SELECT * FROM dev.dog"}}"#,
            #"{"operation":"csv_file_load","database":"dev","table":"scratch","file_path":"\#(dir)/missing.csv"}"#,
            #"{"operation":"csv_url_load","database":"dev","table":"scratch","csv_url":"http://127.0.0.1:1/x.csv"}"#,
            #"{"operation":"import_from_s3","database":"dev","table":"scratch","s3":{"aws_access_key_id":"k","aws_secret_access_key":"s","bucket":"b","key":"x.csv","region":"us-east-1","endpoint":"http://127.0.0.1:1"}}"#,
            #"{"operation":"export_to_s3","format":"json","s3":{"aws_access_key_id":"k","aws_secret_access_key":"s","bucket":"b","key":"x","region":"us-east-1","endpoint":"http://127.0.0.1:1"},"search_operation":\#(search)}"#,
            // Session 12: the operations the fuzzer reached least (S3 parameters without an S3,
            // job searches, exports of other formats).
            #"{"operation":"import_from_s3","database":"dev","table":"scratch","action":"upsert","s3":{"aws_access_key_id":"k","aws_secret_access_key":"s","bucket":"b.with.dots","key":"dir/x.json","region":"eu-west-1","endpoint":"http://127.0.0.1:1"}}"#,
            #"{"operation":"import_from_s3","database":"dev","table":"scratch","s3":{"bucket":"b","key":"x"}}"#,
            #"{"operation":"export_to_s3","format":"csv","s3":{"aws_access_key_id":"k","aws_secret_access_key":"s","bucket":"b","key":"dir/y","region":"us-east-1","endpoint":"http://127.0.0.1:1"},"search_operation":{"operation":"sql","sql":"SELECT id FROM dev.dog"}}"#,
            #"{"operation":"export_local","format":"xml","path":"\#(dir)","search_operation":\#(search)}"#,
            #"{"operation":"search_jobs_by_start_date","from_date":"2099-01-01T00:00:00.000Z","to_date":"2000-01-01T00:00:00.000Z"}"#,
            #"{"operation":"get_job","id":"00000000-0000-0000-0000-000000000000"}"#,
            #"{"operation":"delete_records_before","database":"dev","table":"scratch","date":"2099-01-01T00:00:00.000Z"}"#,
        ]
        case "logs": return [
            #"{"operation":"read_log","start":0,"limit":100,"level":"error","from":"2020-01-01T00:00:00.000Z","until":"2099-01-01T00:00:00.000Z","order":"desc"}"#,
            #"{"operation":"read_log","limit":5,"log_name":"hdb.log","filter":"x"}"#,
            #"{"operation":"read_transaction_log","database":"dev","table":"dog","search_type":"timestamp","search_values":[0,99999999999999]}"#,
            #"{"operation":"read_audit_log","database":"dev","table":"dog","search_type":"hash_value","search_values":[1]}"#,
            #"{"operation":"read_audit_log","database":"dev","table":"dog","search_type":"username","search_values":["admin"]}"#,
            #"{"operation":"delete_transaction_logs_before","database":"dev","table":"scratch","timestamp":1}"#,
            #"{"operation":"delete_audit_logs_before","database":"dev","table":"scratch","timestamp":1}"#,
        ]
        case "config": return [
            #"{"operation":"get_configuration"}"#,
            #"{"operation":"set_configuration","logging_level":"warn"}"#,
            #"{"operation":"set_configuration","operationsApi_network_timeout":120000,"http_compressionThreshold":1200}"#,
            #"{"operation":"set_configuration","logging_rotation_enabled":true,"logging_rotation_maxSize":"10M","logging_rotation_interval":"1D"}"#,
            #"{"operation":"set_configuration","authentication_operationTokenTimeout":"1d","authentication_refreshTokenTimeout":"30d"}"#,
            #"{"operation":"set_configuration","storage_caching":true,"storage_compression":false,"threads_count":2}"#,
            #"{"operation":"set_configuration","operationsApi_network_requestMemory":268435456,"operationsApi_network_maxConnections":500}"#,
            #"{"operation":"set_configuration","operationsApi_network_headersTimeout":60000,"operationsApi_network_keepAliveTimeout":5000}"#,
            #"{"operation":"set_configuration","clustering_enabled":false,"clustering_nodeName":"fz","clustering_hubServer_cluster_network_port":1}"#,
            #"{"operation":"set_configuration","storage_maxTransactionQueueTime":"45s","storage_audit_retention":"3d","logging_auditAuthEvents_logFailed":true}"#,
            #"{"operation":"set_configuration","analytics_aggregatePeriod":60,"metrics_enabled":false,"localStudio_enabled":false}"#,
            #"{"operation":"set_configuration","authentication_cacheTTL":30000,"authentication_enableSessions":true,"authentication_hashFunction":"sha256"}"#,
        ]
        case "security": return [
            #"{"operation":"list_roles"}"#,
            #"{"operation":"list_users"}"#,
            #"{"operation":"user_info"}"#,
            #"{"operation":"add_role","role":"fz_role","permission":{"super_user":false,"dev":{"tables":{"dog":{"read":true,"insert":true,"update":false,"delete":false,"attribute_permissions":[{"attribute_name":"name","read":true,"insert":false,"update":false}]}}}}}"#,
            #"{"operation":"alter_role","id":"fuzz_role","role":"fuzz_role","permission":{"super_user":false,"structure_user":["dev"]}}"#,
            #"{"operation":"drop_role","id":"fz_role"}"#,
            #"{"operation":"add_user","role":"fuzz_role","username":"fz_user","password":"pw","active":true}"#,
            #"{"operation":"alter_user","username":"fuzz_user","password":"pass","active":true,"role":"fuzz_role"}"#,
            #"{"operation":"drop_user","username":"fz_user"}"#,
            #"{"operation":"create_authentication_tokens","username":"fuzz_user","password":"pass"}"#,
            #"{"operation":"refresh_operation_token","refresh_token":"eyJhbGciOiJIUzI1NiJ9.e30.x"}"#,
            #"{"operation":"create_authentication_tokens","expires_in":"2h","role":"fuzz_role"}"#,
            #"{"operation":"create_authentication_tokens","username":"admin","password":"wrong","expires_in":1}"#,
            #"{"operation":"refresh_operation_token"}"#,
            #"{"operation":"add_role","role":"fz_role2","permission":{"dev":{"tables":{"dog":{"read":true,"insert":false,"update":false,"delete":false}}},"structure_user":false}}"#,
            #"{"operation":"alter_role","id":"fuzz_role","permission":{"dev":{"tables":{"scratch":{"read":true,"insert":true,"update":true,"delete":true,"attribute_permissions":null}}}}}"#,
            #"{"operation":"add_user","role":"fuzz_role","username":"fz\u0000user","password":"pw","active":true}"#,
            #"{"operation":"login","username":"fuzz_user","password":"pass"}"#,
            #"{"operation":"logout"}"#,
        ]
        case "system": return [
            #"{"operation":"system_information","attributes":["cpu","memory","database_metrics","threads"]}"#,
            #"{"operation":"set_status","id":"primary","status":"ok"}"#,
            #"{"operation":"get_status","id":"primary"}"#,
            #"{"operation":"clear_status","id":"primary"}"#,
            #"{"operation":"registration_info"}"#,
            #"{"operation":"get_fingerprint"}"#,
            #"{"operation":"set_license","key":"k","company":"c"}"#,
            #"{"operation":"install_usage_license","license":"abc"}"#,
            #"{"operation":"get_usage_licenses","region":"x"}"#,
            #"{"operation":"get_analytics","metric":"resource-usage","start_time":0,"end_time":99999999999999,"get_attributes":["id"],"conditions":[{"attribute":"id","comparator":"greater_than","value":0}]}"#,
            #"{"operation":"list_metrics","metric_types":["builtin","custom"]}"#,
            #"{"operation":"describe_metric","metric":"resource-usage"}"#,
            #"{"operation":"get_backup","database":"dev","table":"dog"}"#,
            #"{"operation":"get_backup","database":"dev"}"#,
            #"{"operation":"get_backup","database":"system","table":"hdb_user"}"#,
        ]
        case "cluster": return [
            #"{"operation":"cluster_status"}"#,
            #"{"operation":"cluster_network","timeout":100,"connected_nodes":true,"routes":true}"#,
            #"{"operation":"add_node","node_name":"n2","subscriptions":[{"database":"dev","table":"dog","subscribe":true,"publish":true}]}"#,
            #"{"operation":"update_node","node_name":"n2","subscriptions":[{"schema":"dev","table":"dog","subscribe":false,"publish":true,"start_time":"2020-01-01T00:00:00Z"}]}"#,
            #"{"operation":"set_node_replication","node_name":"n2","subscriptions":[{"database":"dev","table":"dog","subscribe":true,"publish":true}]}"#,
            #"{"operation":"remove_node","node_name":"n2"}"#,
            #"{"operation":"configure_cluster","connections":[{"node_name":"n2","subscriptions":[{"schema":"dev","table":"dog","subscribe":true,"publish":true}]}]}"#,
            #"{"operation":"cluster_set_routes","server":"hub","routes":[{"host":"127.0.0.1","port":1}]}"#,
            #"{"operation":"cluster_get_routes"}"#,
            #"{"operation":"cluster_delete_routes","routes":[{"host":"127.0.0.1","port":1}]}"#,
            #"{"operation":"purge_stream","database":"dev","table":"scratch"}"#,
            #"{"operation":"catchup","channel":"dev.dog","start":"2020-01-01T00:00:00Z","end":"2030-01-01T00:00:00Z"}"#,
            #"{"operation":"cluster_network","timeout":-1}"#,
            #"{"operation":"configure_cluster","connections":[]}"#,
            #"{"operation":"cluster_set_routes","server":"leaf","routes":[{"host":"::1","port":65536}]}"#,
        ]
        default: return [  // misc: P2 surfaces and unknown operations
            #"{"operation":"get_components"}"#,
            #"{"operation":"add_component","project":"fzproject"}"#,
            #"{"operation":"get_component_file","project":"fzproject","file":"config.yaml"}"#,
            #"{"operation":"custom_functions_status"}"#,
            #"{"operation":"get_custom_functions"}"#,
            #"{"operation":"list_ssh_keys"}"#,
            #"{"operation":"list_certificates"}"#,
            #"{"operation":"list_waf_rules"}"#,
            #"{"operation":"no_such_operation"}"#,
            #"{"operation":"search_by_id","database":"system","table":"hdb_user","ids":["admin"],"get_attributes":["*"]}"#,
            #"{"operation":"describe_table","database":"system","table":"hdb_job"}"#,
        ]
        }
    }

    // MARK: SQL

    func sqlStatement() -> String {
        let statements = [
            "SELECT * FROM dev.dog", "SELECT id, name FROM dev.dog WHERE id = 1",
            "SELECT name, COUNT(*) AS c FROM dev.dog GROUP BY name HAVING COUNT(*) > 0 ORDER BY c DESC LIMIT 10 OFFSET 1",
            "SELECT d.id, s.a FROM dev.dog AS d LEFT JOIN dev.scratch AS s ON d.id = s.id",
            "SELECT * FROM dev.dog WHERE name LIKE 'P%' AND age BETWEEN 1 AND 10 OR id IN (1, 2, 3)",
            "SELECT * FROM dev.dog WHERE age BETWEEN 10 AND 1", "SELECT * FROM dev.dog WHERE id > 5 AND id < 1",
            "INSERT INTO dev.scratch (id, a) VALUES (100, 'x'), (101, NULL)",
            "UPDATE dev.scratch SET a = 'y' WHERE id = 100", "DELETE FROM dev.scratch WHERE id = 101",
            "SELECT SEARCH_JSON('$[0]', tags) AS t FROM dev.dog",
            "SELECT DATE_FORMAT(NOW(), 'YYYY-MM-DD') AS d, DATE_ADD(NOW(), 1, 'days') AS e",
            "SELECT CAST(age AS STRING) AS s, ROUND(age / 3, 2) AS r, ABS(-age) AS a FROM dev.dog",
            "SELECT * FROM dev.dog WHERE name REGEXP '^P.*'", "SELECT CONCAT(name, '!') AS n FROM dev.dog ORDER BY 1",
            "SELECT DISTINCT age FROM dev.dog", "SELECT * FROM (SELECT id FROM dev.dog) AS sub",
            "SELECT geoDistance('[0,0]', '[1,1]') AS d", "SELECT * FROM system.hdb_user",
            "SELECT age, AVG(age), MIN(name), MAX(id), SUM(age) FROM dev.dog GROUP BY age",
            "SELECT CASE WHEN age > 5 THEN 'old' ELSE 'young' END AS c FROM dev.dog",
        ]
        let tokens = ["(", ")", ",", "'", "\"", "`", "[", "]", "*", "+", "-", "/", "%", "=", "<>", "!=", "<=", ">=", "||",
                      "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "IS", "NULL", "LIKE", "BETWEEN", "GROUP BY",
                      "ORDER BY", "HAVING", "LIMIT", "OFFSET", "JOIN", "ON", "AS", "UNION", "CASE", "WHEN", "THEN", "END",
                      "COUNT(", "SUM(", "ABS(", "ROUND(", "SUBSTRING(", "DATE_ADD(", "DATE_DIFF(", "SEARCH_JSON(", "CAST(",
                      "REGEXP", "geoArea(", "geoContains(", "1", "-1", "0", "1e309", "99999999999999999999999", "0.5",
                      "'x'", "'", "''", "dev.dog", "dev.", ".dog", "id", "name", "`weird id`", "[br acket]", "@", "?", ";",
                      "--", "/*", "*/", "\u{0}", "é", "😀", "-9223372036854775808", "DESC", "DISTINCT", "TRUE", "FALSE"]
        switch below(12) {
        case 0:
            let n = pick([100, 255, 257, 1_000, 20_000])
            return "SELECT " + String(repeating: "(", count: n) + "1" + String(repeating: ")", count: chance(70) ? n : n / 2)
        case 1:
            let n = pick([1_000, 2_000])  // longer lists over the CSV rows are slow: docs/fuzzing.md
            return "SELECT * FROM dev.dog WHERE id IN (" + (0..<n).map { String($0) }.joined(separator: ",") + ")"
        case 2: return pick(["SELECT 'unterminated", "SELECT * FROM dev.dog WHERE name = 'x", "SELECT `a", "SELECT [a", "SELECT \"a",
                             "SELECT /* open", "SELECT 1 --", "", " ", ";", "SELECT", "SELECT * FROM", "SELECT * FROM dev.",
                             "SELECT * FROM dev.dog WHERE", "SELECT * FROM dev.dog ORDER BY", "SELECT * FROM dev.dog LIMIT",
                             "SELECT * FROM dev.dog LIMIT -1", "SELECT * FROM dev.dog LIMIT 1e309 OFFSET -5",
                             "SELECT * FROM dev.dog LIMIT 99999999999999999999", "SELECT 1/0 AS x, 1%0 AS y",
                             "SELECT -9223372036854775808 - 1 AS x", "SELECT 9223372036854775807 * 2 AS x",
                             "SELECT * FROM dev.dog ORDER BY 99", "SELECT * FROM dev.dog GROUP BY 0",
                             "SELECT ABS() AS x", "SELECT ROUND(1, 2, 3, 4) AS x", "SELECT SUBSTRING('abc', -5, -1) AS x",
                             "SELECT REPEAT('a', 1000000000) AS x", "SELECT LPAD('a', 2000000000, 'b') AS x",
                             "SELECT DATE_ADD(NOW(), 1e308, 'years') AS x", "SELECT DATE_FORMAT(1e308, 'YYYY') AS x",
                             "SELECT DATE_SUB('garbage', 1, 'days') AS x", "SELECT CAST('x' AS NUMBER) AS x",
                             "SELECT * FROM dev.dog WHERE name REGEXP '('", "SELECT * FROM dev.dog WHERE name REGEXP '(a*)*b'",
                             "SELECT * FROM dev.dog WHERE name LIKE '[' ", "SELECT SEARCH_JSON('', name) AS x FROM dev.dog",
                             "SELECT SEARCH_JSON('$$$$', name) AS x FROM dev.dog", "SELECT SEARCH_JSON(1, 2) AS x",
                             "INSERT INTO dev.scratch (id) VALUES", "INSERT INTO dev.scratch VALUES (1)",
                             "INSERT INTO dev.scratch (id, id) VALUES (7, 8)", "UPDATE dev.scratch SET", "DELETE FROM dev.scratch WHERE",
                             "UPDATE dev.dog SET id = 999 WHERE id = 1", "DELETE FROM system.hdb_user",
                             "SELECT * FROM dev.dog WHERE id = 1 UNION SELECT * FROM dev.scratch",
                             "SELECT * FROM dev.dog AS a, dev.dog AS b, dev.dog AS c, dev.dog AS d, dev.dog AS e",
                             "SELECT COUNT(DISTINCT *) FROM dev.dog", "SELECT * FROM `dev`.`dog` WHERE `id` = 1",
                             "SELECT * FROM dev.dog WHERE id = ?", "SELECT @@version", "SELECT name.x.y.z FROM dev.dog",
                             "CREATE TABLE dev.x (id INT)", "DROP TABLE dev.dog", "SELECT " + String(repeating: "a", count: 100_000)])
        case 3:
            let n = pick([30, 300, 5_000])
            return "SELECT * FROM dev.dog WHERE " + (0..<n).map { "id = \($0)" }.joined(separator: pick([" OR ", " AND ", " + ", " = "]))
        case 4:
            return "SELECT " + (0..<(1 + below(30))).map { _ in pick(tokens) }.joined(separator: " ")
        default:
            var words = pick(statements).split(separator: " ").map(String.init)
            for _ in 0..<(1 + below(4)) {
                let i = below(words.count + 1)
                switch below(4) {
                case 0 where !words.isEmpty: words.remove(at: min(i, words.count - 1))
                case 1 where !words.isEmpty: words[min(i, words.count - 1)] = pick(tokens)
                case 2 where !words.isEmpty: words.insert(words[min(i, words.count - 1)], at: i)
                default: words.insert(pick(tokens), at: i)
                }
            }
            return words.joined(separator: chance(80) ? " " : "")
        }
    }

    // MARK: Conditions

    func condition(depth: Int) -> String {
        if depth > 0, chance(40) {
            let inner = (0..<(1 + below(3))).map { _ in condition(depth: depth - 1) }.joined(separator: ",")
            return #"{"operator":\#(pick([#""and""#, #""or""#, #""xor""#, "1", "null", #""AND""#])),"conditions":[\#(inner)]}"#
        }
        let comparator = pick(["equals", "contains", "starts_with", "ends_with", "greater_than", "greater_than_equal",
                               "less_than", "less_than_equal", "between", "not_equal", "ne", "gt", "lt", "=", "like", "", "sql"])
        let value: String
        switch comparator {
        case "between": value = pick(["[5,1]", "[1,5]", "[1]", "[]", "[null,null]", #"["a",1]"#, "5", #"["z","a"]"#])
        default: value = randomNode().text
        }
        let attribute = pick([#""id""#, #""name""#, #""age""#, #""tags""#, #""missing""#, #""""#, "1", "null", #"["a"]"#, #""id.x""#])
        return #"{"attribute":\#(attribute),"search_attribute":\#(attribute),"comparator":"\#(comparator)","search_type":"\#(comparator)","value":\#(value),"search_value":\#(value)}"#
    }

    func conditionsRequest() -> String {
        let depth = pick([0, 1, 3, 6, 99, 101, 300])
        var conditions: String
        if depth > 50 {
            conditions = #"{"attribute":"id","comparator":"equals","value":1}"#
            for _ in 0..<depth { conditions = #"{"operator":"or","conditions":[\#(conditions)]}"# }
        } else {
            conditions = (0..<(1 + below(3))).map { _ in condition(depth: depth) }.joined(separator: ",")
        }
        let extras = pick(["", #","operator":"or""#, #","operator":"xor""#, #","limit":-1"#, #","offset":1e309"#,
                           #","sort":{"attribute":"missing","descending":"yes"}"#, #","sort":{"attribute":"age","next":{"attribute":"name"}}"#,
                           #","limit":0,"offset":99999999999"#, #","get_attributes":[]"#])
        return #"{"operation":"\#(pick(["search_by_conditions", "search_by_conditions", "get_analytics"]))","database":"dev","table":"dog","metric":"resource-usage","get_attributes":["*"],"conditions":[\#(conditions)]\#(extras)}"#
    }

    // MARK: CSV

    func csvText() -> String {
        switch below(8) {
        case 0: return pick(["", "\n", "\r\n", "id", "id\n", "\u{FEFF}id,name\n1,a\n", ",\n,\n", "\"", "\"id", "id,\"name\n1,\"a",
                             "id,name\r1,a\r2,b", "id,id\n1,2\n", ",,,\n1,2,3\n", "id,name\n1,\"a\"\"b\"\"\"\n",
                             "id,name\n\"1\n2\",x\n", "id\u{0},name\n1,a\n", "id,name\n1,a\u{0}b\n", "id;name\n1;a\n",
                             "id,name\n1," + String(repeating: "z", count: 200_000) + "\n"])
        case 1:
            let columns = pick([1_000, 5_000])
            return (0..<columns).map { "c\($0)" }.joined(separator: ",") + "\n" + (0..<columns).map(String.init).joined(separator: ",") + "\n"
        case 2:
            return "id,name,age\n" + (0..<pick([5_000, 20_000])).map { "\($0 + 1_000),n\($0),\($0 % 20)" }.joined(separator: "\n")
        default:
            var rows = ["id,name,age,data"]
            let cells = ["1", "-1", "1e309", "NaN", "true", "null", "", "\"q\"", "\"a,b\"", "\"x\"\"y\"", "\"open", "close\"",
                         "[1,2]", "{\"a\":1}", "{bad", "2026-01-01T00:00:00Z", "😀", "é", " 5 ", "0x1F", "99999999999999999999",
                         "\"line\nbreak\"", "a\"b", "\u{7F}"]
            for _ in 0..<(1 + below(8)) {
                rows.append((0..<below(7)).map { _ in pick(cells) }.joined(separator: pick([",", ",", ",", ";", "\t"])))
            }
            return rows.joined(separator: pick(["\n", "\r\n", "\r"])) + (chance(50) ? "\n" : "")
        }
    }

}
