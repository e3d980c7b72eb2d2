import LyreCore
import LyreTestSupport
import Testing

/// sql.md §12 replayed over HTTP against the real server, with exact JSON where the spec gives it.
@Suite struct SQLConformanceTests {
    static let setup = [
        #"{"operation":"create_database","database":"conf"}"#,
        #"{"operation":"create_table","database":"conf","table":"pet","primary_key":"id"}"#,
        #"{"operation":"create_table","database":"conf","table":"owner","primary_key":"id"}"#,
        #"{"operation":"create_table","database":"conf","table":"empty","primary_key":"id"}"#,
        #"{"operation":"insert","database":"conf","table":"pet","records":[{"id":1,"name":"Rex","species":"dog","age":3,"weight":12.5,"owner_id":10,"tags":["good","loud"],"vaccinated":true},{"id":2,"name":"Tom","species":"cat","age":7,"weight":4.2,"owner_id":11,"vaccinated":false},{"id":3,"name":"bubbles","species":"fish","age":1,"weight":0.1,"owner_id":10},{"id":4,"name":"Luna","species":"cat","age":null,"weight":3.9,"owner_id":12,"meta":{"color":"black"}},{"id":5,"name":"Zed","species":"dog","age":11,"weight":30,"owner_id":99}]}"#,
        #"{"operation":"insert","database":"conf","table":"owner","records":[{"id":10,"name":"Ana","city":"Lima"},{"id":11,"name":"Ben","city":"Oslo"},{"id":12,"name":"Cai","city":"Lima"},{"id":13,"name":"Dee","city":null}]}"#,
    ]

    static func server() async throws -> TestServer {
        let lyre = try await TestServer()
        for request in setup {
            let r = await lyre.post(request)
            #expect(r.status == 200, "\(request): \(r)")
        }
        return lyre
    }

    static func sql(_ lyre: TestServer, _ text: String) async -> TestResponse {
        await lyre.post(.object(JSONObject([("operation", "sql"), ("sql", .string(text))])))
    }

    /// (SQL, status, exact body) from §12.2–§12.8.
    static let exact: [(String, Int, String)] = [
        ("SELECT id, name FROM conf.pet ORDER BY id", 200, #"[{"id":1,"name":"Rex"},{"id":2,"name":"Tom"},{"id":3,"name":"bubbles"},{"id":4,"name":"Luna"},{"id":5,"name":"Zed"}]"#),
        ("SELECT p.name AS pet_name, p.age FROM conf.pet AS p WHERE p.id = 2", 200, #"[{"pet_name":"Tom","age":7}]"#),
        ("select name n from conf.pet p where p.id = 1", 200, #"[{"n":"Rex"}]"#),
        ("SELECT [name], `species` FROM `conf`.[pet] WHERE id = 3", 200, #"[{"name":"bubbles","species":"fish"}]"#),
        ("SELECT id FROM conf.empty", 200, "[]"),
        ("SELECT id FROM conf.pet WHERE id = 1;", 200, #"[{"id":1}]"#),
        ("SELECT Name FROM conf.pet", 400, #"{"error":"unknown column Name"}"#),
        ("SELECT id FROM conf.pet WHERE age > 2 AND age <= 7 ORDER BY id", 200, #"[{"id":1},{"id":2}]"#),
        ("SELECT id FROM conf.pet WHERE species = 'fish' OR age > 10 ORDER BY id", 200, #"[{"id":3},{"id":5}]"#),
        ("SELECT id FROM conf.pet WHERE id IN (1, 3, 42) ORDER BY id", 200, #"[{"id":1},{"id":3}]"#),
        ("SELECT id FROM conf.pet WHERE id IN ('1', '3') ORDER BY id", 200, #"[{"id":1},{"id":3}]"#),
        ("SELECT id FROM conf.pet WHERE id = '1'", 200, "[]"),
        ("SELECT id FROM conf.pet WHERE species NOT IN ('dog', 'cat')", 200, #"[{"id":3}]"#),
        ("SELECT id FROM conf.pet WHERE owner_id NOT IN (10, 11) ORDER BY id", 200, #"[{"id":4},{"id":5}]"#),
        ("SELECT id FROM conf.pet WHERE age BETWEEN 3 AND 7 ORDER BY id", 200, #"[{"id":1},{"id":2}]"#),
        ("SELECT id FROM conf.pet WHERE age NOT BETWEEN 3 AND 7 ORDER BY id", 200, #"[{"id":3},{"id":5}]"#),
        ("SELECT id FROM conf.pet WHERE name LIKE 'b%'", 200, #"[{"id":3}]"#),
        ("SELECT id FROM conf.pet WHERE name LIKE 'LU%'", 200, #"[{"id":4}]"#),
        ("SELECT id FROM conf.pet WHERE name LIKE '_e_' ORDER BY id", 200, #"[{"id":1},{"id":5}]"#),
        ("SELECT id FROM conf.pet WHERE name NOT LIKE '%e%' ORDER BY id", 200, #"[{"id":2},{"id":4}]"#),
        ("SELECT id FROM conf.pet WHERE name REGEXP '^[A-Z][a-z]{2}$' ORDER BY id", 200, #"[{"id":1},{"id":2},{"id":5}]"#),
        ("SELECT id FROM conf.pet WHERE name REGEXP 'ZED'", 200, "[]"),
        ("SELECT id FROM conf.pet WHERE age IS NULL", 200, #"[{"id":4}]"#),
        ("SELECT id FROM conf.pet WHERE tags IS NOT NULL", 200, #"[{"id":1}]"#),
        ("SELECT id FROM conf.pet WHERE age != 3 ORDER BY id", 200, #"[{"id":2},{"id":3},{"id":5}]"#),
        ("SELECT id FROM conf.pet WHERE NOT (age > 5) ORDER BY id", 200, #"[{"id":1},{"id":3},{"id":4}]"#),
        ("SELECT id FROM conf.pet WHERE NOT (age > 5)", 200, #"[{"id":1},{"id":3},{"id":4}]"#),
        ("SELECT id FROM conf.pet WHERE age = NULL", 200, "[]"),
        ("SELECT id FROM conf.pet WHERE vaccinated = 'false'", 200, #"[{"id":2}]"#),
        ("SELECT id FROM conf.pet WHERE vaccinated = true", 200, #"[{"id":1}]"#),
        ("SELECT id FROM conf.pet WHERE weight > age ORDER BY id", 200, #"[{"id":1},{"id":5}]"#),
        ("SELECT id, meta->color AS color FROM conf.pet WHERE meta IS NOT NULL", 200, #"[{"id":4,"color":"black"}]"#),
        ("SELECT name FROM conf.pet ORDER BY name", 200, #"[{"name":"Luna"},{"name":"Rex"},{"name":"Tom"},{"name":"Zed"},{"name":"bubbles"}]"#),
        ("SELECT name FROM conf.pet ORDER BY 1 DESC", 200, #"[{"name":"bubbles"},{"name":"Zed"},{"name":"Tom"},{"name":"Rex"},{"name":"Luna"}]"#),
        ("SELECT name, age FROM conf.pet ORDER BY age", 200, #"[{"name":"Luna","age":null},{"name":"bubbles","age":1},{"name":"Rex","age":3},{"name":"Tom","age":7},{"name":"Zed","age":11}]"#),
        ("SELECT name, age FROM conf.pet ORDER BY age DESC", 200, #"[{"name":"Zed","age":11},{"name":"Tom","age":7},{"name":"Rex","age":3},{"name":"bubbles","age":1},{"name":"Luna","age":null}]"#),
        ("SELECT species, name FROM conf.pet ORDER BY species DESC, name", 200, #"[{"species":"fish","name":"bubbles"},{"species":"dog","name":"Rex"},{"species":"dog","name":"Zed"},{"species":"cat","name":"Luna"},{"species":"cat","name":"Tom"}]"#),
        ("SELECT id FROM conf.pet ORDER BY id DESC LIMIT 2", 200, #"[{"id":5},{"id":4}]"#),
        ("SELECT id FROM conf.pet ORDER BY id LIMIT 2 OFFSET 2", 200, #"[{"id":3},{"id":4}]"#),
        ("SELECT id FROM conf.pet ORDER BY id OFFSET 1 ROWS FETCH NEXT 2 ROWS ONLY", 200, #"[{"id":2},{"id":3}]"#),
        ("SELECT TOP 2 id FROM conf.pet ORDER BY weight DESC", 200, #"[{"id":5},{"id":1}]"#),
        ("SELECT DISTINCT species FROM conf.pet ORDER BY species", 200, #"[{"species":"cat"},{"species":"dog"},{"species":"fish"}]"#),
        ("SELECT DISTINCT owner_id FROM conf.pet ORDER BY owner_id", 200, #"[{"owner_id":10},{"owner_id":11},{"owner_id":12},{"owner_id":99}]"#),
        ("SELECT id FROM conf.pet LIMIT 2 OFFSET 10", 200, "[]"),
        ("SELECT COUNT(*), COUNT(age), SUM(age), AVG(age), MIN(age), MAX(age) FROM conf.pet", 200, #"[{"COUNT(*)":5,"COUNT(age)":4,"SUM(age)":22,"AVG(age)":5.5,"MIN(age)":1,"MAX(age)":11}]"#),
        ("SELECT COUNT(*) FROM conf.pet WHERE species = 'dog'", 200, #"[{"COUNT(*)":2}]"#),
        ("SELECT COUNT(DISTINCT owner_id) AS owners FROM conf.pet", 200, #"[{"owners":4}]"#),
        ("SELECT COUNT(DISTINCT species) FROM conf.pet", 200, #"[{"COUNT(species)":3}]"#),
        ("SELECT species, COUNT(*) AS n FROM conf.pet GROUP BY species ORDER BY species", 200, #"[{"species":"cat","n":2},{"species":"dog","n":2},{"species":"fish","n":1}]"#),
        ("SELECT species, COUNT(*) AS n FROM conf.pet GROUP BY species HAVING COUNT(*) > 1 ORDER BY n DESC, species", 200, #"[{"species":"cat","n":2},{"species":"dog","n":2}]"#),
        ("SELECT species, COUNT(*) AS n FROM conf.pet GROUP BY species HAVING n > 1 ORDER BY species", 200, #"[{"species":"cat","n":2},{"species":"dog","n":2}]"#),
        ("SELECT owner_id, COUNT(*) AS n FROM conf.pet GROUP BY owner_id HAVING COUNT(*) >= 2", 200, #"[{"owner_id":10,"n":2}]"#),
        ("SELECT species, MAX(weight) AS heaviest, MIN(weight) AS lightest FROM conf.pet GROUP BY species ORDER BY species", 200, #"[{"species":"cat","heaviest":4.2,"lightest":3.9},{"species":"dog","heaviest":30,"lightest":12.5},{"species":"fish","heaviest":0.1,"lightest":0.1}]"#),
        ("SELECT species, AVG(age) AS avg_age FROM conf.pet GROUP BY species ORDER BY species", 200, #"[{"species":"cat","avg_age":7},{"species":"dog","avg_age":7},{"species":"fish","avg_age":1}]"#),
        ("SELECT species, GROUP_CONCAT(name) AS names FROM conf.pet GROUP BY species ORDER BY species", 200, #"[{"species":"cat","names":"Tom,Luna"},{"species":"dog","names":"Rex,Zed"},{"species":"fish","names":"bubbles"}]"#),
        ("SELECT ARRAY(name) AS names FROM conf.pet WHERE species = 'dog'", 200, #"[{"names":["Rex","Zed"]}]"#),
        ("SELECT ROUND(AVG(weight), 2) AS avg_w FROM conf.pet", 200, #"[{"avg_w":10.14}]"#),
        ("SELECT COUNT(*) AS c, SUM(age) AS s FROM conf.pet WHERE id > 100", 200, #"[{"c":0,"s":0}]"#),
        ("SELECT COUNT(*) AS c, AVG(age) AS a, MIN(age) AS mn FROM conf.pet WHERE id > 100", 200, #"[{"c":0}]"#),
        ("SELECT species, COUNT(*) AS n FROM conf.pet WHERE id > 100 GROUP BY species", 200, "[]"),
        ("SELECT COUNT(*) AS c FROM conf.empty", 200, #"[{"c":0}]"#),
        ("SELECT MIN(name) AS first_name FROM conf.pet", 200, #"[{"first_name":null}]"#),
        ("SELECT name, COUNT(*) AS c FROM conf.pet", 200, #"[{"c":5}]"#),
        ("SELECT species, name FROM conf.pet GROUP BY species", 400, #"{"error":"select column 'name' must be in group by"}"#),
        ("SELECT COUNT(*) FROM conf.pet GROUP BY species", 400, #"{"error":"group_column is not defined"}"#),
        ("SELECT p.name, o.name FROM conf.pet p INNER JOIN conf.owner o ON p.owner_id = o.id ORDER BY p.id", 200, #"[{"name":"Rex","name1":"Ana"},{"name":"Tom","name1":"Ben"},{"name":"bubbles","name1":"Ana"},{"name":"Luna","name1":"Cai"}]"#),
        ("SELECT p.name AS pet, o.name AS owner FROM conf.pet p LEFT JOIN conf.owner o ON p.owner_id = o.id ORDER BY p.id", 200, #"[{"pet":"Rex","owner":"Ana"},{"pet":"Tom","owner":"Ben"},{"pet":"bubbles","owner":"Ana"},{"pet":"Luna","owner":"Cai"},{"pet":"Zed","owner":null}]"#),
        ("SELECT o.name, p.name FROM conf.owner o LEFT JOIN conf.pet p ON p.owner_id = o.id ORDER BY o.id, p.id", 200, #"[{"name":"Ana","name1":"Rex"},{"name":"Ana","name1":"bubbles"},{"name":"Ben","name1":"Tom"},{"name":"Cai","name1":"Luna"},{"name":"Dee","name1":null}]"#),
        ("SELECT p.id, o.id FROM conf.pet p RIGHT JOIN conf.owner o ON p.owner_id = o.id ORDER BY o.id, p.id", 200, #"[{"id":1,"id1":10},{"id":3,"id1":10},{"id":2,"id1":11},{"id":4,"id1":12},{"id":null,"id1":13}]"#),
        ("SELECT p.id, o.id FROM conf.pet p INNER JOIN conf.owner o ON p.owner_id = o.id WHERE o.city = 'Lima' ORDER BY p.id", 200, #"[{"id":1,"id1":10},{"id":3,"id1":10},{"id":4,"id1":12}]"#),
        ("SELECT o.name AS owner, COUNT(p.id) AS pets FROM conf.owner o LEFT JOIN conf.pet p ON p.owner_id = o.id GROUP BY o.name ORDER BY o.name", 200, #"[{"owner":"Ana","pets":2},{"owner":"Ben","pets":1},{"owner":"Cai","pets":1},{"owner":"Dee","pets":0}]"#),
        ("SELECT a.name, b.name FROM conf.owner a INNER JOIN conf.owner b ON a.city = b.city WHERE a.id < b.id", 200, #"[{"name":"Ana","name1":"Cai"}]"#),
        ("SELECT p.name, o.name FROM conf.pet p LEFT JOIN conf.owner o ON p.owner_id = o.id WHERE o.id IS NULL", 200, #"[{"name":"Zed","name1":null}]"#),
        ("SELECT p.name, o.name, o.city FROM conf.pet p JOIN conf.owner o ON p.owner_id = o.id WHERE p.id = 1", 200, #"[{"name":"Rex","name1":"Ana","city":"Lima"}]"#),
        ("SELECT p.id FROM conf.pet p CROSS JOIN conf.owner o WHERE p.id = 1", 200, #"[{"id":1},{"id":1},{"id":1},{"id":1}]"#),
        ("SELECT id FROM conf.pet p JOIN conf.owner o ON p.owner_id = o.id", 400, #"{"error":"ambiguous column reference id"}"#),
        ("SELECT UPPER(name), LOWER(name) FROM conf.pet WHERE id = 3", 200, #"[{"UPPER(name)":"BUBBLES","LOWER(name)":"bubbles"}]"#),
        ("SELECT upper(name) FROM conf.pet WHERE id = 3", 200, #"[{"UPPER(name)":"BUBBLES"}]"#),
        ("SELECT CONCAT(name, '/', species) FROM conf.pet WHERE id = 1", 200, #"[{"CONCAT(name,\"/\",species)":"Rex/dog"}]"#),
        ("SELECT ROUND(weight) FROM conf.pet WHERE id = 1", 200, #"[{"ROUND(weight)":13}]"#),
        ("SELECT COUNT(id), SUM(p.weight) FROM conf.pet p", 200, #"[{"COUNT(id)":5,"SUM(p.weight)":50.7}]"#),
        ("SELECT SUM(age * 2) FROM conf.pet", 200, #"[{"SUM(undefined)":44}]"#),
        ("SELECT name, weight * 2 FROM conf.pet WHERE id = 1", 200, #"[{"name":"Rex","undefined":25}]"#),
        ("SELECT id, age * 2 AS double_age FROM conf.pet WHERE id IN (1, 4) ORDER BY id", 200, #"[{"id":1,"double_age":6},{"id":4}]"#),
        ("SELECT id, NULL AS nothing, 'x' AS lit FROM conf.pet WHERE id = 1", 200, #"[{"id":1,"lit":"x"}]"#),
        ("SELECT 2 + 2", 200, #"[{"2 + 2":4}]"#),
        ("SELECT 2 + 2, 'abc', 10 / 4", 200, #"[{"2 + 2":4,"'abc'":"abc","10 / 4":2.5}]"#),
        ("SELECT UPPER('abc'), ROUND(2.567, 1)", 200, #"[{"UPPER('abc')":"ABC","ROUND(2.567,1)":2.6}]"#),
        ("SELECT 10 / 4 AS q, 7 % 3 AS r, 'a' || 'b' AS s", 200, #"[{"q":2.5,"r":1,"s":"ab"}]"#),
        ("SELECT id, search_json('$[0]', tags) AS first_tag FROM conf.pet WHERE id = 1", 200, #"[{"id":1,"first_tag":"good"}]"#),
        ("SELECT id FROM conf.pet WHERE search_json('$[1]', tags) = 'loud'", 200, #"[{"id":1}]"#),
        ("SELECT id, search_json('$$$(', tags) AS x FROM conf.pet", 400, #"{"error":"There was a problem performing this search. Please check the logs and try again."}"#),
        ("SELECT geoDistance('[0,0]', '[0,0]') AS d", 200, #"[{"d":0}]"#),
        ("SELECT GeoArea('[0,0]') AS d", 400, #"{"error":"There was a problem performing this search. Please check the logs and try again."}"#),
        (#"SELECT * FROM conf.`order`"#, 404, #"{"error":"Table 'conf.order' does not exist"}"#),
        ("SELECT id FROM pet", 400, #"{"error":"schema not defined for table pet"}"#),
        ("SELECT id FROM nope.pet", 404, #"{"error":"database 'nope' does not exist"}"#),
        ("SELECT id FROM conf.nope", 404, #"{"error":"Table 'conf.nope' does not exist"}"#),
        ("SELECT 1 FROM nope.pet", 200, "[]"),
        ("SELECT name FROM conf.pet WHERE nope = 1", 400, #"{"error":"unknown column nope"}"#),
        ("SELECT p.nope FROM conf.pet p", 400, #"{"error":"unknown column p.nope"}"#),
        ("SELECT nope", 400, #"{"error":"no from clause"}"#),
        ("SELECT id FROM conf.pet UNION SELECT id FROM conf.owner", 400, #"{"error":"There was a problem performing this search. Please check the logs and try again."}"#),
        ("SELECT name FROM conf.pet ORDER BY UPPER(name)", 400, #"{"error":"There was a problem performing this search. Please check the logs and try again."}"#),
        ("SELECT id, CASE WHEN age > 5 THEN 'old' WHEN age > 2 THEN 'mid' ELSE 'young' END AS a FROM conf.pet WHERE id <= 3 ORDER BY id", 200, #"[{"id":1,"a":"mid"},{"id":2,"a":"old"},{"id":3,"a":"young"}]"#),
        ("SELECT id FROM conf.pet WHERE name = 'it''s'", 200, "[]"),
        ("SELECT id FROM conf.pet WHERE species = 'dog' AND name LIKE 'z%' AND id BETWEEN 1 AND 9", 200, #"[{"id":5}]"#),
        ("SELECT o.city, COUNT(*) AS n FROM conf.pet p JOIN conf.owner o ON p.owner_id = o.id GROUP BY o.city ORDER BY n DESC", 200, #"[{"city":"Lima","n":3},{"city":"Oslo","n":1}]"#),
        ("CREATE TABLE conf.x (id INT)", 400, #"{"error":"unsupported SQL type create in SQL: [object Object]"}"#),
        ("DELETE FROM system.hdb_user WHERE username = 'nobody'", 403, #"{"error":"The 'system' database, tables and records are used internally by HarperDB and cannot be updated or removed."}"#),
    ]

    @Test func readStatementsMatchTheSpec() async throws {
        let lyre = try await Self.server()
        for (text, status, body) in Self.exact {
            let r = await Self.sql(lyre, text)
            #expect(r.status == status && r.text == body, "\(text) → \(r)")
        }
    }

    @Test func keySetsOfWildcards() async throws {
        let lyre = try await Self.server()
        let star = await Self.sql(lyre, "SELECT * FROM conf.owner WHERE id = 13")
        #expect(star.json.arrayValue?.first?.objectValue?.keys == ["id", "__createdtime__", "__updatedtime__", "name", "city"])
        #expect(star.json[0]?["city"] == .null)
        let nick = await Self.sql(lyre, "SELECT *, name AS nick FROM conf.owner").json.arrayValue ?? []
        #expect(nick.count == 4)
        #expect(nick.allSatisfy { $0.objectValue?.keys == ["nick", "id", "__createdtime__", "__updatedtime__", "city"] })
        let joined = await Self.sql(lyre, "SELECT o.*, p.name FROM conf.owner o JOIN conf.pet p ON p.owner_id = o.id WHERE p.id = 2")
        #expect(joined.json[0]?.objectValue?.keys == ["name", "id", "__createdtime__", "__updatedtime__", "name1", "city"])
        #expect(joined.json[0]?["name"] == "Tom" && joined.json[0]?["name1"] == "Ben")
        let full = await Self.sql(lyre, "SELECT p.id, o.id FROM conf.pet p FULL OUTER JOIN conf.owner o ON p.owner_id = o.id")
        let pairs = Set((full.json.arrayValue ?? []).map { "\($0["id"].map(JSON.string) ?? "-")/\($0["id1"].map(JSON.string) ?? "-")" })
        #expect(pairs == ["1/10", "2/11", "3/10", "4/12", "5/null", "null/13"])
        #expect(full.json.arrayValue?.count == 6)
    }

    @Test func syntaxErrorsAre400() async throws {
        let lyre = try await Self.server()
        for text in ["SELECT * FROM conf.order", "SELECT id FROM conf.pet LIMIT 2, 3", "SELECT price * 2 AS total FROM conf.pet"] {
            let r = await Self.sql(lyre, text)
            #expect(r.status == 400, "\(text) → \(r)")
            #expect(r.text.hasPrefix(#"{"error":"Invalid SQL at: "#))
        }
        let missing = await lyre.post(#"{"operation":"sql"}"#)
        #expect(missing.status == 400 && missing.text == #"{"error":"The 'sql' parameter is missing from the request body"}"#)
    }

    @Test func writesInSpecOrder() async throws {
        let lyre = try await Self.server()
        let steps: [(String, Int, String)] = [
            ("INSERT INTO conf.pet (id, name, species, age) VALUES (6, 'Kiwi', 'bird', 2), (7, 'Mo', 'cat', 4)", 200, #"{"message":"inserted 2 of 2 records","inserted_hashes":[6,7],"skipped_hashes":[]}"#),
            ("INSERT INTO conf.pet (id, name) VALUE (1, 'Again')", 200, #"{"message":"inserted 0 of 1 records","inserted_hashes":[],"skipped_hashes":[1]}"#),
            ("SELECT id, name, species, age FROM conf.pet WHERE id >= 6 ORDER BY id", 200, #"[{"id":6,"name":"Kiwi","species":"bird","age":2},{"id":7,"name":"Mo","species":"cat","age":4}]"#),
            ("INSERT INTO conf.pet (id, name, added) VALUES (8, UPPER('ivy'), DATE_FORMAT(1700000000000, 'YYYY-MM-DD'))", 200, #"{"message":"inserted 1 of 1 records","inserted_hashes":[8],"skipped_hashes":[]}"#),
            ("SELECT name, added FROM conf.pet WHERE id = 8", 200, #"[{"name":"IVY","added":"2023-11-14"}]"#),
            ("INSERT INTO conf.pet (id, code, note) VALUES (9, '011', NULL)", 200, #"{"message":"inserted 1 of 1 records","inserted_hashes":[9],"skipped_hashes":[]}"#),
            ("SELECT id, code, note FROM conf.pet WHERE code = '011'", 200, #"[{"id":9,"code":"011","note":null}]"#),
            ("SELECT id FROM conf.pet WHERE code = 11", 200, "[]"),
            ("UPDATE conf.pet SET age = age + 1, note = 'older' WHERE species = 'cat'", 200, #"{"message":"updated 3 of 3 records","update_hashes":[2,4,7],"skipped_hashes":[]}"#),
            ("SELECT id, age, note FROM conf.pet WHERE species = 'cat' ORDER BY id", 200, #"[{"id":2,"age":8,"note":"older"},{"id":4,"age":null,"note":"older"},{"id":7,"age":5,"note":"older"}]"#),
            ("UPDATE conf.pet SET name = 'Ghost' WHERE id = 404", 200, #"{"message":"updated 0 of 0 records","update_hashes":[],"skipped_hashes":[]}"#),
            ("UPDATE conf.pet SET weight = 13 WHERE id = 1", 200, #"{"message":"updated 1 of 1 records","update_hashes":[1],"skipped_hashes":[]}"#),
            ("SELECT name, weight, species FROM conf.pet WHERE id = 1", 200, #"[{"name":"Rex","weight":13,"species":"dog"}]"#),
            ("UPDATE conf.pet SET __createdtime__ = 5 WHERE id = 1", 200, #"{"message":"updated 1 of 1 records","update_hashes":[1],"skipped_hashes":[]}"#),
            ("INSERT INTO conf.pet (id, `bad/name`) VALUES (20, 'x')", 400, #"{"error":"Attribute names cannot include backticks or forward slashes"}"#),
            ("INSERT INTO conf.pet (id, name) VALUES (21)", 400, #"{"error":"There was a problem performing this insert. Please check the logs and try again."}"#),
            ("INSERT INTO conf.pet (id, name) VALUES (21, name)", 400, #"{"error":"There was a problem performing this insert. Please check the logs and try again."}"#),
            ("INSERT INTO conf.nope (id) VALUES (1)", 400, #"{"error":"Table 'conf.nope' does not exist"}"#),
            ("UPDATE nope.pet SET a = 1", 400, #"{"error":"schema nope does not exist"}"#),
            ("UPDATE pet SET a = 1", 400, #"{"error":"schema undefined does not exist"}"#),
            ("UPDATE conf.pet SET a = 1 WHERE nope = 2", 400, #"{"error":"unknown column nope"}"#),
            ("DELETE FROM conf.pet WHERE id IN (8, 9)", 200, #"{"message":"2 of 2 records successfully deleted","deleted_hashes":[8,9],"skipped_hashes":[]}"#),
            ("DELETE FROM conf.pet WHERE id = 7", 200, #"{"message":"1 of 1 record successfully deleted","deleted_hashes":[7],"skipped_hashes":[]}"#),
            ("DELETE FROM conf.pet WHERE id = 404", 200, #"{"message":"0 of 0 records successfully deleted","deleted_hashes":[],"skipped_hashes":[]}"#),
            ("DELETE FROM conf.nope", 400, #"{"error":"table conf.nope does not exist"}"#),
            ("DELETE FROM conf.empty", 200, #"{"message":"0 of 0 records successfully deleted","deleted_hashes":[],"skipped_hashes":[]}"#),
        ]
        for (text, status, body) in steps {
            let r = await Self.sql(lyre, text)
            #expect(r.status == status && r.text == body, "\(text) → \(r)")
        }
        let created = await Self.sql(lyre, "SELECT __createdtime__ FROM conf.pet WHERE id = 1")
        #expect((created.json[0]?["__createdtime__"]?.doubleValue ?? 5) > 1_000_000)
        let anon = await Self.sql(lyre, "INSERT INTO conf.pet (name) VALUES ('Anon')")
        #expect(anon.json["message"] == "inserted 1 of 1 records")
        #expect(anon.json["inserted_hashes"]?.arrayValue?.count == 1)
    }

    @Test func walkthroughSelectStar() async throws {
        let lyre = try await TestServer()
        _ = await lyre.post(#"{"operation":"create_table","database":"dev","table":"dog","primary_key":"id"}"#)
        _ = await lyre.post(#"{"operation":"insert","database":"dev","table":"dog","records":[{"id":1,"dog_name":"Penny","owner_name":"Kyle","age":7,"weight_lbs":38,"breed_id":154},{"id":2,"dog_name":"Harper","owner_name":"Stephen","age":7,"weight_lbs":55,"breed_id":346}]}"#)
        let r = await Self.sql(lyre, "SELECT * FROM dev.dog WHERE id = 1")
        #expect(r.status == 200)
        let row = try #require(r.json[0]?.objectValue)
        #expect(row.keys == ["id", "__createdtime__", "__updatedtime__", "dog_name", "owner_name", "age", "weight_lbs", "breed_id"])
        #expect(row["dog_name"] == "Penny" && row["owner_name"] == "Kyle" && row["age"] == 7 && row["breed_id"] == 154)
        #expect(r.json.arrayValue?.count == 1)
    }

    @Test func explainShowsTheChosenPlan() async throws {
        let lyre = try await Self.server()
        let pk = await Self.sql(lyre, "EXPLAIN SELECT * FROM conf.pet WHERE id = 1")
        #expect(pk.json["access"]?["type"] == "primary_key_lookup")
        let eq = await Self.sql(lyre, "EXPLAIN SELECT * FROM conf.pet WHERE species = 'dog'")
        #expect(eq.json["access"]?["type"] == "index_equals" && eq.json["estimated_rows"] == 2)
        let range = await Self.sql(lyre, "EXPLAIN SELECT * FROM conf.pet WHERE age > 2 AND age <= 7")
        #expect(range.json["access"]?["type"] == "index_range")
        let like = await Self.sql(lyre, "EXPLAIN SELECT * FROM conf.pet WHERE name LIKE 'b%'")
        #expect(like.json["access"]?["type"] == "index_prefix")
        let or = await Self.sql(lyre, "EXPLAIN SELECT * FROM conf.pet WHERE species = 'dog' OR age > 3")
        #expect(or.json["access"]?["type"] == "full_scan")
        let join = await Self.sql(lyre, "EXPLAIN SELECT p.name FROM conf.pet p JOIN conf.owner o ON p.owner_id = o.id")
        #expect(join.json["joins"]?[0]?["strategy"] == "hash_join")
    }
}
