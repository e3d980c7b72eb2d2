package import AsyncHTTPClient
package import Foundation
package import NIOCore
import NIOHTTP1

/// Access keys for one request. `description` never shows the secret.
package struct S3Credentials: Sendable, CustomStringConvertible {
    package let accessKeyID: String
    package let secretAccessKey: String
    package let sessionToken: String?

    package init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    package var description: String { "S3Credentials(\(accessKeyID), secret: ****)" }
}

/// A failure of an S3 request: the service's error (`code`, `message` from its XML body, as
/// `NoSuchKey` / `The specified key does not exist.`) or a transport failure below HTTP.
package enum S3Error: Error, Sendable, Equatable {
    case service(status: Int, code: String, message: String)
    case transport(String)

    /// The text a user sees: the service's message (what the AWS SDKs put in `message`).
    package var message: String {
        switch self {
        case .service(_, _, let message): message
        case .transport(let text): text
        }
    }
}

/// An object being read: its size (when the server said) and its body, chunk by chunk.
package struct S3ObjectBody: Sendable {
    package let contentLength: Int?
    package let body: HTTPClientResponse.Body
}

/// What `PutObject` / `CompleteMultipartUpload` answered.
package struct S3PutResult: Sendable, Equatable {
    package var etag: String
    package var versionID: String?
}

/// The S3 REST calls Lyre needs, signed with SigV4, over the given async-http-client.
/// One value per bucket and credentials; cheap to make.
package struct S3Client: Sendable {
    package let signer: S3RequestSigner
    let http: HTTPClient
    package var location: S3Location { signer.location }

    /// Longest time for one request (a part upload, the start of a download).
    package static let requestTimeout: TimeAmount = .minutes(10)
    /// Longest error body kept (S3's XML errors are a few hundred bytes).
    static let errorBodyLimit = 64 * 1024

    package init(location: S3Location, credentials: S3Credentials, http: HTTPClient) {
        signer = S3RequestSigner(location: location, credentials: credentials)
        self.http = http
    }

    // MARK: Objects

    /// `GetObject`: answers once the headers arrived; the caller reads the body.
    package func getObject(key: String) async throws(S3Error) -> S3ObjectBody {
        let response = try await send("GET", key: key)
        let length = response.headers.first(name: "content-length").flatMap { Int($0) }
        return S3ObjectBody(contentLength: length, body: response.body)
    }

    /// `PutObject` of a whole (small) body.
    package func putObject(key: String, body: [UInt8], contentType: String) async throws(S3Error) -> S3PutResult {
        let response = try await send("PUT", key: key, headers: [("Content-Type", contentType)], body: body)
        _ = try? await response.body.collect(upTo: Self.errorBodyLimit)
        return S3PutResult(etag: response.headers.first(name: "etag") ?? "",
                           versionID: response.headers.first(name: "x-amz-version-id"))
    }

    /// `CreateMultipartUpload`: the upload id.
    package func createMultipartUpload(key: String, contentType: String) async throws(S3Error) -> String {
        let response = try await send("POST", key: key, query: [("uploads", "")], headers: [("Content-Type", contentType)])
        let text = try await Self.text(response)
        guard let id = S3XML.first("UploadId", in: text), !id.isEmpty else {
            throw .transport("CreateMultipartUpload answered without an UploadId")
        }
        return id
    }

    /// `UploadPart`: the part's ETag.
    package func uploadPart(key: String, uploadID: String, partNumber: Int, body: [UInt8]) async throws(S3Error) -> String {
        let response = try await send("PUT", key: key, query: [("partNumber", String(partNumber)), ("uploadId", uploadID)], body: body)
        _ = try? await response.body.collect(upTo: Self.errorBodyLimit)
        return response.headers.first(name: "etag") ?? ""
    }

    /// `CompleteMultipartUpload` with the parts' ETags in order.
    package func completeMultipartUpload(key: String, uploadID: String, etags: [String]) async throws(S3Error) -> S3PutResult {
        var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for (i, etag) in etags.enumerated() {
            xml += "<Part><PartNumber>\(i + 1)</PartNumber><ETag>\(S3XML.escape(etag))</ETag></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        let response = try await send("POST", key: key, query: [("uploadId", uploadID)],
                                      headers: [("Content-Type", "application/xml")], body: Array(xml.utf8))
        let text = try await Self.text(response)
        // S3 may answer 200 with an error document once the body has started (documented).
        if let code = S3XML.first("Code", in: text), S3XML.first("CompleteMultipartUploadResult", in: text) == nil {
            throw .service(status: 200, code: code, message: S3XML.first("Message", in: text) ?? code)
        }
        return S3PutResult(etag: S3XML.first("ETag", in: text) ?? "",
                           versionID: response.headers.first(name: "x-amz-version-id"))
    }

    /// `AbortMultipartUpload`; failures are ignored (the upload is garbage either way).
    package func abortMultipartUpload(key: String, uploadID: String) async {
        if let response = try? await send("DELETE", key: key, query: [("uploadId", uploadID)]) {
            _ = try? await response.body.collect(upTo: Self.errorBodyLimit)
        }
    }

    // MARK: Buckets (for tests and tools)

    /// `CreateBucket`.
    package func createBucket() async throws(S3Error) {
        var body: [UInt8] = []
        if location.region != "us-east-1" {
            body = Array(("<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>"
                          + S3XML.escape(location.region) + "</LocationConstraint></CreateBucketConfiguration>").utf8)
        }
        let response = try await send("PUT", key: nil, body: body)
        _ = try? await response.body.collect(upTo: Self.errorBodyLimit)
    }

    /// `PutBucketVersioning` with `Enabled`.
    package func enableVersioning() async throws(S3Error) {
        let xml = "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Status>Enabled</Status></VersioningConfiguration>"
        let response = try await send("PUT", key: nil, query: [("versioning", "")], body: Array(xml.utf8))
        _ = try? await response.body.collect(upTo: Self.errorBodyLimit)
    }

    // MARK: Transport

    /// Signs and sends one request; a non-2xx answer becomes `S3Error.service` from its XML.
    func send(_ method: String, key: String?, query: [(String, String)] = [], headers extra: [(String, String)] = [],
              body: [UInt8] = []) async throws(S3Error) -> HTTPClientResponse {
        let headers = signer.headers(method, key: key, query: query, headers: extra, body: body)
        var request = HTTPClientRequest(url: location.url(key: key, query: query))
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if !body.isEmpty || method == "PUT" || method == "POST" {
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: Self.requestTimeout)
        } catch {
            throw .transport(Self.describe(error))
        }
        guard (200..<300).contains(response.status.code) else {
            let text = (try? await Self.text(response)) ?? ""
            let code = S3XML.first("Code", in: text) ?? Self.code(for: response.status.code)
            let message = S3XML.first("Message", in: text) ?? Self.message(for: response.status)
            throw .service(status: Int(response.status.code), code: code, message: message)
        }
        return response
    }

    private static func text(_ response: HTTPClientResponse) async throws(S3Error) -> String {
        do {
            let buffer = try await response.body.collect(upTo: errorBodyLimit)
            return String(buffer: buffer)
        } catch {
            throw .transport(describe(error))
        }
    }

    /// Codes S3 would have sent for answers without a body (a HEAD, a proxy's error).
    private static func code(for status: UInt) -> String {
        switch status {
        case 301: "PermanentRedirect"
        case 403: "AccessDenied"
        case 404: "NotFound"
        default: "HTTP\(status)"
        }
    }

    private static func message(for status: HTTPResponseStatus) -> String {
        switch status.code {
        case 403: "Access Denied"
        case 404: "Not Found"
        default: "\(status.code) \(status.reasonPhrase)"
        }
    }

    /// A transport failure in words, never with credentials (they are only in headers).
    static func describe(_ error: any Error) -> String {
        if let client = error as? HTTPClientError {
            switch client {
            case .connectTimeout: return "connection timed out"
            case .readTimeout, .deadlineExceeded, .writeTimeout: return "request timed out"
            case .remoteConnectionClosed: return "connection closed by the server"
            default: break
            }
        }
        let text = String(describing: error)
        if text.contains("onnection refused") || text.contains("connectionRefused") { return "connection refused" }
        if text.contains("resolution") || text.contains("unknownHost") || text.contains("SocketAddressError") {
            return "host not found"
        }
        return text
    }
}

/// Builds the headers of one S3 request, `Authorization` last: `Host`, `x-amz-date`,
/// `x-amz-content-sha256` (the body's SHA-256), the session token when there is one, and
/// the caller's headers, all signed.
package struct S3RequestSigner: Sendable {
    package let location: S3Location
    let credentials: S3Credentials
    /// The signing clock (fixed in tests).
    let now: @Sendable () -> Date

    package init(location: S3Location, credentials: S3Credentials, now: @escaping @Sendable () -> Date = { Date() }) {
        self.location = location
        self.credentials = credentials
        self.now = now
    }

    package func headers(_ method: String, key: String?, query: [(String, String)] = [],
                         headers extra: [(String, String)] = [], body: [UInt8] = []) -> [(String, String)] {
        let payloadHash = body.isEmpty ? SigV4.emptyPayloadHash : SigV4.sha256Hex(body)
        let amzDate = SigV4.amzDate(now())
        var headers: [(String, String)] = [("Host", location.host), ("x-amz-date", amzDate),
                                           ("x-amz-content-sha256", payloadHash)]
        if let token = credentials.sessionToken { headers.append(("x-amz-security-token", token)) }
        headers += extra
        let signed = SigV4.Request(method: method, canonicalURI: location.path(key: key), query: query,
                                   headers: headers, payloadHash: payloadHash)
        headers.append(("Authorization", SigV4.authorization(signed, accessKeyID: credentials.accessKeyID,
                                                             secretAccessKey: credentials.secretAccessKey,
                                                             region: location.region, service: "s3", amzDate: amzDate)))
        return headers
    }
}

/// The little XML S3 answers with: first element text by tag name, entities decoded.
/// S3's documents are flat and small (bounded by `errorBodyLimit`); a full parser would buy nothing.
package enum S3XML {
    // Byte-wise, not by `Character`: a combining mark after `<Code>` joins the `>` into one
    // grapheme, and a `Character` search then missed the tag (found by the s3xml fuzzer).
    package static func first(_ tag: String, in text: String) -> String? {
        let bytes = Array(text.utf8)
        let name = Array(tag.utf8)
        var start: Int
        if let open = find([UInt8(ascii: "<")] + name + [UInt8(ascii: ">")], in: bytes, from: 0) {
            start = open + name.count + 2
        } else if let open = find([UInt8(ascii: "<")] + name + [UInt8(ascii: " ")], in: bytes, from: 0) {
            guard let close = bytes[(open + name.count + 2)...].firstIndex(of: UInt8(ascii: ">")) else { return nil }
            start = close + 1
        } else {
            return nil
        }
        guard let end = find(Array("</".utf8) + name + [UInt8(ascii: ">")], in: bytes, from: start) else { return "" }
        return unescape(String(decoding: bytes[start..<end], as: UTF8.self))
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard haystack.count - start >= needle.count else { return nil }
        for i in start...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
        }
        return nil
    }

    /// Entities decoded in one pass over the scalars (the same as replacing each in turn:
    /// no decoded character can start or complete another entity).
    package static func unescape(_ text: String) -> String {
        guard text.utf8.contains(UInt8(ascii: "&")) else { return text }
        let entities: [(String, String)] = [("&quot;", "\""), ("&apos;", "'"), ("&lt;", "<"), ("&gt;", ">"), ("&#34;", "\""), ("&amp;", "&")]
        var bytes = Array(text.utf8)[...]
        var out: [UInt8] = []
        outer: while let b = bytes.first {
            if b == UInt8(ascii: "&") {
                for (entity, character) in entities where bytes.starts(with: entity.utf8) {
                    out += character.utf8
                    bytes = bytes.dropFirst(entity.utf8.count)
                    continue outer
                }
            }
            out.append(b)
            bytes = bytes.dropFirst()
        }
        return String(decoding: out, as: UTF8.self)
    }

    package static func escape(_ text: String) -> String {
        var out: [UInt8] = []
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "&"): out += "&amp;".utf8
            case UInt8(ascii: "<"): out += "&lt;".utf8
            case UInt8(ascii: ">"): out += "&gt;".utf8
            case UInt8(ascii: "\""): out += "&quot;".utf8
            default: out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
