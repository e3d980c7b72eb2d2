/// The answers the server gives on its own, without the operation layer. Their bodies are
/// fixed JSON texts, so they need no JSON writer.
enum ServerResponses {
    static let notFound = json(#"{"error":"Not Found"}"#)
    static let payloadTooLarge = json(#"{"error":"Request body too large"}"#)
    static let internalError =
        json(#"{"error":"There was an error processing your request. Check logs and try again."}"#)
    static let notAcceptable = json(
        #"{"error":""# + AcceptNegotiation.notAcceptableMessage + #""}"#)
    static let timedOut = json(#"{"error":"Request timed out: still running after operationsApi.network.timeout"}"#)
    static let healthText: [UInt8] = Array("HarperDB is running.".utf8)

    /// CORS pre-flight answer headers (spec README §1.4).
    static let corsAllowMethods = "POST, GET, PUT, DELETE, PATCH, OPTIONS"
    static let corsAllowHeaders = "Accept, Content-Type, Authorization"

    private static func json(_ text: String) -> [UInt8] { Array(text.utf8) }
}
