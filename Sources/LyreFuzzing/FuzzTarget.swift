/// The fuzz targets: each feeds arbitrary bytes to one parser or codec and checks the
/// invariants it documents. libFuzzer (`lyre-fuzz`, `scripts/fuzz`) and the corpus replay
/// tests (`LyreFuzzingTests`) call the same entry points.
///
/// An input may be rejected by the code under test with any thrown error (that is the
/// code's contract for bad input); only a trap in that code or a broken invariant, reported
/// as `InvariantViolation`, is a finding.
///
/// ```swift
/// try FuzzTarget.json.run(Array(#"{"a":[1,2.5e300]}"#.utf8))
/// ```
package enum FuzzTarget: String, CaseIterable, Sendable {
    /// `JSON.parse` and the writer (`LyreCore/JSONReader.swift`, `JSONWriter.swift`).
    case json
    /// The SQL lexer, parser and binder, and the planner and executor on a tiny table.
    case sql
    /// The JSONata parser and evaluator (`search_json`).
    case jsonata
    /// The streaming CSV parser and cell typing (`csv_data_load`).
    case csv
    /// HTTP/1.1 request framing: `RequestHead.parse` and the connection handler.
    case http
    /// `KeyCodec` and `RecordCodec`: round trips, key order, and decoding arbitrary bytes.
    case codec
    /// The linear-time regular-expression engine (`REGEXP`, `LIKE`, `$contains`).
    case regex
    /// NoSQL search requests through the operation layer (conditions, sort, paging).
    case conditions
    /// Date text, moment formats and duration strings.
    case dates
    /// The YAML configuration file.
    case config
    /// `Authorization` headers: Basic credentials and JWT bearer tokens.
    case auth
    /// The XML of S3's answers.
    case s3xml

    /// Runs one input.
    /// - Throws: `InvariantViolation` when an invariant of the target does not hold.
    package func run(_ bytes: UnsafeRawBufferPointer) throws(InvariantViolation) {
        switch self {
        case .json: try JSONFuzzer.run(bytes)
        case .sql: try SQLFuzzer.run(bytes)
        case .jsonata: try JSONataFuzzer.run(bytes)
        case .csv: try CSVFuzzer.run(bytes)
        case .http: try HTTPFuzzer.run(bytes)
        case .codec: try CodecFuzzer.run(bytes)
        case .regex: try RegexFuzzer.run(bytes)
        case .conditions: try ConditionsFuzzer.run(bytes)
        case .dates: try DateFuzzer.run(bytes)
        case .config: try ConfigFuzzer.run(bytes)
        case .auth: try AuthFuzzer.run(bytes)
        case .s3xml: try S3XMLFuzzer.run(bytes)
        }
    }

    package func run(_ bytes: [UInt8]) throws(InvariantViolation) {
        // `withUnsafeBytes` rethrows untyped errors: carry the typed one out in a `Result`.
        let outcome = bytes.withUnsafeBytes { p in Result { () throws(InvariantViolation) in try run(p) } }
        try outcome.get()
    }

    /// Runs one input and traps on a broken invariant, so libFuzzer records it as a crash.
    package func runTrapping(_ bytes: UnsafeRawBufferPointer) {
        do throws(InvariantViolation) {
            try run(bytes)
        } catch {
            fatalError("lyre-fuzz \(rawValue): \(error.description)")
        }
    }
}

/// A broken invariant: what was expected, and what the code under test did instead.
package struct InvariantViolation: Error, Sendable, CustomStringConvertible {
    package let description: String

    package init(_ description: String) {
        self.description = description
    }
}

/// Throws `InvariantViolation(message())` unless `condition` holds.
@inline(__always)
func check(_ condition: Bool, _ message: @autoclosure () -> String) throws(InvariantViolation) {
    if !condition { throw InvariantViolation(message()) }
}

/// A short printable form of bytes for violation messages.
func show(_ bytes: some Collection<UInt8>, limit: Int = 200) -> String {
    let text = String(decoding: bytes.prefix(limit), as: UTF8.self)
    let escaped = text.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? String($0) : $0.escaped(asASCII: true) }.joined()
    return bytes.count > limit ? "\"\(escaped)\"… (\(bytes.count) bytes)" : "\"\(escaped)\""
}
