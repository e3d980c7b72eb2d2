import LyreS3

/// The XML of S3's answers (`S3XML`: the first element's text by tag, entities decoded),
/// read from error bodies and multipart answers of any S3-compatible service.
///
/// The input is the document; its first line is also used as a tag name and as element text.
///
/// Invariants: no trap; text escaped as the client escapes it (`escape`) unescapes to
/// itself; an element written around escaped text reads back as that text.
enum S3XMLFuzzer {
    static func run(_ bytes: UnsafeRawBufferPointer) throws(InvariantViolation) {
        let document = String(decoding: bytes, as: UTF8.self)
        let line = String(document.prefix { $0 != "\n" })
        for tag in ["Code", "Message", "UploadId", "ETag", line] where !tag.isEmpty {
            _ = S3XML.first(tag, in: document)
        }
        try check(S3XML.unescape(S3XML.escape(document)) == document, "\(show(document.utf8)) does not survive escaping")
        let element = "<Error><Code>" + S3XML.escape(line) + "</Code><Message>m</Message></Error>"
        try check(S3XML.first("Code", in: element) == line, "\(show(line.utf8)) written as \(show(element.utf8)) reads back as \(String(describing: S3XML.first("Code", in: element)))")
    }
}
