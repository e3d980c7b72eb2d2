import LyreCore
import LyreS3

/// The `s3` object of `import_from_s3` / `export_to_s3` (bulk-and-jobs.md §8, §10): the five
/// fields Harper requires, plus Lyre's optional `endpoint` (an S3-compatible store's URL)
/// and `aws_session_token` (temporary credentials).
struct S3Request: Sendable {
    var credentials: S3Credentials
    var location: S3Location
    var key: String

    static let fields = ["aws_access_key_id", "aws_secret_access_key", "bucket", "key", "region"]

    /// Reads the object. `missing` makes the error text for an absent field (or for the
    /// whole object when `field` is nil); a field present but not a string is an error too.
    static func parse(_ value: Value?, missing: (_ field: String?) -> String) throws -> S3Request {
        guard case .object(let s3)? = value, !s3.isEmpty else { throw LyreError.badRequest(missing(nil)) }
        var texts: [String: String] = [:]
        for field in fields {
            switch s3[field] {
            case .string(let text)? where !text.isEmpty: texts[field] = text
            case nil, .null?, .string?: throw LyreError.badRequest(missing(field))
            default: throw LyreError.badRequest("S3 \(field.replacingOccurrences(of: "_", with: " ")) must be a string")
            }
        }
        var token: String?
        switch s3["aws_session_token"] {
        case nil, .null?: break
        case .string(let text)?: token = text.isEmpty ? nil : text
        default: throw LyreError.badRequest("S3 aws session token must be a string")
        }
        var endpoint: String?
        switch s3["endpoint"] {
        case nil, .null?: endpoint = S3Location.environmentEndpoint()
        case .string(let text)? where S3Location.isValidEndpoint(text): endpoint = text
        default: throw LyreError.badRequest("S3 endpoint must be an http or https URL")
        }
        return S3Request(credentials: S3Credentials(accessKeyID: texts["aws_access_key_id"]!,
                                                    secretAccessKey: texts["aws_secret_access_key"]!,
                                                    sessionToken: token),
                         location: S3Location(bucket: texts["bucket"]!, region: texts["region"]!, endpoint: endpoint),
                         key: texts["key"]!)
    }
}
