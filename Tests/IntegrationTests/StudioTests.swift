import Foundation
import LyreCore
import LyreTestSupport
import Testing

/// The web console on `GET /` (issue 21), on the real binary: its files, their headers, the
/// `localStudio.enabled` switch; and the browser flows in headless Chromium.
@Suite struct StudioTests {
    private func get(_ lyre: LyreProcess, _ path: String, method: String = "GET") async throws -> TestResponse {
        try await HTTPClient.request(port: lyre.port, method: method, path: path, headers: [], body: [])
    }

    private func header(_ response: TestResponse, _ name: String) -> String? {
        response.headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    @Test func getSlashServesTheStudioWithAPolicyThatForbidsInlineScript() async throws {
        let root = TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let lyre = try await LyreProcess(root: root, port: LyreProcess.freePort())
        defer { lyre.terminate() }

        let index = try await get(lyre, "/")
        #expect(index.status == 200)
        #expect(header(index, "Content-Type") == "text/html; charset=utf-8")
        #expect(index.text.contains(#"<script type="module" src="/studio/app.js"></script>"#))
        let policy = try #require(header(index, "Content-Security-Policy"))
        #expect(policy.contains("script-src 'self'"))
        #expect(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"))
        #expect(header(index, "X-Content-Type-Options") == "nosniff")

        var total = index.body.count
        for (file, type) in [("app.js", "text/javascript"), ("api.js", "text/javascript"), ("dom.js", "text/javascript"),
                             ("data.js", "text/javascript"), ("tools.js", "text/javascript"), ("admin.js", "text/javascript"),
                             ("studio.css", "text/css")] {
            let asset = try await get(lyre, "/studio/" + file)
            #expect(asset.status == 200, "\(file)")
            #expect(header(asset, "Content-Type") == type + "; charset=utf-8", "\(file)")
            #expect(header(asset, "Content-Security-Policy") == policy)
            // Safe by construction: no file builds HTML from strings.
            #expect(!asset.text.contains("innerHTML") && !asset.text.contains("insertAdjacentHTML")
                        && !asset.text.contains("document.write"), "\(file)")
            total += asset.body.count
        }
        #expect(total < 200 * 1024, "first load is \(total) bytes")

        #expect(try await get(lyre, "/studio/missing.js").status == 404)
        #expect(try await get(lyre, "/studio/../Package.swift").status == 404)
        let head = try await get(lyre, "/", method: "HEAD")
        #expect(head.status == 200 && head.body.isEmpty)
        #expect(try await get(lyre, "/health").text == "HarperDB is running.")
    }

    @Test func localStudioDisabledServesARunningPageAndNoStudioFiles() async throws {
        let root = TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let lyre = try await LyreProcess(root: root, port: LyreProcess.freePort())
        defer { lyre.terminate() }
        #expect(try await lyre.post(#"{"operation":"set_configuration","localStudio_enabled":false}"#).status == 200)
        #expect(try await lyre.post(#"{"operation":"restart"}"#).status == 200)
        var page = try await get(lyre, "/")
        for _ in 0..<100 where page.text.contains("app.js") {
            try await Task.sleep(for: .milliseconds(100))
            page = try await get(lyre, "/")
        }
        #expect(page.status == 200)
        #expect(page.text.contains("Lyre is running."))
        #expect(try await get(lyre, "/studio/app.js").status == 404)
        #expect(try await get(lyre, "/index.html").status == 404)
    }

    /// The issue's flows in a real browser: sign in, create a table, add a record through the
    /// form, SQL (result read from the page, an error shown, EXPLAIN), a CSV upload followed
    /// to COMPLETE, the other pages, a token refresh, a restricted user's refusal, and values
    /// holding `<script>` / `<img onerror>` shown as text. Screenshots go to
    /// `.build/studio-screenshots/` (README).
    @Test(.timeLimit(.minutes(5))) func browserFlowsInHeadlessChromium() async throws {
        let root = TestApplication.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        // Short-lived operation tokens, so the console must refresh one during the run.
        let lyre = try await LyreProcess(root: root, port: LyreProcess.freePort(),
                                         environment: ["AUTHENTICATION_OPERATIONTOKENTIMEOUT": "20s"])
        defer { lyre.terminate() }

        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let run = try await Subprocess.run([
            "python3", repository.appendingPathComponent("Tests/Browser/studio_browser.py").path,
            "--url", "http://127.0.0.1:\(lyre.port)/",
            "--username", TestApplication.adminUsername, "--password", TestApplication.adminPassword,
            "--screenshots", repository.appendingPathComponent(".build/studio-screenshots").path])
        let text = run.output
        print(text)
        #expect(run.status == 0, "\(text)")
        #expect(text.contains("PASS flow_restricted_user"), "\(text)")
    }
}
