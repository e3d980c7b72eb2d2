import Foundation
import LyreCore
import LyreOperations
import LyreTestSupport
import Testing

@Suite struct ConfigurationTests {
    static let setMessage = #"{"message":"Configuration successfully set. You must restart HarperDB for new config settings to take effect."}"#

    @Test func getConfigurationHasHarpersKeyTree() async throws {
        let h = try Harness()
        let r = await h.post(#"{"operation":"get_configuration"}"#)
        #expect(r.status == 200)
        let c = r.json
        #expect(c["rootPath"] == .string(h.root))
        #expect(c["componentsRoot"] == .string(h.root + "/components"))
        #expect(c["operationsApi"]?["network"]?["port"] == 9925)
        #expect(c["logging"]?["level"] == "warn")
        #expect(c["logging"]?["root"] == .string(h.root + "/log"))
        #expect(c["logging"]?["auditLog"] == true)
        #expect(c["logging"]?["rotation"]?["maxSize"] == .null)
        #expect(c["localStudio"]?["enabled"] == true)
        #expect(c["authentication"]?["authorizeLocal"] == false)
        #expect(c["authentication"]?["operationTokenTimeout"] == "1d")
        #expect(c["threads"]?["count"]?.isNumber == true)
        #expect(c["clustering"]?["enabled"] == false)
        #expect(c["http"]?["corsAccessList"] == [nil])
        for key in ["http", "threads", "authentication", "analytics", "componentsRoot", "localStudio", "logging", "mqtt",
                    "operationsApi", "rootPath", "storage", "tls", "replication"] {
            #expect(c[key] != nil, "missing \(key)")
        }
    }

    @Test func setConfigurationWritesFlattenedKeysAndKeepsABackup() async throws {
        let h = try Harness()
        try ConfigurationFile.writeDefaultsIfMissing(root: h.root)
        let r = await h.post(#"{"operation":"set_configuration","logging_level":"trace","LOGGING_ROTATION_MAXSIZE":"12M","clustering_enabled":"true","log_to_file":"false","operationsApi_network_port":"9935","unknown_key":1}"#)
        #expect(r.status == 200)
        #expect(r.text == Self.setMessage)
        let c = await h.post(#"{"operation":"get_configuration"}"#).json
        #expect(c["logging"]?["level"] == "trace")
        #expect(c["logging"]?["rotation"]?["maxSize"] == "12M")
        #expect(c["clustering"]?["enabled"] == true)
        #expect(c["logging"]?["file"] == false)
        #expect(c["operationsApi"]?["network"]?["port"] == 9935)
        #expect(c["unknown"] == nil && c["unknown_key"] == nil)
        let backups = try FileManager.default.contentsOfDirectory(atPath: h.root + "/backup")
        #expect(backups.count == 1)
        // The YAML file is what is stored.
        let text = try String(contentsOfFile: h.root + "/harperdb-config.yaml", encoding: .utf8)
        #expect(text.contains("level: \"trace\"") || text.contains("level: trace"))
    }

    @Test func invalidValuesAreRejectedAndTheFileIsUntouched() async throws {
        let h = try Harness()
        try ConfigurationFile.writeDefaultsIfMissing(root: h.root)
        let before = try Data(contentsOf: URL(fileURLWithPath: h.root + "/harperdb-config.yaml"))
        let cases: [(String, String)] = [
            (#""http_cors":"spinach""#, "HarperDB config file validation error: 'http.cors' must be a boolean"),
            (#""logging_rotation_maxSize":"12Q""#, "HarperDB config file validation error: Invalid logging.rotation.maxSize unit. Available units are G, M or K"),
            (#""logging_rotation_maxSize":"big""#, "HarperDB config file validation error: Invalid logging.rotation.maxSize value. Value should be a number followed by unit e.g. '10M'"),
            (#""logging_rotation_interval":"3W""#, "HarperDB config file validation error: Invalid logging.rotation.interval unit. Available units are D, H or M (minutes)"),
            (#""logging_rotation_interval":"x""#, "HarperDB config file validation error: Invalid logging.rotation.interval value. Value should be a number followed by unit e.g. '10D'"),
            (#""logging_level":"loud""#, "HarperDB config file validation error: 'logging.level' must be one of [notify, fatal, error, warn, info, debug, trace]"),
            (#""threads_count":5000"#, "HarperDB config file validation error: 'threads.count' must be less than or equal to 1000"),
            (#""operationsApi_network_port":-1"#, "HarperDB config file validation error: 'operationsApi.network.port' must be greater than or equal to 0"),
        ]
        for (field, message) in cases {
            let r = await h.post(#"{"operation":"set_configuration",\#(field)}"#)
            #expect(r.status == 400)
            #expect(r.json == .object(JSONObject([("error", .string(message))])))
        }
        let after = try Data(contentsOf: URL(fileURLWithPath: h.root + "/harperdb-config.yaml"))
        #expect(before == after)
        #expect(!FileManager.default.fileExists(atPath: h.root + "/backup"))
    }

    @Test func legacyAliasesAndSecurePortRule() async throws {
        let h = try Harness()
        _ = await h.post(#"{"operation":"set_configuration","log_level":"error","server_port":9999,"operation_token_timeout":"2d"}"#)
        _ = await h.post(#"{"operation":"set_configuration","operationsApi_network_securePort":9999}"#)
        let c = await h.post(#"{"operation":"get_configuration"}"#).json
        #expect(c["logging"]?["level"] == "error")
        #expect(c["authentication"]?["operationTokenTimeout"] == "2d")
        #expect(c["operationsApi"]?["network"]?["securePort"] == 9999)
        #expect(c["operationsApi"]?["network"]?["port"] == .null)
    }

    @Test func fileAndEnvironmentMapOntoConfiguration() throws {
        let root = TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var tree = ConfigurationFile.defaults(root: root)
        var logging = tree["logging"]!.objectValue!
        logging["level"] = "debug"
        logging["auditLog"] = false
        tree["logging"] = .object(logging)
        try ConfigurationFile.write(tree, root: root, keepBackup: false)
        var configuration = Configuration(root: root, port: 1)
        configuration.environment = ["OPERATIONSAPI_NETWORK_PORT": "9800", "AUTHENTICATION_AUTHORIZELOCAL": "true", "PATH": "/bin"]
        try ConfigurationFile.apply(to: &configuration)
        #expect(configuration.logLevel == "debug")
        #expect(!configuration.auditLog)
        #expect(configuration.port == 9800)
        #expect(configuration.authorizeLocal)
        #expect(configuration.operationTokenTimeout == "1d")
        #expect(configuration.logDirectory == root + "/log")
    }

    @Test func environmentOverridesAreTheConfigurationGetConfigurationShows() async throws {
        let root = TestApplication.temporaryRoot()
        try ConfigurationFile.writeDefaultsIfMissing(root: root)
        let environment = ["LOGGING_LEVEL": "debug", "logging_rotation_interval": "12h", "OPERATIONSAPI_NETWORK_PORT": "9800",
                           "LOGGING_ROTATION_COMPRESS": "true", "HOME": "/root"]
        var configuration = Configuration(root: root, port: 0)
        configuration.environment = environment
        try ConfigurationFile.apply(to: &configuration)
        #expect(configuration.logLevel == "debug")
        #expect(configuration.logRotationInterval == 43_200)
        #expect(configuration.logRotationCompress)
        #expect(configuration.port == 9800)

        let h = try Harness(root: root) { $0.environment = environment }
        let c = await h.post(#"{"operation":"get_configuration"}"#).json
        #expect(c["logging"]?["level"] == "debug")
        #expect(c["logging"]?["rotation"]?["interval"] == "12h")
        #expect(c["logging"]?["rotation"]?["compress"] == true)
        #expect(c["operationsApi"]?["network"]?["port"] == 9800)
        #expect(c["HOME"] == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/backup").count == 1)

        // Applying the same environment again changes nothing, so no new backup.
        try ConfigurationFile.apply(to: &configuration)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/backup").count == 1)

        // set_configuration is shown at once; a restart applies the environment again (as Harper's start does).
        _ = await h.post(#"{"operation":"set_configuration","logging_level":"error"}"#)
        #expect(await h.post(#"{"operation":"get_configuration"}"#).json["logging"]?["level"] == "error")
        _ = await h.post(#"{"operation":"restart"}"#)
        var events = h.app.events.makeAsyncIterator()
        _ = await events.next()
        #expect(await h.post(#"{"operation":"get_configuration"}"#).json["logging"]?["level"] == "debug")
        #expect(h.app.configuration.logLevel == "debug")
    }

    @Test func anInvalidEnvironmentOverrideWritesNothing() throws {
        let root = TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try ConfigurationFile.writeDefaultsIfMissing(root: root)
        let before = try Data(contentsOf: URL(fileURLWithPath: root + "/harperdb-config.yaml"))
        var configuration = Configuration(root: root)
        configuration.environment = ["LOGGING_LEVEL": "loud", "LOGGING_ROTATION_INTERVAL": "2W"]
        #expect(throws: LyreError.self) { try ConfigurationFile.apply(to: &configuration) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: root + "/harperdb-config.yaml")) == before)
    }

    @Test func rotationSettingsMapOntoConfiguration() throws {
        let root = TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var configuration = Configuration(root: root)
        configuration.environment = ["LOGGING_ROTATION_INTERVAL": "1D", "LOGGING_ROTATION_MAXSIZE": "10m",
                                     "LOGGING_ROTATION_COMPRESS": "true"]
        try ConfigurationFile.apply(to: &configuration)
        #expect(configuration.logRotationInterval == 86_400)
        #expect(configuration.logRotationMaxBytes == 10 * 1024 * 1024)
        #expect(configuration.logRotationCompress)
        configuration.environment["LOGGING_ROTATION_ENABLED"] = "false"
        try ConfigurationFile.apply(to: &configuration)
        #expect(configuration.logRotationInterval == nil && configuration.logRotationMaxBytes == nil)
        #expect(!configuration.logRotationCompress)
    }

    @Test func restartAnswersFirstThenReloadsAndAnnounces() async throws {
        let h = try Harness()
        _ = await h.post(#"{"operation":"set_configuration","logging_level":"info","logging_auditLog":false}"#)
        #expect(h.app.configuration.logLevel == "warn")
        let r = await h.post(#"{"operation":"restart"}"#)
        #expect(r.status == 200)
        #expect(r.text == #"{"message":"Restarting HarperDB. This may take up to 60 seconds."}"#)
        #expect(h.header("Connection", in: r) == "close")
        var iterator = h.app.events.makeAsyncIterator()
        guard case .restart(let configuration)? = await iterator.next() else {
            Issue.record("no restart event")
            return
        }
        #expect(configuration.logLevel == "info")
        #expect(!configuration.auditLog)
        #expect(h.app.configuration.logLevel == "info")
        // Data and the application survive: it answers again.
        #expect(await h.post(#"{"operation":"describe_all"}"#).status == 200)
    }

    @Test func restartService() async throws {
        let h = try Harness()
        let r = await h.post(#"{"operation":"restart_service","service":"http_workers"}"#)
        #expect(r.status == 200)
        #expect(r.json["message"] == "Restarting http_workers")
        #expect(h.header("Connection", in: r) == "close")
        var iterator = h.app.events.makeAsyncIterator()
        guard case .restartService(let service, _)? = await iterator.next() else {
            Issue.record("no restart event")
            return
        }
        #expect(service == "http_workers")
        let bad = await h.post(#"{"operation":"restart_service","service":"dns"}"#)
        #expect(bad.status == 400 && bad.text == #"{"error":"Invalid service"}"#)
    }

    /// `logging.auditRetention` read as Harper's `convertToMS` reads it (inferred from its
    /// source): numbers are seconds, `M` months of 30 days, `d` days, `h` hours, `m` minutes.
    @Test func auditRetentionTakesHarpersDurations_inferred() async throws {
        let h = try Harness()
        try ConfigurationFile.writeDefaultsIfMissing(root: h.root)
        #expect(try h.app.reloadConfiguration().auditRetentionMilliseconds == 3 * 86_400_000)
        let cases: [(String, Double)] = [
            (#""3d""#, 259_200_000), (#""12h""#, 43_200_000), (#""30m""#, 1_800_000), (#""1M""#, 2_592_000_000),
            ("90", 90_000), (#""45s""#, 45_000), (#""2.5h""#, 9_000_000),
        ]
        for (value, milliseconds) in cases {
            let r = await h.post(#"{"operation":"set_configuration","logging_auditRetention":\#(value)}"#)
            #expect(r.status == 200, "\(value): \(r)")
            #expect(try h.app.reloadConfiguration().auditRetentionMilliseconds == milliseconds, "\(value)")
        }
        for value in [#""soon""#, "-5", #""3w""#, "true"] {
            let r = await h.post(#"{"operation":"set_configuration","logging_auditRetention":\#(value)}"#)
            #expect(r.status == 400, "\(value): \(r)")
        }
    }
}
