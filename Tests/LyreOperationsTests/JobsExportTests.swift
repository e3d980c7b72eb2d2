import Foundation
import LyreCore
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
}
