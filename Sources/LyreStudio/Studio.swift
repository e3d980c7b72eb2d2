/// The web console ("local Studio") served on `GET /`: plain HTML, CSS and JavaScript
/// modules in `Assets/`, built into the binary by SwiftPM (`embedInCode`), so nothing is
/// downloaded or installed beside it. It talks to the server only through `POST /`, as any
/// client does, so it can do exactly what the signed-in user's role allows.
public enum Studio {
    /// One file the studio serves.
    public struct Asset: Sendable {
        public let contentType: String
        public let bytes: [UInt8]
    }

    /// Headers sent with every studio file. The policy allows scripts, styles and requests
    /// from this origin only, and no inline script or style: together with the console
    /// building its pages from text nodes only, a value like `<img onerror=…>` read from the
    /// database can never run.
    public static let headers: [(String, String)] = [
        ("Content-Security-Policy",
         "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("Cache-Control", "no-cache"),
    ]

    /// The file for a request path (`/`, `/index.html`, `/studio/<file>`), or `nil`.
    public static func asset(path: String) -> Asset? {
        let path = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? path
        if path == "/" || path == "/index.html" { return index }
        guard path.hasPrefix("/studio/") else { return nil }
        return files[String(path.dropFirst("/studio/".count))]
    }

    /// What `GET /` shows when the studio is turned off (`localStudio.enabled: false`).
    public static let runningPage = Asset(contentType: "text/html; charset=utf-8", bytes: Array("""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Lyre</title></head>
        <body><h1>Lyre is running.</h1>
        <p>The Operations API answers <code>POST /</code> on this port. Set <code>localStudio.enabled: true</code> for the web console.</p>
        </body></html>

        """.utf8))

    private static let index = Asset(contentType: "text/html; charset=utf-8", bytes: PackageResources.index_html)

    private static let files: [String: Asset] = [
        "studio.css": Asset(contentType: "text/css; charset=utf-8", bytes: PackageResources.studio_css),
        "app.js": javaScript(PackageResources.app_js),
        "api.js": javaScript(PackageResources.api_js),
        "dom.js": javaScript(PackageResources.dom_js),
        "data.js": javaScript(PackageResources.data_js),
        "tools.js": javaScript(PackageResources.tools_js),
        "admin.js": javaScript(PackageResources.admin_js),
    ]

    private static func javaScript(_ bytes: [UInt8]) -> Asset {
        Asset(contentType: "text/javascript; charset=utf-8", bytes: bytes)
    }
}
