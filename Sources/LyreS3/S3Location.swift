import Foundation

/// Where a bucket is and how its objects are addressed.
///
/// - On AWS (no custom endpoint): virtual-hosted style,
///   `https://<bucket>.s3.<region>.amazonaws.com/<key>` (`s3.amazonaws.com` in us-east-1), for bucket names that are valid
///   DNS labels without dots (a dotted name would not match the `*.s3…` certificate);
///   otherwise path style, `https://s3.<region>.amazonaws.com/<bucket>/<key>`.
/// - With a custom endpoint (an S3-compatible store: MinIO, Ceph, moto): always path style,
///   `<endpoint>/<bucket>/<key>`, which those stores accept without wildcard DNS.
package struct S3Location: Sendable, Equatable {
    package let bucket: String
    package let region: String
    /// scheme://host[:port][/base path], without a trailing slash; nil for AWS.
    package let endpoint: String?

    package init(bucket: String, region: String, endpoint: String? = nil) {
        self.bucket = bucket
        self.region = region
        self.endpoint = endpoint.map { e in
            var e = e
            while e.hasSuffix("/") { e.removeLast() }
            return e
        }
    }

    /// The endpoint Lyre uses when a request names none: the AWS SDKs' variables,
    /// `AWS_ENDPOINT_URL_S3`, then `AWS_ENDPOINT_URL`; nil (AWS) when neither is set.
    package static func environmentEndpoint(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        for name in ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"] {
            if let value = environment[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty { return value }
        }
        return nil
    }

    /// True for an absolute http(s) URL with a host and no query or fragment.
    package static func isValidEndpoint(_ text: String) -> Bool {
        guard let c = URLComponents(string: text), let scheme = c.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = c.host, !host.isEmpty, c.query == nil, c.fragment == nil, c.user == nil else { return false }
        return c.port.map { (0...65_535).contains($0) } ?? true  // as csv_url: the client trapped past 65535
    }

    /// Virtual-hosted style applies: AWS, and a bucket name that is a plain DNS label.
    package var virtualHosted: Bool {
        guard endpoint == nil else { return false }
        let b = bucket.utf8
        guard (3...63).contains(b.count), let first = b.first, let last = b.last else { return false }
        func alnum(_ c: UInt8) -> Bool { (0x61...0x7A).contains(c) || (0x30...0x39).contains(c) }
        return alnum(first) && alnum(last) && b.allSatisfy { alnum($0) || $0 == UInt8(ascii: "-") }
    }

    /// scheme://host[:port] and the path prefix before the key.
    private var base: (origin: String, host: String, prefix: String) {
        if let endpoint, let c = URLComponents(string: endpoint), let scheme = c.scheme, let host = c.host {
            let hostPort = c.port.map { "\(host):\($0)" } ?? host
            return ("\(scheme)://\(hostPort)", hostPort, c.percentEncodedPath + "/" + SigV4.encode(bucket))
        }
        if virtualHosted {
            let host = "\(bucket).\(serviceHost)"
            return ("https://\(host)", host, "")
        }
        return ("https://\(serviceHost)", serviceHost, "/" + SigV4.encode(bucket))
    }

    /// S3's host in the region: `s3.<region>.amazonaws.com`; for us-east-1 the original
    /// `s3.amazonaws.com` (as the S3 reference's examples and the SDKs' default use).
    var serviceHost: String {
        region == "us-east-1" ? "s3.amazonaws.com" : "s3.\(region).amazonaws.com"
    }

    /// The `Host` header value.
    package var host: String { base.host }

    /// The encoded path of `key` (the bucket's root when nil), as sent and signed.
    package func path(key: String?) -> String {
        let prefix = base.prefix
        guard let key else { return prefix.isEmpty ? "/" : prefix }
        return prefix + "/" + SigV4.encode(key, keepSlash: true)
    }

    /// The full URL of a request.
    package func url(key: String?, query: [(String, String)] = []) -> String {
        let q = SigV4.canonicalQuery(query)
        return base.origin + path(key: key) + (q.isEmpty ? "" : "?" + q)
    }

    /// The object's URL as the upload result's `Location`.
    package func objectURL(key: String) -> String { url(key: key) }
}
