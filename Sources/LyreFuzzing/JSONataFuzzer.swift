import LyreCore
import LyreSQL

/// The JSONata parser and evaluator (`SEARCH_JSON`, LyreSQL/Functions/JSONata).
///
/// The input is an expression, optionally followed by a NUL byte and a JSON document to
/// evaluate it on; without one (or when it does not parse) the expression runs on
/// `JSONataFuzzer.document`, a record with nested objects, arrays and mixed types.
///
/// Invariants: no trap (syntax and runtime errors are thrown `LyreError`s); compiling and
/// evaluating is deterministic (two evaluations give the same result); a result is a
/// value JSON can carry (it writes and parses back numerically equal).
enum JSONataFuzzer {
    static let document: Value = [
        "name": "Penny",
        "age": 5,
        "weight": 21.5,
        "tags": ["good", "small", "brown"],
        "owner": ["name": "Kyle", "phones": [["type": "home", "number": "555-1234"], ["type": "work", "number": 42]]],
        "orders": [["id": 1, "price": 9.99, "qty": 3], ["id": 2, "price": 0.5, "qty": 0], ["id": 3, "price": -1, "qty": nil]],
        "flags": [true, false, nil],
        "empty": [:],
        "unicode": "Ünïcödé 🐕",
    ]

    static func run(_ bytes: UnsafeRawBufferPointer) throws(InvariantViolation) {
        let split = bytes.firstIndex(of: 0) ?? bytes.count
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[..<split]), as: UTF8.self)
        var input = document
        if split < bytes.count, let given = try? JSON.parse(UnsafeRawBufferPointer(rebasing: bytes[(split + 1)...])) {
            input = given
        }
        guard let expression = try? JSONataExpression(text) else { return }
        let first = Result { () throws(LyreError) in try expression.evaluate(on: input) }
        let second = Result { () throws(LyreError) in try expression.evaluate(on: input) }
        switch (first, second) {
        case (.success(let a), .success(let b)):
            let same = switch (a, b) {
            case (nil, nil): true
            case (let x?, let y?): ValueModel.identical(x, y)
            default: false
            }
            try check(same, "\(show(text.utf8)) evaluates to \(a.map(ValueModel.describe) ?? "undefined"), then to \(b.map(ValueModel.describe) ?? "undefined")")
            // Ranges may build up to 10⁷ numbers (JSONata's limit): re-reading such a result
            // as JSON would time the harness, not the evaluator.
            if let a, !isLarge(a) {
                let written = JSON.encode(a)
                let back = try? JSON.parse(written)
                try check(back.map { ValueModel.numericallyEqual($0, a) } ?? false,
                          "\(show(text.utf8)) gives \(ValueModel.describe(a)), written as \(show(written)), which does not read back")
            }
        case (.failure(let a), .failure(let b)):
            try check(a.message == b.message, "\(show(text.utf8)) fails with \(a.message), then with \(b.message)")
        default:
            throw InvariantViolation("\(show(text.utf8)) succeeds once and fails once")
        }
    }

    /// Whether `value` holds more than 100,000 array elements in all.
    static func isLarge(_ value: Value) -> Bool {
        var count = 0
        var pending = [value]
        while let next = pending.popLast() {
            switch next {
            case .array(let elements):
                count += elements.count
                if count > 100_000 { return true }
                pending += elements
            case .object(let object): pending += object.entries.map(\.value)
            default: break
            }
        }
        return false
    }
}
