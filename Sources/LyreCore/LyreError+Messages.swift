/// Every client-facing error text Lyre produces, in one place, worded as Harper words them.
extension LyreError {
    public static func badRequest(_ message: String) -> LyreError {
        LyreError(.badRequest, status: 400, message)
    }

    public static func validation(_ message: String) -> LyreError {
        LyreError(.validation, status: 400, message)
    }

    /// Several validation failures joined with ". " as Harper joins them.
    public static func validation(_ messages: [String]) -> LyreError {
        LyreError(.validation, status: 400, messages.joined(separator: ". "))
    }

    public static func internalError(_ underlying: (any Error & Sendable)? = nil) -> LyreError {
        LyreError(.internalError, status: 500,
                  "There was an error processing your request. Check logs and try again.",
                  underlying: underlying)
    }

    /// A write that waited longer than `storage.maxTransactionQueueTime` for the writer (503).
    public static let transactionQueueTooLong = LyreError(
        .unavailable, status: 503, "Outstanding write transactions have too long of queue, please try again later")

    public static let invalidJSON = LyreError(.invalidJSON, status: 400, "Invalid JSON.")

    public static let missingOperation = LyreError(
        .badRequest, status: 400, "Request body must include an 'operation' property.")

    public static func operationNotFound(_ name: String) -> LyreError {
        LyreError(.operationNotFound, status: 400, "Operation '\(name)' not found")
    }

    public static func operationNotSupported(_ name: String) -> LyreError {
        LyreError(.operationNotSupported, status: 400, "Operation '\(name)' is not supported")
    }

    public static func databaseNotFound(_ database: String, status: Int = 404) -> LyreError {
        LyreError(.databaseNotFound, status: status, "database '\(database)' does not exist")
    }

    public static func tableNotFound(_ database: String, _ table: String, status: Int = 404) -> LyreError {
        LyreError(.tableNotFound, status: status, "Table '\(database).\(table)' does not exist")
    }

    /// `search_by_conditions`' wording for a missing table (nosql.md §1.1 quirk): 400, no database.
    public static func tableNotFoundForConditions(_ table: String) -> LyreError {
        LyreError(.tableNotFound, status: 400, "Table \(table) not found")
    }

    /// `search_by_conditions` with a `sort` on an attribute the table lacks (404).
    public static func sortAttributeNotDefined(_ attribute: String) -> LyreError {
        LyreError(.attributeNotFound, status: 404, "\(attribute) is not a defined attribute")
    }

    /// Searched or returned attributes the table lacks; `names` is already listed
    /// (`a`, `a and b`, `a, b and c`).
    public static func unknownAttribute(_ names: String) -> LyreError {
        LyreError(.validation, status: 400, "unknown attribute '\(names)'")
    }

    public static func databaseExists(_ database: String) -> LyreError {
        LyreError(.alreadyExists, status: 400, "database '\(database)' already exists")
    }

    public static func tableExists(_ database: String, _ table: String) -> LyreError {
        LyreError(.alreadyExists, status: 400, "Table '\(table)' already exists in '\(database)'")
    }

    public static func attributeExists(_ database: String, _ table: String, _ attribute: String) -> LyreError {
        LyreError(.alreadyExists, status: 400, "attribute '\(attribute)' already exists in \(database).\(table)")
    }

    public static let systemProtected = LyreError(
        .systemProtected, status: 403,
        "The 'system' database, tables and records are used internally by HarperDB and cannot be updated or removed.")

    // Authentication (security.md).
    public static let loginFailed = LyreError(.unauthorized, status: 401, "Login failed")
    public static let mustLogin = LyreError(.unauthorized, status: 401, "Must login")
    public static let invalidToken = LyreError(.unauthorized, status: 401, "invalid token")
    public static let tokenExpired = LyreError(.unauthorized, status: 401, "token expired")
    public static let userInactive = LyreError(.unauthorized, status: 401, "Cannot complete request: User is inactive")

    /// The 403 permission object of security.md §7.
    public static func unauthorized(access: [Value] = [], invalidSchemaItems: [Value] = []) -> LyreError {
        let text = "This operation is not authorized due to role restrictions and/or invalid database items"
        let body: Value = [
            "error": .string(text),
            "unauthorized_access": .array(access),
            "invalid_schema_items": .array(invalidSchemaItems),
        ]
        return LyreError(.forbidden, status: 403, text, body: body)
    }

    /// `Operation '<internalName>' is restricted to 'super_user' roles`, wrapped in the permission object.
    public static func restrictedToSuperUser(_ internalName: String) -> LyreError {
        unauthorized(access: [.string("Operation '\(internalName)' is restricted to 'super_user' roles")])
    }
}

// JSON syntax errors (worded as Node's `JSON.parse` words them; positions are byte offsets).
extension LyreError {
    /// `Unexpected end of JSON input`: the text stopped inside a value.
    public static let jsonUnexpectedEnd = LyreError(.badRequest, status: 400, "Unexpected end of JSON input")

    /// `Unexpected token x in JSON at position 12`.
    public static func jsonUnexpectedToken(_ token: String, position: Int) -> LyreError {
        LyreError(.badRequest, status: 400, "Unexpected token \(token) in JSON at position \(position)")
    }

    /// `Unexpected number in JSON at position 1` (a number where none may stand, or a leading zero).
    public static func jsonUnexpectedNumber(position: Int) -> LyreError {
        LyreError(.badRequest, status: 400, "Unexpected number in JSON at position \(position)")
    }

    /// `Unexpected string in JSON at position 5` (a string where none may stand).
    public static func jsonUnexpectedString(position: Int) -> LyreError {
        LyreError(.badRequest, status: 400, "Unexpected string in JSON at position \(position)")
    }

    /// `Bad control character in string literal in JSON at position 3`.
    public static func jsonBadControlCharacter(position: Int) -> LyreError {
        LyreError(.badRequest, status: 400, "Bad control character in string literal in JSON at position \(position)")
    }

    /// `Bad escaped character in JSON at position 3` (`\x` and the like).
    public static func jsonBadEscape(position: Int) -> LyreError {
        LyreError(.badRequest, status: 400, "Bad escaped character in JSON at position \(position)")
    }

    /// `Bad Unicode escape in JSON at position 3` (`\u` without four hex digits).
    public static func jsonBadUnicodeEscape(position: Int) -> LyreError {
        LyreError(.badRequest, status: 400, "Bad Unicode escape in JSON at position \(position)")
    }

    /// Nesting of arrays/objects deeper than `JSON.maximumDepth`.
    public static func jsonTooDeep(limit: Int, position: Int) -> LyreError {
        LyreError(.badRequest, status: 400, "Maximum nesting depth of \(limit) exceeded in JSON at position \(position)")
    }
}

extension LyreError {
    /// A request body longer than the body limit, or whose parsed form would take more than
    /// what `operationsApi.network.requestMemory` leaves (the HTTP front end's 413 text).
    public static let requestTooLarge = LyreError(.payloadTooLarge, status: 413, "Request body too large")

    /// A file or folder path parameter holding a NUL byte, which no file system accepts and C
    /// APIs would silently cut at (Lyre's wording; Harper fails inside Node's `fs`).
    public static func nulInPath(_ parameter: String) -> LyreError {
        LyreError(.validation, status: 400, "'\(parameter)' must not contain null bytes")
    }
}
