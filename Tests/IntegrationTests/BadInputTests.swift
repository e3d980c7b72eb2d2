import Foundation
import LyreCore
import LyreTestSupport
import Testing

/// Bad input that used to be accepted: refused with a 4xx and the spec's (or Lyre's documented)
/// text, writing nothing (docs/compatibility.md, "Bad input refused up front").
@Suite struct BadInputTests {
    /// Every path parameter with a NUL byte: a 400 naming the parameter, before anything is read or written.
    @Test func nulBytesInPathParameters() async throws {
        let lyre = try await TestServer()
        let folder = TestApplication.temporaryRoot()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        _ = await lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#)
        _ = await lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":1}]}"#)
        let search = #""search_operation":{"operation":"search_by_id","database":"dev","table":"dog","ids":[1]}"#
        let cases: [(String, String)] = [
            (#"{"operation":"export_local","format":"json","path":"\#(folder)","filename":"out\u0000.sh",\#(search)}"#, "filename"),
            (#"{"operation":"export_local","format":"csv","path":"\#(folder)\u0000/x",\#(search)}"#, "path"),
            (#"{"operation":"csv_file_load","database":"dev","table":"dog","file_path":"\#(folder)/dogs.csv\u0000.txt"}"#, "file_path"),
            (#"{"operation":"read_log","log_name":"hdb.log\u0000"}"#, "log_name"),
            (#"{"operation":"set_configuration","logging_root":"\#(folder)\u0000x"}"#, "logging_root"),
            (#"{"operation":"set_configuration","TLS_CERTIFICATE":"\#(folder)/cert\u0000.pem"}"#, "TLS_CERTIFICATE"),
            (#"{"operation":"set_configuration","databases":[{"dev":{"path":"\#(folder)/\u0000"}}]}"#, "databases"),
        ]
        for (request, parameter) in cases {
            let r = await lyre.post(request)
            #expect(r.status == 400, "\(request)")
            #expect(r.text == #"{"error":"'\#(parameter)' must not contain null bytes"}"#, "\(request)")
        }
        // Nothing was written: no export file, no job, the configuration unchanged.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == [])
        let jobs = await lyre.post(#"{"operation":"search_jobs_by_start_date","from_date":"2000-01-01","to_date":"2100-01-01"}"#)
        #expect(jobs.text == "[]")
        let configuration = await lyre.post(#"{"operation":"get_configuration"}"#).json
        #expect(configuration["logging"]?["root"] == .string(lyre.lyre.root + "/log"))
        #expect(configuration["databases"] == nil)
        // The same requests without the NUL byte are fine.
        let export = await lyre.post(#"{"operation":"export_local","format":"json","path":"\#(folder)","filename":"out",\#(search)}"#)
        #expect(export.status == 200)
    }

    /// `set_configuration` checks every known parameter's type before writing: an object is a
    /// wrong type for each of them (`logging_level: {...}` was once written and "successfully set").
    @Test func setConfigurationRefusesAWrongTypeForEveryKnownKey() async throws {
        let lyre = try await TestServer()
        #expect(await lyre.post(#"{"operation":"set_configuration","logging_level":"info"}"#).status == 200)
        let file = lyre.lyre.root + "/harperdb-config.yaml"
        let before = try Data(contentsOf: URL(fileURLWithPath: file))
        var leaves: [[String]] = []
        func walk(_ value: Value, _ path: [String]) {
            if case .object(let object) = value, path != ["databases"] {
                for entry in object { walk(entry.value, path + [entry.key]) }
            } else {
                leaves.append(path)
            }
        }
        walk(await lyre.post(#"{"operation":"get_configuration"}"#).json, [])
        #expect(leaves.count > 60)
        for path in leaves {
            let flat = path.joined(separator: "_"), dotted = path.joined(separator: ".")
            let r = await lyre.post(#"{"operation":"set_configuration","\#(flat)":{"nested":"object"}}"#)
            #expect(r.status == 400, "\(flat): \(r)")
            #expect(r.json["error"]?.stringValue?.hasPrefix("HarperDB config file validation error: '\(dotted)' must ") == true, "\(flat): \(r)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == before)
    }

    /// One wrong value of each kind of parameter, with the exact text; several problems are joined.
    @Test(arguments: [
        (#""logging_level":{"level":"trace"}"#, "'logging.level' must be one of [notify, fatal, error, warn, info, debug, trace]"),
        (#""logging_level":null"#, "'logging.level' must be one of [notify, fatal, error, warn, info, debug, trace]"),
        (#""clustering_logLevel":5"#, "'clustering.logLevel' must be one of [notify, fatal, error, warn, info, debug, trace]"),
        (#""authentication_hashFunction":"md5""#, "'authentication.hashFunction' must be one of [sha256, argon2id]"),
        (#""logging_file":"maybe""#, "'logging.file' must be a boolean"),
        (#""localStudio_enabled":[true]"#, "'localStudio.enabled' must be a boolean"),
        (#""authentication_cacheTTL":true"#, "'authentication.cacheTTL' must be a number"),
        (#""http_keepAliveTimeout":"slow""#, "'http.keepAliveTimeout' must be a number"),
        (#""operationsApi_network_timeout":0"#, "'operationsApi.network.timeout' must be greater than or equal to 1"),
        (#""clustering_leafServer_streams_maxAge":60"#, "'clustering.leafServer.streams.maxAge' must be greater than or equal to 120"),
        (#""threads_count":"many""#, "'threads.count' must be a number"),
        (#""operationsApi_network_requestMemory":1000"#, "'operationsApi.network.requestMemory' must be greater than or equal to 1048576"),
        (#""storage_maxTransactionQueueTime":"soon""#, "'storage.maxTransactionQueueTime' must be a number of milliseconds or a duration such as '45s', '500ms' or '2m'"),
        (#""http_port":[9926]"#, "'http.port' must be a number"),
        (#""authentication_operationTokenTimeout":false"#, "'authentication.operationTokenTimeout' must be one of [string, number]"),
        (#""replication_databases":7"#, "'replication.databases' must be one of [string, array]"),
        (#""operationsApi_network_corsAccessList":"*""#, "'operationsApi.network.corsAccessList' must be an array"),
        (#""replication_hostname":false"#, "'replication.hostname' must be a string"),
        (#""logging_root":"""#, "'logging.root' must be a string"),
        (#""tls_privateKey":12"#, "'tls.privateKey' must be a string"),
        (#""logging_rotation_maxSize":10"#, "'logging.rotation.maxSize' must be a string"),
        // In the file's order (threads before logging).
        (#""logging_auditLog":"sometimes","threads_count":5000"#, "'threads.count' must be less than or equal to 1000. 'logging.auditLog' must be a boolean"),
    ])
    func setConfigurationTypes(field: String, message: String) async throws {
        let lyre = try await TestServer()
        #expect(await lyre.post(#"{"operation":"set_configuration","logging_level":"info"}"#).status == 200)
        let before = await lyre.post(#"{"operation":"get_configuration"}"#).text
        let r = await lyre.post(#"{"operation":"set_configuration",\#(field)}"#)
        #expect(r.status == 400)
        #expect(r.text == JSON.string(["error": .string("HarperDB config file validation error: " + message)]))
        #expect(await lyre.post(#"{"operation":"get_configuration"}"#).text == before)
    }

    /// Right types of every kind are still accepted (numbers as text, null for a default).
    @Test func setConfigurationAcceptsRightTypes() async throws {
        let lyre = try await TestServer()
        let r = await lyre.post(#"{"operation":"set_configuration","logging_level":"debug","logging_file":"true","authentication_cacheTTL":"5000","operationsApi_network_timeout":1,"authentication_operationTokenTimeout":3600,"replication_databases":["dev"],"http_corsAccessList":["*"],"replication_hostname":"node1","tls_certificate":null,"clustering_leafServer_streams_maxAge":120}"#)
        #expect(r.status == 200, "\(r)")
        let c = await lyre.post(#"{"operation":"get_configuration"}"#).json
        #expect(c["logging"]?["level"] == "debug" && c["authentication"]?["cacheTTL"] == 5000)
        #expect(c["authentication"]?["operationTokenTimeout"] == 3600 && c["replication"]?["databases"] == ["dev"])
    }

    /// `primary_key: null` (or `hash_attribute: null`) is a missing primary key.
    @Test func createTableWithNullPrimaryKey() async throws {
        let lyre = try await TestServer()
        for request in [
            #"{"operation":"create_table","database":"dev","table":"dog","primary_key":null}"#,
            #"{"operation":"create_table","database":"dev","table":"dog","hash_attribute":null}"#,
            #"{"operation":"create_table","database":"dev","table":"dog","primary_key":null,"hash_attribute":null}"#,
        ] {
            let r = await lyre.post(request)
            #expect(r.status == 400, "\(request)")
            #expect(r.text == #"{"error":"'primary_key' is required"}"#, "\(request)")
        }
        let described = await lyre.post(#"{"operation":"describe_table","database":"dev","table":"dog"}"#)
        #expect(described.status == 404)
    }
}
