/// `Accept` header negotiation (spec README §1.3).
///
/// Harper serialises responses as JSON, CBOR, MessagePack, CSV, YAML, event streams or
/// plain text. Lyre writes JSON for all of them for now; what matters to clients is that
/// a request naming only unsupported types gets the `406` Harper gives.
enum AcceptNegotiation {
    /// The concrete types Harper lists as supported, in the order its 406 text names them.
    static let supportedTypes = [
        "application/json", "application/cbor", "application/x-msgpack",
        "text/csv", "text/yaml", "text/event-stream", "text/plain",
    ]

    /// The body of the `406` answer.
    static let notAcceptableMessage =
        "No supported content types found in Accept header, supported types include: "
        + supportedTypes.joined(separator: ", ")

    /// Whether a response can be sent for this `Accept` header value.
    /// An absent or blank header accepts anything.
    static func accepts(_ header: String?) -> Bool {
        guard let header else { return true }
        var sawRange = false
        for range in header.split(separator: ",") {
            let mediaType = range.split(separator: ";", maxSplits: 1).first ?? range[...]
            let name = mediaType.trimmingSpaces().lowercased()
            if name.isEmpty { continue }
            sawRange = true
            if name == "*/*" || name == "application/*" || name == "text/*" { return true }
            if supportedTypes.contains(name) { return true }
        }
        return !sawRange
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result = result.dropFirst() }
        while let last = result.last, last == " " || last == "\t" { result = result.dropLast() }
        return result
    }
}
