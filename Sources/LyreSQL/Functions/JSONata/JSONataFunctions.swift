internal import Foundation
internal import LyreCore

/// JSONata's built-in functions (the minimum set of sql-functions.md §8.2 and a few more),
/// with JSONata 1.8's argument rules: an undefined argument mostly gives an undefined result,
/// array parameters accept a single value as a one-item array, and string functions called
/// with too few arguments use the context value as their first argument.
enum JSONataFunctions {
    /// Functions whose first parameter defaults to the context, with their required arity.
    private static let contextual: [String: Int] = [
        "string": 1, "length": 1, "substring": 2, "substringBefore": 2, "substringAfter": 2,
        "uppercase": 1, "lowercase": 1, "trim": 1, "contains": 2, "split": 2, "replace": 3,
        "number": 1, "boolean": 1, "not": 1,
    ]

    private static let others: Set<String> = [
        "count", "sum", "max", "min", "average", "join", "exists", "sort", "distinct", "reverse",
        "keys", "round", "floor", "ceil", "abs", "sqrt", "power", "map", "filter", "append",
        "lookup", "merge",
    ]

    static func exists(_ name: String) -> Bool {
        contextual[name] != nil || others.contains(name)
    }

    static func call(_ name: String, _ arguments: [JSONataValue?], context: JSONataValue?,
                     evaluator: JSONataEvaluator, frame: JSONataFrame) throws(JSONataError) -> JSONataValue? {
        var args = arguments
        if let required = contextual[name], args.count < required {
            var ctx = context
            if case .array(let items, let flags)? = ctx, flags.contains(.outerWrapper), let first = items.first { ctx = first }
            args.insert(ctx, at: 0)
        }
        func arg(_ i: Int) -> JSONataValue? { i < args.count ? args[i] : nil }
        let f = Signature(name: name)

        switch name {
        // Aggregates
        case "count":
            guard let a = arg(0) else { return .number(0) }
            return .number(Double((a.arrayItems ?? [a]).count))
        case "sum", "max", "min", "average":
            guard let a = arg(0) else { return nil }
            let items = a.arrayItems ?? [a]
            var numbers: [Double] = []
            for item in items {
                guard let n = item.number else {
                    throw JSONataError("T0412", "Argument 1 of function \"\(name)\" must be an array of numbers")
                }
                numbers.append(n)
            }
            switch name {
            case "sum": return .number(try finite(numbers.reduce(0, +)))
            case "max": return numbers.max().map { .number($0) }
            case "min": return numbers.min().map { .number($0) }
            default: return numbers.isEmpty ? nil : .number(try finite(numbers.reduce(0, +) / Double(numbers.count)))
            }

        // Strings
        case "string":
            guard let a = arg(0) else { return nil }
            return .json(.string(try string(a)))
        case "length":
            guard let s = try f.string(arg(0), 1) else { return nil }
            return .number(Double(s.unicodeScalars.count))
        case "uppercase":
            return try f.string(arg(0), 1).map { .json(.string($0.uppercased())) }
        case "lowercase":
            return try f.string(arg(0), 1).map { .json(.string($0.lowercased())) }
        case "trim":
            guard let s = try f.string(arg(0), 1) else { return nil }
            return .json(.string(trim(s)))
        case "substring":
            guard let s = try f.string(arg(0), 1) else { return nil }
            guard let start = try f.number(arg(1), 2) else {
                throw f.mismatch(2)
            }
            return .json(.string(substring(s, start: start, length: try f.number(arg(2), 3))))
        case "substringBefore", "substringAfter":
            guard let s = try f.string(arg(0), 1) else { return nil }
            guard let chars = try f.string(arg(1), 2) else { return .json(.string(s)) }
            guard let range = s.range(of: chars) else { return .json(.string(s)) }
            return .json(.string(name == "substringBefore" ? String(s[..<range.lowerBound]) : String(s[range.upperBound...])))
        case "contains":
            guard let s = try f.string(arg(0), 1) else { return nil }
            if case .function(.regex(let pattern, let flags))? = arg(1) {
                return .json(.bool(try compileRegex(pattern, flags).search(s)))
            }
            guard let token = try f.string(arg(1), 2) else { throw f.mismatch(2) }
            return .json(.bool(token.isEmpty || s.contains(token)))
        case "split":
            guard let s = try f.string(arg(0), 1) else { return nil }
            guard let separator = try f.string(arg(1), 2) else { throw f.mismatch(2) }
            var parts: [String]
            if separator.isEmpty {
                parts = s.utf16.indices.map { String(s.utf16[$0...$0]) ?? "" }
            } else {
                parts = s.components(separatedBy: separator)
            }
            if let limit = try f.number(arg(2), 3) {
                guard limit >= 0 else { throw JSONataError("D3020", "Third argument of split function must evaluate to a positive number") }
                parts = Array(parts.prefix(integer(limit)))
            }
            return .json(.array(parts.map { .string($0) }))
        case "replace":
            guard let s = try f.string(arg(0), 1) else { return nil }
            guard let pattern = try f.string(arg(1), 2) else { throw f.mismatch(2) }
            guard !pattern.isEmpty else { throw JSONataError("D3010", "Second argument of replace function cannot be an empty string") }
            guard let replacement = try f.string(arg(2), 3) else { throw f.mismatch(3) }
            return .json(.string(s.replacingOccurrences(of: pattern, with: replacement)))
        case "join":
            guard let a = arg(0) else { return nil }
            var strings: [String] = []
            for item in a.arrayItems ?? [a] {
                guard let s = item.string else {
                    throw JSONataError("T0412", "Argument 1 of function \"join\" must be an array of strings")
                }
                strings.append(s)
            }
            return .json(.string(strings.joined(separator: try f.string(arg(1), 2) ?? "")))

        // Numbers
        case "number":
            guard let a = arg(0) else { return nil }
            if let n = a.number { return .number(n) }
            switch a {
            case .json(.bool(let b)): return .number(b ? 1 : 0)
            case .json(.string(let s)):
                if isNumberText(s), let n = Double(s), n.isFinite { return .number(n) }
            default: break
            }
            throw JSONataError("D3030", "Unable to cast value to a number: \(JSONataEvaluator.describe(a))")
        case "round":
            guard let n = try f.number(arg(0), 1) else { return nil }
            // Past ±1,000 digits every double rounds to itself, 0 or an infinity.
            let precision = max(-1_000, min(1_000, integer(try f.number(arg(1), 2) ?? 0)))
            return .number(try finite(round(n, precision: precision)))
        case "floor", "ceil", "abs", "sqrt":
            guard let n = try f.number(arg(0), 1) else { return nil }
            switch name {
            case "floor": return .number(n.rounded(.down))
            case "ceil": return .number(n.rounded(.up))
            case "abs": return .number(abs(n))
            default:
                guard n >= 0 else { throw JSONataError("D3060", "The sqrt function cannot be applied to a negative number: \(JSONataFormat.number(n))") }
                return .number(n.squareRoot())
            }
        case "power":
            guard let base = try f.number(arg(0), 1) else { return nil }
            guard let exponent = try f.number(arg(1), 2) else { throw f.mismatch(2) }
            let result = pow(base, exponent)
            guard result.isFinite else {
                throw JSONataError("D3061", "The power function has resulted in a value that cannot be represented as a JSON number")
            }
            return .number(result)

        // Booleans
        case "boolean":
            return boolean(arg(0)).map { .json(.bool($0)) }
        case "not":
            return boolean(arg(0)).map { .json(.bool(!$0)) }
        case "exists":
            return .json(.bool(arg(0) != nil))

        // Arrays and objects
        case "append":
            return append(arg(0), arg(1))
        case "reverse":
            guard let a = arg(0) else { return nil }
            guard let items = a.arrayItems else { return a }
            return .array(items.reversed(), [])
        case "distinct":
            guard let a = arg(0) else { return nil }
            guard let items = a.arrayItems, items.count > 1 else { return a }
            var seen: [Value] = []
            var result: [JSONataValue] = []
            for item in items {
                guard let v = item.toValue() else { result.append(item); continue }
                if !seen.contains(where: { $0.jsonataEquals(v) }) {
                    seen.append(v)
                    result.append(item)
                }
            }
            return .sequence(result)
        case "keys":
            guard let a = arg(0) else { return nil }
            var keys: [String] = []
            for item in a.arrayItems ?? [a] {
                if case .json(.object(let object)) = item {
                    for key in object.keys where !keys.contains(key) { keys.append(key) }
                }
            }
            return .sequence(keys.map { .json(.string($0)) })
        case "lookup":
            return JSONataEvaluator.lookup(arg(0), try f.string(arg(1), 2) ?? "")
        case "merge":
            guard let a = arg(0) else { return nil }
            var merged = JSONObject()
            for item in a.arrayItems ?? [a] {
                guard case .json(.object(let object)) = item else { throw f.mismatch(1) }
                for entry in object.entries { merged[entry.key] = entry.value }
            }
            return .json(.object(merged))
        case "sort":
            guard let a = arg(0) else { return nil }
            let items = a.arrayItems ?? [a]
            guard items.count > 1 else { return a }
            let comparator = arg(1)
            if let comparator {
                guard comparator.isFunction else { throw f.mismatch(2) }
                return .array(try mergeSort(items) { (x, y) throws(JSONataError) in
                    boolean(try evaluator.apply(comparator, [x, y], nil, frame, callee: .variable("sort"))) == true
                }, [])
            }
            if items.allSatisfy({ $0.number != nil }) {
                return .array(try mergeSort(items) { x, y in x.number! > y.number! }, [])
            }
            if items.allSatisfy({ $0.string != nil }) {
                return .array(try mergeSort(items) { x, y in
                    Array(y.string!.utf16).lexicographicallyPrecedes(Array(x.string!.utf16))
                }, [])
            }
            throw JSONataError("D3070", "The single argument form of the sort function can only be applied to an array of strings or an array of numbers.  Use the second argument to specify a comparison function")
        case "map", "filter":
            guard let a = arg(0) else { return nil }
            let items = a.arrayItems ?? [a]
            guard let function = arg(1), case .function(let callable) = function else { throw f.mismatch(2) }
            var result: [JSONataValue] = []
            for (index, item) in items.enumerated() {
                let callArgs: [JSONataValue?] = Array([item, .number(Double(index)), .array(items, [])].prefix(max(1, callable.arity)))
                let res = try evaluator.apply(function, callArgs, nil, frame, callee: .variable(name))
                if name == "map" {
                    if let res { result.append(res) }
                } else if boolean(res) == true {
                    result.append(item)
                }
            }
            return .sequence(result)
        default:
            throw JSONataError("T1006", "Attempted to invoke a non-function: $\(name)")
        }
    }

    // MARK: Shared semantics

    /// JSONata's `$boolean`: `nil` for undefined.
    static func boolean(_ value: JSONataValue?) -> Bool? {
        guard let value else { return nil }
        if let items = value.arrayItems {
            if items.count == 1 { return boolean(items[0]) }
            return items.contains { boolean($0) == true }
        }
        switch value {
        case .function: return false
        case .json(let v):
            switch v {
            case .null: return false
            case .bool(let b): return b
            case .int(let i): return i != 0
            case .double(let d): return d != 0 && !d.isNaN
            case .string(let s): return !s.isEmpty
            case .object(let o): return !o.isEmpty
            case .array: return false
            }
        case .array: return false
        }
    }

    /// JSONata's `$string` of a defined value.
    static func string(_ value: JSONataValue) throws(JSONataError) -> String {
        switch value {
        case .json(.string(let s)): return s
        case .function: return ""
        case .json(.double(let d)) where !d.isFinite:
            throw JSONataError("D3001", "Attempting to invoke string function on Infinity or NaN")
        default:
            var v = value
            if case .array(let items, let flags) = value, flags.contains(.outerWrapper), let first = items.first { v = first }
            return JSONataFormat.stringify(v.toValue() ?? .null)
        }
    }

    /// `fn.append`: concatenation where single values count as one-item arrays.
    static func append(_ a: JSONataValue?, _ b: JSONataValue?) -> JSONataValue? {
        guard let a else { return b }
        guard let b else { return a }
        let first = a.arrayItems ?? [a]
        let second = b.arrayItems ?? [b]
        return .array(first + second, a.isArray ? [] : .sequence)
    }

    private static func substring(_ s: String, start: Double, length: Double?) -> String {
        let chars = Array(s.unicodeScalars)
        let count = chars.count
        var start = integer(start)
        if count + start < 0 { start = 0 }
        func sliceIndex(_ i: Int) -> Int { i < 0 ? max(count + i, 0) : min(i, count) }
        let from = sliceIndex(start)
        var to = count
        if let length {
            if length <= 0 { return "" }
            let len = integer(length)
            to = sliceIndex(start >= 0 ? start + len : count + start + len)
        }
        guard from < to else { return "" }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: chars[from..<to])
        return String(out)
    }

    private static func trim(_ s: String) -> String {
        var out = ""
        var pendingSpace = false
        for scalar in s.unicodeScalars {
            if scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r" {
                pendingSpace = true
            } else {
                if pendingSpace && !out.isEmpty { out += " " }
                pendingSpace = false
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// `/^-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?$/`, as JSONata 1.8's `$number`.
    private static func isNumberText(_ s: String) -> Bool {
        var chars = Array(s.utf8)[...]
        func digits(_ chars: inout ArraySlice<UInt8>) -> Bool {
            var any = false
            while let c = chars.first, c >= 48 && c <= 57 { chars.removeFirst(); any = true }
            return any
        }
        if chars.first == UInt8(ascii: "-") { chars.removeFirst() }
        guard digits(&chars) else { return false }
        if chars.first == UInt8(ascii: ".") {
            chars.removeFirst()
            guard digits(&chars) else { return false }
        }
        if chars.first == UInt8(ascii: "e") || chars.first == UInt8(ascii: "E") {
            chars.removeFirst()
            if chars.first == UInt8(ascii: "+") || chars.first == UInt8(ascii: "-") { chars.removeFirst() }
            guard digits(&chars) else { return false }
        }
        return chars.isEmpty
    }

    /// JSONata's `$round`: half to even, with the decimal shift done on the text of the number.
    /// A result JSON can hold: an overflowing sum (`$sum([1e308, 1e308])`) or rounding
    /// (`$round(2.5, 716)`) is JSONata's D1001, as for arithmetic, not an infinity that
    /// would be written as `null` (found by the jsonata fuzz target).
    /// A number as an index or count, toward zero and clamped to ±2^53 so the index
    /// arithmetic after it cannot overflow (`Int(_:)` trapped on
    /// `$substring("abc", -9223372036854775808, 9223372036854775807)`); NaN is 0.
    static func integer(_ value: Double) -> Int {
        guard !value.isNaN else { return 0 }
        return Int(max(-9_007_199_254_740_992, min(9_007_199_254_740_992, value.rounded(.towardZero))))
    }

    static func finite(_ value: Double) throws(JSONataError) -> Double {
        guard value.isFinite else { throw JSONataError("D1001", "Number out of range: \(JSONataFormat.number(value))") }
        return value
    }

    static func round(_ value: Double, precision: Int) -> Double {
        func shift(_ x: Double, _ by: Int) -> Double {
            let text = JSONataFormat.number(x)
            let parts = text.split(separator: "e", maxSplits: 1)
            let exponent = (parts.count > 1 ? Int(parts[1]) ?? 0 : 0) + by
            return Double(parts[0] + "e" + String(exponent)) ?? x
        }
        var arg = value
        if precision != 0 { arg = shift(arg, precision) }
        var result = (arg + 0.5).rounded(.down)   // Math.round
        if arg - arg.rounded(.down) < 0.5 && result > arg { result -= 1 }
        let diff = result - arg
        if abs(diff) == 0.5 && abs(result.truncatingRemainder(dividingBy: 2)) == 1 {
            result -= 1
        }
        if precision != 0 { result = shift(result, -precision) }
        return result == 0 ? 0 : result
    }

    private static func mergeSort(_ items: [JSONataValue], _ swap: (JSONataValue, JSONataValue) throws(JSONataError) -> Bool) throws(JSONataError) -> [JSONataValue] {
        guard items.count > 1 else { return items }
        let middle = items.count / 2
        let left = try mergeSort(Array(items[..<middle]), swap)
        let right = try mergeSort(Array(items[middle...]), swap)
        var result: [JSONataValue] = []
        result.reserveCapacity(items.count)
        var i = 0, j = 0
        while i < left.count && j < right.count {
            if try swap(left[i], right[j]) {
                result.append(right[j]); j += 1
            } else {
                result.append(left[i]); i += 1
            }
        }
        result.append(contentsOf: left[i...])
        result.append(contentsOf: right[j...])
        return result
    }

    private static func compileRegex(_ pattern: String, _ flags: String) throws(JSONataError) -> SQLPattern.Compiled {
        do {
            return try SQLPattern.matcher(pattern, flags: flags)
        } catch {
            throw JSONataError("S0302", "Invalid regular expression: /\(pattern)/")
        }
    }

    /// Argument checking for one function, with JSONata's T0410 text.
    private struct Signature {
        let name: String

        func mismatch(_ index: Int) -> JSONataError {
            JSONataError("T0410", "Argument \(index) of function \"\(name)\" does not match function signature")
        }

        func string(_ value: JSONataValue?, _ index: Int) throws(JSONataError) -> String? {
            guard let value else { return nil }
            guard let s = value.string else { throw mismatch(index) }
            return s
        }

        func number(_ value: JSONataValue?, _ index: Int) throws(JSONataError) -> Double? {
            guard let value else { return nil }
            guard let n = value.number else { throw mismatch(index) }
            return n
        }
    }
}
