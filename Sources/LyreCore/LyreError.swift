/// The one error type Lyre answers clients with.
///
/// `status` is the HTTP status, `message` the client-facing text (Harper's exact
/// wording, built by the factories in `LyreError+Messages.swift`), `body` an optional
/// structured body for the few errors that are objects (permission failures, role
/// validation). `underlying` is for logs only and never reaches a client.
public struct LyreError: Error, Sendable, CustomStringConvertible {
    /// A stable name for the condition, so callers can match without comparing texts.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case badRequest, invalidJSON, unauthorized, forbidden, notFound, conflict
            case notAcceptable, payloadTooLarge, internalError, unavailable
            case operationNotFound, operationNotSupported
            case databaseNotFound, tableNotFound, attributeNotFound
            case alreadyExists, validation, systemProtected
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        public static let badRequest = Code(.badRequest)
        public static let invalidJSON = Code(.invalidJSON)
        public static let unauthorized = Code(.unauthorized)
        public static let forbidden = Code(.forbidden)
        public static let notFound = Code(.notFound)
        public static let conflict = Code(.conflict)
        public static let notAcceptable = Code(.notAcceptable)
        public static let payloadTooLarge = Code(.payloadTooLarge)
        public static let internalError = Code(.internalError)
        public static let unavailable = Code(.unavailable)
        public static let operationNotFound = Code(.operationNotFound)
        public static let operationNotSupported = Code(.operationNotSupported)
        public static let databaseNotFound = Code(.databaseNotFound)
        public static let tableNotFound = Code(.tableNotFound)
        public static let attributeNotFound = Code(.attributeNotFound)
        public static let alreadyExists = Code(.alreadyExists)
        public static let validation = Code(.validation)
        public static let systemProtected = Code(.systemProtected)

        public var description: String { base.rawValue }
    }

    public var code: Code
    public var status: Int
    public var message: String
    /// A structured body replacing `{"error": message}`; its `error` member repeats `message`.
    public var body: Value?
    /// The cause, for logs only.
    public var underlying: (any Error & Sendable)?

    public init(_ code: Code, status: Int, _ message: String, body: Value? = nil, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.status = status
        self.message = message
        self.body = body
        self.underlying = underlying
    }

    /// The JSON body sent to the client.
    public var responseBody: Value {
        body ?? .object(JSONObject([("error", .string(message))]))
    }

    public var description: String {
        if let underlying { return "\(code) (\(status)): \(message) — caused by \(underlying)" }
        return "\(code) (\(status)): \(message)"
    }
}
