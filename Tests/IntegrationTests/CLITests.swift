import Foundation
import LyreCore
import LyreTestSupport
import Testing

/// The `lyre` command line, run as the real binary: `start` / `status` / `stop` on a
/// temporary root, and `lyre <operation> key=value ...` against the started server.
@Suite(.serialized) struct CLITests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
        var json: Value? { try? JSON.parse(stdout) }
    }

    /// Runs `lyre arguments` to completion. Output goes through files, not pipes: the
    /// server `lyre start` leaves behind must not keep a reader waiting.
    static func lyre(_ arguments: [String], environment extra: [String: String] = [:]) throws -> Run {
        var environment = ProcessInfo.processInfo.environment
        for name in ["CLI_TARGET", "LYRE_URL", "CLI_TARGET_USERNAME", "CLI_TARGET_PASSWORD", "LYRE_ROOT"] {
            environment[name] = nil
        }
        environment["HDB_ADMIN_USERNAME"] = TestApplication.adminUsername
        environment["HDB_ADMIN_PASSWORD"] = TestApplication.adminPassword
        environment.merge(extra) { $1 }
        let result = try Subprocess.runBlocking([try LyreProcess.executable().path] + arguments,
                                                environment: environment, separateErrors: true)
        return Run(status: result.status, stdout: result.output, stderr: result.errors)
    }

    @Test func startOperateStop() throws {
        let root = TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let port = LyreProcess.freePort()
        let url = "http://127.0.0.1:\(port)"

        let before = try Self.lyre(["status", "--root", root])
        #expect(before.status == 1)
        #expect(before.stdout.hasPrefix("not running"))

        let start = try Self.lyre(["start", "--root", root, "--port", String(port)])
        defer { _ = try? Self.lyre(["stop", "--root", root]) }
        try #require(start.status == 0, "lyre start failed: \(start.stderr)")
        #expect(start.stdout == url + "\n")
        let pidText = try String(contentsOfFile: root + "/lyre.pid", encoding: .utf8)
        let pid = try #require(Int32(pidText.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(kill(pid, 0) == 0)
        #expect(FileManager.default.fileExists(atPath: root + "/log/lyre-stdout.log"))

        let status = try Self.lyre(["status", "--root", root])
        #expect(status.status == 0)
        #expect(status.stdout.hasPrefix("running \(url) (pid \(pid)"))

        let again = try Self.lyre(["start", "--root", root, "--port", String(LyreProcess.freePort())])
        #expect(again.status == 1)
        #expect(again.stderr.contains("already running (pid \(pid)"))

        // Operations: the name right after `lyre`, parameters as key=value.
        let created = try Self.lyre(["create_database", "database=dev", "--url", url])
        #expect(created.status == 0, "\(created.stdout) \(created.stderr)")
        #expect(created.json?["message"] == "database 'dev' successfully created")
        #expect(created.stdout.contains("{\n  \"message\": "), "pretty-printed: \(created.stdout)")

        // The server's address from the environment instead of --url.
        let table = try Self.lyre(["create_table", "database=dev", "table=dog", "primary_key=id"],
                                  environment: ["CLI_TARGET": url])
        #expect(table.status == 0, "\(table.stdout) \(table.stderr)")

        let inserted = try Self.lyre(["insert", "database=dev", "table=dog", #"records=[{"id":1,"name":"Penny","age":7}]"#, "--url", url])
        #expect(inserted.status == 0, "\(inserted.stdout) \(inserted.stderr)")
        #expect(inserted.json?["inserted_hashes"] == [1])

        let found = try Self.lyre(["search_by_id", "database=dev", "table=dog", "ids=[1]", #"get_attributes=["id","name","age"]"#, "--url", url])
        #expect(found.status == 0)
        #expect(found.json == [["id": 1, "name": "Penny", "age": 7]])

        // The explicit form, and --compact.
        let compact = try Self.lyre(["operation", "search_by_value", "database=dev", "table=dog", "attribute=name",
                                     "value=Penny", #"get_attributes=["id"]"#, "--compact", "--url", url])
        #expect(compact.status == 0)
        #expect(compact.stdout == #"[{"id":1}]"# + "\n")

        // Failures: an error answer is printed and the exit status is 1.
        let missing = try Self.lyre(["describe_table", "database=dev", "table=cat", "--url", url])
        #expect(missing.status == 1)
        #expect(missing.json?["error"]?.stringValue != nil, "\(missing.stdout)")

        let unknown = try Self.lyre(["no_such_operation", "--url", url])
        #expect(unknown.status == 1)
        #expect(unknown.json?["error"]?.stringValue?.contains("no_such_operation") == true, "\(unknown.stdout)")

        let unauthorized = try Self.lyre(["describe_all", "--url", url, "--password", "wrong"])
        #expect(unauthorized.status == 1)

        let malformed = try Self.lyre(["describe_table", "database", "--url", url])
        #expect(malformed.status != 0)
        #expect(malformed.stderr.contains("'database' is not key=value"))

        let stop = try Self.lyre(["stop", "--root", root])
        #expect(stop.status == 0)
        #expect(stop.stdout == "stopped (pid \(pid))\n")
        #expect(!FileManager.default.fileExists(atPath: root + "/lyre.pid"))

        let after = try Self.lyre(["status", "--root", root])
        #expect(after.status == 1)
        #expect(after.stdout.hasPrefix("not running"))

        let unreachable = try Self.lyre(["describe_all", "--url", url])
        #expect(unreachable.status == 1)
        #expect(unreachable.stderr.contains("cannot connect"))

        let stopAgain = try Self.lyre(["stop", "--root", root])
        #expect(stopAgain.status == 0)
        #expect(stopAgain.stdout.hasPrefix("not running"))
    }

    /// Data written through the CLI survives a stop and a start on another port.
    @Test func restartKeepsData() throws {
        let root = TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let first = try Self.lyre(["start", "--root", root, "--port", String(LyreProcess.freePort())])
        defer { _ = try? Self.lyre(["stop", "--root", root]) }
        try #require(first.status == 0, "\(first.stderr)")
        let url1 = first.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try Self.lyre(["create_table", "table=t", "primary_key=id", "--url", url1]).status == 0)
        #expect(try Self.lyre(["upsert", "table=t", #"records=[{"id":"a","n":1}]"#, "--url", url1]).status == 0)
        #expect(try Self.lyre(["stop", "--root", root]).status == 0)

        let second = try Self.lyre(["start", "--root", root, "--port", String(LyreProcess.freePort())])
        try #require(second.status == 0, "\(second.stderr)")
        let url2 = second.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try Self.lyre(["status", "--root", root]).stdout.hasPrefix("running \(url2)"))
        let found = try Self.lyre(["search_by_id", "table=t", #"ids=["a"]"#, #"get_attributes=["n"]"#, "--url", url2])
        #expect(found.json == [["n": 1]])
    }

    @Test func helpDescribesEveryCommand() throws {
        let root = try Self.lyre(["--help"])
        #expect(root.status == 0)
        for word in ["start", "stop", "status", "run", "operation", "describe_table database=dev table=dog"] {
            #expect(root.stdout.contains(word), "lyre --help lacks \(word)")
        }
        for command in ["start", "stop", "status", "operation", "run", "version"] {
            let help = try Self.lyre([command, "--help"])
            #expect(help.status == 0, "lyre \(command) --help")
            #expect(help.stdout.contains("USAGE: lyre \(command)"), "\(help.stdout)")
        }
        #expect(try Self.lyre(["version"]).stdout == LyreVersion.string + "\n")
    }
}
