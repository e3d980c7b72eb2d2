/// Streams an object of unknown length to S3 in bounded memory: bytes gather in a buffer;
/// the first time it reaches `partSize` a multipart upload starts and each full buffer
/// goes up as one part (callers append pieces much smaller than a part). An object that never reaches `partSize` is one `PutObject`.
/// At most one part is held at a time.
package struct S3Upload: ~Copyable {
    package let client: S3Client
    package let key: String
    let contentType: String
    /// Bytes per part (S3's minimum is 5 MiB for every part but the last).
    package let partSize: Int
    private var buffer: [UInt8] = []
    private var uploadID: String?
    private var etags: [String] = []
    /// Bytes handed to `append` so far.
    package private(set) var byteCount = 0

    package static let defaultPartSize = 8 * 1024 * 1024
    /// S3 allows at most 10,000 parts.
    package static let maxParts = 10_000

    package init(client: S3Client, key: String, contentType: String, partSize: Int = S3Upload.defaultPartSize) {
        self.client = client
        self.key = key
        self.contentType = contentType
        self.partSize = max(partSize, 5 * 1024 * 1024)
        buffer.reserveCapacity(self.partSize)
    }

    /// Adds `bytes`; once the buffer holds a part, it goes up whole (a part is `partSize`
    /// plus less than one append), so a part is never copied out of the buffer.
    package mutating func append(_ bytes: [UInt8]) async throws(S3Error) {
        buffer.append(contentsOf: bytes)
        byteCount += bytes.count
        if buffer.count >= partSize {
            let part = buffer
            buffer = []
            try await upload(part)
            buffer.reserveCapacity(partSize)
        }
    }

    private mutating func upload(_ part: [UInt8]) async throws(S3Error) {
        if uploadID == nil { uploadID = try await client.createMultipartUpload(key: key, contentType: contentType) }
        guard etags.count < Self.maxParts else {
            throw .transport("the object is larger than \(Self.maxParts) parts of \(partSize) bytes")
        }
        etags.append(try await client.uploadPart(key: key, uploadID: uploadID!, partNumber: etags.count + 1, body: part))
    }

    /// Sends what is left and completes the object.
    package mutating func finish() async throws(S3Error) -> S3PutResult {
        guard uploadID != nil else {
            return try await client.putObject(key: key, body: buffer, contentType: contentType)
        }
        if !buffer.isEmpty {
            let last = buffer
            buffer = []
            try await upload(last)
        }
        return try await client.completeMultipartUpload(key: key, uploadID: uploadID!, etags: etags)
    }

    /// Abandons a started multipart upload (after a failure or a cancellation) so its parts
    /// are not kept (and billed) by the store.
    package func abort() async {
        if let uploadID { await client.abortMultipartUpload(key: key, uploadID: uploadID) }
    }

    /// Whether the upload went multipart (for tests).
    package var isMultipart: Bool { uploadID != nil }
}
