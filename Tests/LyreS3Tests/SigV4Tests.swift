import Foundation
import LyreS3
import Testing

/// SigV4 against AWS's published vectors: the Signature Version 4 test suite
/// (aws-sig-v4-test-suite: credentials AKIDEXAMPLE, service `service`, us-east-1,
/// 20150830T123600Z) and the worked examples of the S3 API reference
/// ("Signature calculation: transfer payload in a single chunk", examplebucket,
/// 20130524T000000Z). Inputs and expected values are copied from those documents.
@Suite struct SigV4Tests {
    static let suiteKey = "AKIDEXAMPLE"
    static let suiteSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    static let suiteDate = "20150830T123600Z"
    static let s3Key = "AKIAIOSFODNN7EXAMPLE"
    static let s3Secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    static let s3Date = "20130524T000000Z"

    static func suite(_ method: String, path: String = "/", query: [(String, String)] = []) -> String {
        let request = SigV4.Request(method: method, canonicalURI: path, query: query,
                                    headers: [("Host", "example.amazonaws.com"), ("X-Amz-Date", suiteDate)],
                                    payloadHash: SigV4.emptyPayloadHash)
        return SigV4.authorization(request, accessKeyID: suiteKey, secretAccessKey: suiteSecret,
                                   region: "us-east-1", service: "service", amzDate: suiteDate)
    }

    static func signature(_ authorization: String) -> String {
        String(authorization.split(separator: "Signature=").last ?? "")
    }

    @Test func getVanilla() {
        #expect(Self.suite("GET") == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            + "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    }

    @Test func postVanilla() {
        #expect(Self.signature(Self.suite("POST")) == "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b")
    }

    @Test func getVanillaQueryOrderKeyCase() {
        let auth = Self.suite("GET", query: [("Param2", "value2"), ("Param1", "value1")])
        #expect(Self.signature(auth) == "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")
    }

    @Test func getUnreservedCharacters() {
        let path = "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        #expect(SigV4.encode(path, keepSlash: true) == path)
        #expect(Self.signature(Self.suite("GET", path: path)) == "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f")
    }

    @Test func s3GetObjectExample() {
        let request = SigV4.Request(method: "GET", canonicalURI: "/test.txt", headers: [
            ("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9"),
            ("x-amz-content-sha256", SigV4.emptyPayloadHash), ("x-amz-date", Self.s3Date),
        ], payloadHash: SigV4.emptyPayloadHash)
        #expect(SigV4.canonicalRequest(request) == """
            GET
            /test.txt

            host:examplebucket.s3.amazonaws.com
            range:bytes=0-9
            x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            x-amz-date:20130524T000000Z

            host;range;x-amz-content-sha256;x-amz-date
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            """)
        #expect(SigV4.stringToSign(canonicalRequest: SigV4.canonicalRequest(request), amzDate: Self.s3Date,
                                   scope: "20130524/us-east-1/s3/aws4_request") == """
            AWS4-HMAC-SHA256
            20130524T000000Z
            20130524/us-east-1/s3/aws4_request
            7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972
            """)
        let auth = SigV4.authorization(request, accessKeyID: Self.s3Key, secretAccessKey: Self.s3Secret,
                                       region: "us-east-1", service: "s3", amzDate: Self.s3Date)
        #expect(auth == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    @Test func s3PutObjectExampleEncodesTheKeyAndHashesTheBody() {
        let hash = SigV4.sha256Hex(Array("Welcome to Amazon S3.".utf8))
        #expect(hash == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        let request = SigV4.Request(method: "PUT", canonicalURI: "/" + SigV4.encode("test$file.text", keepSlash: true), headers: [
            ("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("Host", "examplebucket.s3.amazonaws.com"),
            ("x-amz-content-sha256", hash), ("x-amz-date", Self.s3Date), ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ], payloadHash: hash)
        #expect(SigV4.canonicalRequest(request).hasPrefix("PUT\n/test%24file.text\n\n"))
        #expect(SigV4.sha256Hex(Array(SigV4.canonicalRequest(request).utf8))
            == "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d")
        let auth = SigV4.authorization(request, accessKeyID: Self.s3Key, secretAccessKey: Self.s3Secret,
                                       region: "us-east-1", service: "s3", amzDate: Self.s3Date)
        #expect(auth.contains("SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, "))
        #expect(Self.signature(auth) == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    /// The S3 reference's "GET Bucket (List Objects)" example, signed through the client's
    /// own header builder: the headers Lyre sends on every request (host, x-amz-date,
    /// x-amz-content-sha256) are exactly the ones that example signs.
    @Test func s3ListObjectsExampleThroughTheRequestSigner() throws {
        let date = try #require(ISO8601DateFormatter().date(from: "2013-05-24T00:00:00Z"))
        let signer = S3RequestSigner(location: S3Location(bucket: "examplebucket", region: "us-east-1"),
                                     credentials: S3Credentials(accessKeyID: Self.s3Key, secretAccessKey: Self.s3Secret),
                                     now: { date })
        let headers = signer.headers("GET", key: nil, query: [("max-keys", "2"), ("prefix", "J")])
        #expect(headers.map(\.0) == ["Host", "x-amz-date", "x-amz-content-sha256", "Authorization"])
        #expect(headers[0].1 == "examplebucket.s3.amazonaws.com")
        #expect(headers[1].1 == "20130524T000000Z")
        #expect(headers[3].1 == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            + "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
            + "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    @Test func credentialsNeverPrintTheSecret() {
        let credentials = S3Credentials(accessKeyID: "AKIA1", secretAccessKey: "very-secret")
        #expect(!String(describing: credentials).contains("very-secret"))
        #expect(!String(reflecting: credentials).contains("very-secret"))
    }

    @Test func encodingFollowsRFC3986() {
        #expect(SigV4.encode("a b+c/d", keepSlash: false) == "a%20b%2Bc%2Fd")
        #expect(SigV4.encode("dir/ключ.csv", keepSlash: true) == "dir/%D0%BA%D0%BB%D1%8E%D1%87.csv")
        #expect(SigV4.canonicalQuery([("uploads", "")]) == "uploads=")
        #expect(SigV4.canonicalQuery([("b", "2"), ("a", "x y"), ("a", "+")]) == "a=%2B&a=x%20y&b=2")
    }
}

@Suite struct S3LocationTests {
    @Test func awsUsesVirtualHostedStyleForDNSNames() {
        let location = S3Location(bucket: "my-bucket", region: "eu-west-1")
        #expect(location.virtualHosted)
        #expect(location.host == "my-bucket.s3.eu-west-1.amazonaws.com")
        #expect(location.url(key: "exports/dogs.csv") == "https://my-bucket.s3.eu-west-1.amazonaws.com/exports/dogs.csv")
        #expect(location.url(key: nil) == "https://my-bucket.s3.eu-west-1.amazonaws.com/")
    }

    @Test func awsUsesPathStyleForDottedOrUpperCaseNames() {
        let dotted = S3Location(bucket: "my.bucket", region: "us-east-1")
        #expect(!dotted.virtualHosted)
        #expect(dotted.url(key: "a b.csv") == "https://s3.amazonaws.com/my.bucket/a%20b.csv")
        #expect(S3Location(bucket: "my.bucket", region: "ap-south-1").url(key: "k") == "https://s3.ap-south-1.amazonaws.com/my.bucket/k")
        #expect(!S3Location(bucket: "MyBucket", region: "us-east-1").virtualHosted)
    }

    @Test func aCustomEndpointUsesPathStyle() {
        let location = S3Location(bucket: "lyre", region: "us-east-1", endpoint: "http://127.0.0.1:9000/")
        #expect(!location.virtualHosted)
        #expect(location.host == "127.0.0.1:9000")
        #expect(location.path(key: "x/y.json") == "/lyre/x/y.json")
        #expect(location.url(key: "x/y.json", query: [("uploadId", "a/b")]) == "http://127.0.0.1:9000/lyre/x/y.json?uploadId=a%2Fb")
        let based = S3Location(bucket: "b", region: "us-east-1", endpoint: "https://store.example/s3")
        #expect(based.url(key: "k") == "https://store.example/s3/b/k")
    }

    @Test func endpointFromTheSDKVariablesInTheirOrder() {
        #expect(S3Location.environmentEndpoint([:]) == nil)
        #expect(S3Location.environmentEndpoint(["AWS_ENDPOINT_URL": "http://a"]) == "http://a")
        #expect(S3Location.environmentEndpoint(["AWS_ENDPOINT_URL": "http://a", "AWS_ENDPOINT_URL_S3": "http://s3"]) == "http://s3")
        #expect(S3Location.isValidEndpoint("http://127.0.0.1:5000"))
        #expect(!S3Location.isValidEndpoint("ftp://x"))
        #expect(!S3Location.isValidEndpoint("not a url"))
    }
}
