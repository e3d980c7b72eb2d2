import Foundation
import LyreCore
@testable import LyreOperations
import LyreTestSupport
import Testing

/// `export_local` (bulk-and-jobs.md §9) with the searches available today
/// (`search_by_id`, `search_by_hash`); the others plug in through the registry.
@Suite struct JobsExportTests {
    static func seed(_ lyre: TestApplication) async {
        await lyre.makeTable("dog")
        _ = await lyre.post(#"""
            {"operation":"insert","database":"dev","table":"dog","records":[
              {"id":1,"name":"Penny","tags":["a","b"],"note":"says \"hi\", loudly"},
              {"id":2,"name":"Kato","age":4,"good":true,"owner":null}]}
            """#)
    }

    @Test func exportsJSON() async throws {
        let lyre = try TestApplication()
        let folder = try TemporaryFolder()
        await Self.seed(lyre)
        let job = try await lyre.runJob(#"""
            {"operation":"export_local","format":"json","path":\#(jsonString(folder.path + "/")),"filename":"dogs",
             "search_operation":{"operation":"search_by_hash","database":"dev","table":"dog","hash_values":[1,2],"get_attributes":["id","name","age"]}}
            """#)
        let path = folder.path + "/dogs.json"
        #expect(job["status"] == "COMPLETE")
        #expect(job["message"] == .string("Successfully completed job: \(job["id"]?.stringValue ?? "")"))
        #expect(job["result"] == ["message": "Successfully exported JSON locally.", "path": .string(path)])
        #expect(try String(contentsOfFile: path, encoding: .utf8) == #"[{"id":1,"name":"Penny","age":null},{"id":2,"name":"Kato","age":4}]"#)
        // Only the final file is left: the temporary one was renamed.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["dogs.json"])
    }

    @Test func exportsCSVWithTheUnionOfKeys_nestedValuesAsJSONInferred() async throws {
        let lyre = try TestApplication()
        let folder = try TemporaryFolder()
        await Self.seed(lyre)
        let job = try await lyre.runJob(#"""
            {"operation":"export_local","format":"csv","path":\#(jsonString(folder.path)),"filename":"dogs.json",
             "search_operation":{"operation":"search_by_id","database":"dev","table":"dog","ids":[1,2],"get_attributes":["id","name","tags","note","age","good","owner"]}}
            """#)
        let path = folder.path + "/dogs.json.csv"
        #expect(job["result"] == ["message": "Successfully exported CSV locally.", "path": .string(path)])
        #expect(try String(contentsOfFile: path, encoding: .utf8) == """
            id,name,tags,note,age,good,owner
            1,Penny,"[""a"",""b""]","says ""hi"", loudly",,,
            2,Kato,,,4,true,

            """)
    }

    // MARK: Streamed in batches: the same bytes as serializing the search's answer

    /// 5,000 records (several export batches of 2,000 visits / 1,000 keys); every 1,000th
    /// has an attribute of its own, so a CSV header needs the later batches too.
    static func seedMany(_ lyre: TestApplication) async {
        await lyre.makeTable("many")
        let records = (0..<5_000).map { i in
            #"{"id":\#(i),"name":"dog \#(i)","n":\#(i % 7)\#(i % 1_000 == 999 ? #","late_\#(i)":\#(i)"# : "")}"#
        }
        let r = await lyre.post(#"{"operation":"insert","database":"dev","table":"many","records":[\#(records.joined(separator: ","))]}"#)
        #expect(r.status == 200, "\(r)")
    }

    /// The CSV `export_local` writes for `records` (cells here are numbers and plain text).
    static func csv(_ records: [Value]) -> String {
        var columns: [String] = []
        for case .object(let o) in records { for key in o.keys where !columns.contains(key) { columns.append(key) } }
        var text = columns.joined(separator: ",") + "\n"
        for record in records {
            text += columns.map { key in
                switch record[key] {
                case nil, .null?: ""
                case .string(let s)?: s
                case let v?: JSON.string(v)
                }
            }.joined(separator: ",") + "\n"
        }
        return text
    }

    /// Every kind of search an export reads (a resumable scan of the records, ascending and
    /// descending, with offset and limit across batches; an index order through gathered
    /// keys; SQL row by row with a residual filter and with LIMIT/OFFSET; SQL that sorts,
    /// run whole; `search_by_id`): the JSON file is the search's answer, byte for byte, and
    /// the CSV has every record and the union of their attributes.
    @Test(arguments: [
        #"{"operation":"search_by_value","database":"dev","table":"many","search_attribute":"id","search_value":"*","get_attributes":["*"]}"#,
        #"{"operation":"search_by_value","database":"dev","table":"many","search_attribute":"id","search_value":"*","reverse":true,"get_attributes":["id","name","late_1999"]}"#,
        #"{"operation":"search_by_value","database":"dev","table":"many","search_attribute":"n","search_value":3,"get_attributes":["id","n"]}"#,
        #"{"operation":"search_by_conditions","database":"dev","table":"many","offset":1999,"limit":2500,"get_attributes":["*"],"conditions":[{"attribute":"id","comparator":"between","value":[100,4900]}]}"#,
        #"{"operation":"search_by_conditions","database":"dev","table":"many","get_attributes":["id","name"],"sort":{"attribute":"name","descending":true},"conditions":[{"attribute":"n","comparator":"less_than","value":2}]}"#,
        #"{"operation":"search_by_conditions","database":"dev","table":"many","limit":3,"get_attributes":["id"],"conditions":[{"attribute":"id","comparator":"greater_than","value":4998}]}"#,
        #"{"operation":"sql","sql":"SELECT * FROM dev.many"}"#,
        #"{"operation":"sql","sql":"SELECT id, name, n * 2 AS twice FROM dev.many WHERE n * 2 = 4 LIMIT 1500 OFFSET 333"}"#,
        #"{"operation":"sql","sql":"SELECT id, name FROM dev.many WHERE id >= 4990"}"#,
        #"{"operation":"sql","sql":"SELECT id, name FROM dev.many ORDER BY name DESC LIMIT 2100"}"#,
        #"{"operation":"sql","sql":"SELECT n, COUNT(*) AS c FROM dev.many GROUP BY n"}"#,
        #"{"operation":"search_by_id","database":"dev","table":"many","ids":[3,1,4999,77],"get_attributes":["id","late_999","name"]}"#,
    ])
    func anExportInBatchesIsTheSearchsAnswer(search: String) async throws {
        let lyre = try TestApplication()
        let folder = try TemporaryFolder()
        await Self.seedMany(lyre)
        let answer = await lyre.post(search)
        #expect(answer.status == 200, "\(answer)")
        let records = try #require(answer.json.arrayValue)
        #expect(!records.isEmpty)
        for format in ["json", "csv"] {
            let job = try await lyre.runJob(#"{"operation":"export_local","format":"\#(format)","path":\#(jsonString(folder.path)),"filename":"out","search_operation":\#(search)}"#)
            #expect(job["status"] == "COMPLETE", "\(job)")
            let text = try String(contentsOfFile: folder.path + "/out." + format, encoding: .utf8)
            #expect(text == (format == "json" ? JSON.string(answer.json) : Self.csv(records)), "\(format)")
        }
    }

    /// Which searches an export reads in batches, and how (`ExportRecords`): plain scans of
    /// the records in key order resume after a key; index orders gather their keys first;
    /// sorted, grouped or index-driven SQL and searches by id run whole.
    @Test(arguments: [
        (#"{"operation":"search_by_value","database":"dev","table":"many","search_attribute":"id","search_value":"*","get_attributes":["*"]}"#, "scan"),
        (#"{"operation":"search_by_conditions","database":"dev","table":"many","get_attributes":["*"],"conditions":[{"attribute":"id","comparator":"between","value":[100,4900]}]}"#, "scan"),
        (#"{"operation":"search_by_value","database":"dev","table":"many","search_attribute":"n","search_value":3,"get_attributes":["id","n"]}"#, "keys"),
        (#"{"operation":"sql","sql":"SELECT * FROM dev.many"}"#, "rows"),
        (#"{"operation":"sql","sql":"SELECT id, name FROM dev.many WHERE id >= 4990 LIMIT 3"}"#, "rows"),
        (#"{"operation":"sql","sql":"SELECT id, name FROM dev.many ORDER BY name DESC"}"#, "whole"),
        (#"{"operation":"sql","sql":"SELECT n, COUNT(*) AS c FROM dev.many GROUP BY n"}"#, "whole"),
        (#"{"operation":"search_by_id","database":"dev","table":"many","ids":[3,1],"get_attributes":["id"]}"#, "whole"),
    ])
    func anExportReadsPlainScansInBatches(search: String, kind: String) async throws {
        let lyre = try TestApplication()
        await Self.seedMany(lyre)
        let admin = User(username: "admin", active: true, role: Role(id: "r", name: "super_user", permission: ["super_user": true]))
        let body = try #require(try JSON.parse(search).objectValue)
        let records = try await ExportRecords.prepare(body, app: lyre.app, user: admin, gate: StorageGate())
        #expect(records.kind == kind)
    }

    @Test(arguments: [
        (#"{"operation":"export_local","path":"/tmp","search_operation":{"operation":"search_by_id"}}"#, "format missing"),
        (#"{"operation":"export_local","format":"xml","path":"/tmp","search_operation":{"operation":"search_by_id"}}"#, "format invalid. must be one of the following values: json, csv"),
        (#"{"operation":"export_local","format":"json","path":"/tmp"}"#, "search_operation.operation missing"),
        (#"{"operation":"export_local","format":"json","path":"/tmp","search_operation":{"operation":"describe_all"}}"#, "searchOperation.operation must be one of the following values: search_by_value, search_by_hash, sql, search_by_conditions"),
        (#"{"operation":"export_local","format":"json","search_operation":{"operation":"search_by_id"}}"#, "path is missing."),
        (#"{"operation":"export_local","format":"json","path":"/nonexistent/dir/","search_operation":{"operation":"search_by_id"}}"#, "path '/nonexistent/dir' does not exist"),
        (#"{"operation":"export_local","format":"json","path":"/etc/hostname","search_operation":{"operation":"search_by_id"}}"#, "path '/etc/hostname' is not a directory, please supply a valid folder path"),
        (#"{"operation":"export_local","format":"json","path":"/tmp","search_operation":{"operation":"search_by_id","database":"dev","table":"nope","ids":[1],"get_attributes":["*"]}}"#, "database 'dev' does not exist"),
    ])
    func jobTimeErrors(request: String, message: String) async throws {
        let lyre = try TestApplication()
        let job = try await lyre.runJob(request)
        #expect(job["status"] == "ERROR")
        #expect(job["message"] == .string(message))
    }

    // MARK: Who may export (§9: an `sql` search needs only the statement's rights)

    static func sqlExport(_ folder: String, _ sql: String, filename: String = "dogs") -> String {
        #"{"operation":"export_local","format":"json","path":\#(jsonString(folder)),"filename":"\#(filename)","search_operation":{"operation":"sql","sql":\#(jsonString(sql))}}"#
    }

    @Test func readerMayExportWithSQL() async throws {
        let (lyre, auth) = try await SecurityMatrixTests.setUp(.readOnly)
        let folder = try TemporaryFolder()
        let response = await lyre.post(Self.sqlExport(folder.path, "SELECT id, name FROM dev.dog"), authorization: auth)
        #expect(response.status == 200, "\(response)")
        let id = try #require(response.json["job_id"]?.stringValue)
        let job = try await lyre.waitForJob(id)
        #expect(job["status"] == "COMPLETE", "\(job)")
        #expect(job["user"] == "u_readOnly")
        #expect(try String(contentsOfFile: folder.path + "/dogs.json", encoding: .utf8) == #"[{"id":1,"name":"Penny"}]"#)
    }

    @Test func attributeRestrictedReaderExportsOnlyReadableAttributes() async throws {
        let (lyre, auth) = try await SecurityMatrixTests.setUp(.attributeRestricted)
        let folder = try TemporaryFolder()
        let response = await lyre.post(Self.sqlExport(folder.path, "SELECT * FROM dev.dog"), authorization: auth)
        let id = try #require(response.json["job_id"]?.stringValue, "\(response)")
        let job = try await lyre.waitForJob(id)
        #expect(job["status"] == "COMPLETE", "\(job)")
        #expect(try String(contentsOfFile: folder.path + "/dogs.json", encoding: .utf8) == #"[{"id":1,"name":"Penny","age":7}]"#)
    }

    @Test(arguments: [
        // Table not visible to the role.
        (SecurityMatrixTests.Shape.noPermissions, "SELECT id FROM dev.dog", SecurityMatrixTests.dogDenied),
        // An attribute the role may not read.
        (.attributeRestricted, "SELECT id, owner FROM dev.dog", SecuritySQLTests.missing("owner")),
        // A hidden table next to a readable one.
        (.readOnly, "SELECT d.id FROM dev.dog d JOIN dev.cat c ON d.id = c.id", TestApplication.refusal(invalid: #"["Table 'dev.cat' does not exist"]"#)),
    ])
    func sqlExportWithoutTheRightsIsRefusedBeforeAnyJob(shape: SecurityMatrixTests.Shape, sql: String, body: String) async throws {
        let (lyre, auth) = try await SecurityMatrixTests.setUp(shape)
        let folder = try TemporaryFolder()
        let response = await lyre.post(Self.sqlExport(folder.path, sql), authorization: auth)
        #expect(response.status == 403)
        #expect(response.text == body)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
        let jobs = await lyre.post(#"{"operation":"sql","sql":"SELECT id FROM system.hdb_job"}"#)
        #expect(jobs.text == "[]")
    }

    @Test func noSQLExportStaysSuperUserOnly() async throws {
        let (lyre, auth) = try await SecurityMatrixTests.setUp(.readOnly)
        let response = await lyre.post(#"{"operation":"export_local","format":"json","path":"/tmp","search_operation":{"operation":"search_by_hash","database":"dev","table":"dog","hash_values":[1],"get_attributes":["id"]}}"#,
                                       authorization: auth)
        #expect(response.status == 403)
        #expect(response.text == TestApplication.refusal(access: #"["Operation 'export_local' is restricted to 'super_user' roles"]"#))
    }

    @Test(arguments: [
        (#"{"operation":"export_local","format":"json","path":"/tmp","search_operation":{"operation":"sql"}}"#, #"{"error":"The 'sql' parameter is missing from the request body"}"#),
    ])
    func sqlSearchIsParsedBeforeTheJob(request: String, body: String) async throws {
        let (lyre, auth) = try await SecurityMatrixTests.setUp(.readOnly)
        let response = await lyre.post(request, authorization: auth)
        #expect(response.status == 400)
        #expect(response.text == body)
    }
}
