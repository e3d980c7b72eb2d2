internal import Foundation
internal import LyreCore

/// Evaluates a ``JSONataNode`` over an input, following JSONata 1.8's `evaluate` with its
/// sequence semantics (sql-functions.md §8.2). One evaluator per evaluation; not shared.
struct JSONataEvaluator {
    /// The top-level input: the original document (`$$`).
    let root: JSONataValue?
    /// Nested `evaluate` calls in progress, shared by the copies of this evaluator.
    let depth = Depth()

    /// How many `evaluate` calls may be nested: the parse bounds the tree, but a lambda
    /// that calls itself (`$f := function($n) { $f($n + 1) }`) recurses at run time.
    static let maximumDepth = 1_000

    final class Depth {
        var value = 0
    }

    /// Evaluates a whole expression over a JSON input and returns its JSON result.
    static func run(_ node: JSONataNode, on value: Value) throws(JSONataError) -> Value? {
        var input = JSONataValue.json(value)
        if case .array = value {
            // JSONata wraps a top-level array in a one-item sequence so it is one input.
            input = .sequence([input], .outerWrapper)
        }
        let evaluator = JSONataEvaluator(root: .json(value))
        let frame = JSONataFrame(parent: nil)
        frame.bind("$", .json(value))
        let result = try evaluator.evaluate(node, input, frame)
        return result?.toValue()
    }

    func evaluate(_ node: JSONataNode, _ input: JSONataValue?, _ frame: JSONataFrame) throws(JSONataError) -> JSONataValue? {
        depth.value += 1
        defer { depth.value -= 1 }
        guard depth.value <= Self.maximumDepth else {
            // jsonata-js's text for the same condition (there: the JavaScript stack's).
            throw JSONataError("U1001", "Stack overflow error: Check for non-terminating recursive function.  Consider rewriting as tail-recursive. (limit \(Self.maximumDepth) nested evaluations)")
        }
        let result = try evaluateNode(node, input, frame)
        return Self.collapse(result)
    }

    /// A sequence of no items is undefined; of one item (unless kept) is that item.
    static func collapse(_ value: JSONataValue?) -> JSONataValue? {
        guard case .array(let items, let flags)? = value, flags.contains(.sequence) else { return value }
        if items.isEmpty { return nil }
        if items.count == 1 && !flags.contains(.keepSingleton) { return items[0] }
        return value
    }

    private func evaluateNode(_ node: JSONataNode, _ input: JSONataValue?, _ frame: JSONataFrame) throws(JSONataError) -> JSONataValue? {
        switch node {
        case .path(let path):
            return try evaluatePath(path, input, frame)
        case .name(let name):
            return Self.lookup(input, name)
        case .string(let s):
            return .json(.string(s))
        case .number(let n):
            return .number(n)
        case .literal(let v):
            return .json(v)
        case .wildcard:
            return Self.wildcard(input)
        case .variable(let name):
            if name.isEmpty {
                if case .array(let items, let flags)? = input, flags.contains(.outerWrapper), let first = items.first {
                    return first
                }
                return input
            }
            if let bound = frame.lookup(name) { return bound }
            if JSONataFunctions.exists(name) { return .function(.builtin(name)) }
            return nil
        case .regex(let pattern, let flags):
            return .function(.regex(pattern: pattern, flags: flags))
        case .binary(let op, let lhsNode, let rhsNode):
            return try evaluateBinary(op, lhsNode, rhsNode, input, frame)
        case .negate(let operand):
            guard let value = try evaluate(operand, input, frame) else { return nil }
            guard let n = value.number else {
                throw JSONataError("D1002", "Cannot negate a non-numeric value: \(Self.describe(value))")
            }
            return .number(-n)
        case .array(let itemNodes, let cons):
            var items: [JSONataValue] = []
            for item in itemNodes {
                guard let value = try evaluate(item, input, frame) else { continue }
                if case .array(_, cons: _) = item {
                    items.append(value)
                } else if let elements = value.arrayItems {
                    items.append(contentsOf: elements)
                } else {
                    items.append(value)
                }
            }
            return .array(items, cons ? .cons : [])
        case .object(let pairs):
            return try evaluateGroup(pairs, input, frame)
        case .group(let inner, let pairs):
            let value = try evaluate(inner, input, frame)
            return try evaluateGroup(pairs, value, frame)
        case .filtered(let inner, let predicates):
            var value = try evaluate(inner, input, frame)
            for predicate in predicates {
                value = try evaluateFilter(predicate, value, frame)
            }
            return value
        case .keepArray(let inner):
            guard let value = try evaluate(inner, input, frame) else { return nil }
            if value.isSequence { return .array(value.arrayItems ?? [], value.flags.union(.keepSingleton)) }
            if value.isArray { return value }
            return .sequence([value], .keepSingleton)
        case .call(let callee, let argNodes):
            let procedure = try evaluate(callee, input, frame)
            var args: [JSONataValue?] = []
            for argNode in argNodes {
                args.append(try evaluate(argNode, input, frame))
            }
            return try apply(procedure, args, input, frame, callee: callee)
        case .lambda(let parameters, let body):
            return .function(.lambda(parameters: parameters, body: body, input: input, frame: frame))
        case .condition(let test, let then, let otherwise):
            let condition = try evaluate(test, input, frame)
            if JSONataFunctions.boolean(condition) == true {
                return try evaluate(then, input, frame)
            }
            if let otherwise { return try evaluate(otherwise, input, frame) }
            return nil
        case .block(let expressions):
            let scope = JSONataFrame(parent: frame)
            var result: JSONataValue?
            for expression in expressions {
                result = try evaluate(expression, input, scope)
            }
            return result
        case .bind(let name, let valueNode):
            let value = try evaluate(valueNode, input, frame)
            frame.bind(name, value)
            return value
        case .apply(let lhsNode, let rhsNode):
            let lhs = try evaluate(lhsNode, input, frame)
            if case .call(let callee, let argNodes) = rhsNode {
                let procedure = try evaluate(callee, input, frame)
                var args: [JSONataValue?] = [lhs]
                for argNode in argNodes { args.append(try evaluate(argNode, input, frame)) }
                return try apply(procedure, args, input, frame, callee: callee)
            }
            let procedure = try evaluate(rhsNode, input, frame)
            return try apply(procedure, [lhs], input, frame, callee: rhsNode)
        }
    }

    // MARK: Paths

    private func evaluatePath(_ path: JSONataPath, _ input: JSONataValue?, _ frame: JSONataFrame) throws(JSONataError) -> JSONataValue? {
        var inputSequence: [JSONataValue?]
        if Self.isVariable(path.steps[0].node) {
            // A path starting with `$`, `$$` or `$name` is absolute: its input is not iterated.
            inputSequence = [input]
        } else if let items = input?.arrayItems {
            inputSequence = items
        } else {
            inputSequence = [input]
        }
        var result: JSONataValue = .sequence()
        for (index, step) in path.steps.enumerated() {
            if index == 0, case .array(_, cons: true) = step.node {
                result = try evaluate(step.node, .sequence(inputSequence.compactMap { $0 }), frame) ?? .sequence()
            } else {
                result = try evaluateStep(step, inputSequence, frame, lastStep: index == path.steps.count - 1)
            }
            guard let items = result.arrayItems, !items.isEmpty else { break }
            inputSequence = items
        }
        if path.keepSingletonArray {
            switch result {
            case .array(let items, let flags):
                if flags.contains(.cons) && !flags.contains(.sequence) {
                    result = .sequence([result], .keepSingleton)
                } else {
                    result = .array(items, flags.union(.keepSingleton))
                }
            case .json(.array(let items)):
                result = .sequence(items.map { .json($0) }, .keepSingleton)
            default:
                result = .sequence([result], .keepSingleton)
            }
        }
        return result
    }

    private static func isVariable(_ node: JSONataNode) -> Bool {
        switch node {
        case .variable: true
        case .filtered(let inner, _), .keepArray(let inner): isVariable(inner)
        default: false
        }
    }

    private func evaluateStep(_ step: JSONataStep, _ inputs: [JSONataValue?], _ frame: JSONataFrame, lastStep: Bool) throws(JSONataError) -> JSONataValue {
        var results: [JSONataValue] = []
        for item in inputs {
            var res = try evaluate(step.node, item, frame)
            for stage in step.stages {
                res = try evaluateFilter(stage, res, frame)
            }
            if let res { results.append(res) }
        }
        if lastStep, results.count == 1, results[0].isArray, !results[0].isSequence {
            return results[0]
        }
        var flattened: [JSONataValue] = []
        for res in results {
            if let items = res.arrayItems, !res.flags.contains(.cons) {
                flattened.append(contentsOf: items)
            } else {
                flattened.append(res)
            }
        }
        return .sequence(flattened)
    }

    private func evaluateFilter(_ predicate: JSONataNode, _ input: JSONataValue?, _ frame: JSONataFrame) throws(JSONataError) -> JSONataValue? {
        let items: [JSONataValue?] = input?.arrayItems ?? [input]
        if case .number(let n) = predicate {
            var index = Int(exactly: n.rounded(.down)) ?? Int.max
            if index < 0 { index += items.count }
            guard index >= 0, index < items.count, let item = items[index] else { return .sequence() }
            if item.isArray { return item }
            return .sequence([item])
        }
        var results: [JSONataValue] = []
        for (index, item) in items.enumerated() {
            var res = try evaluate(predicate, item, frame)
            if let n = res?.number { res = .sequence([.number(n)]) }
            if let res, let numbers = res.arrayItems, numbers.allSatisfy({ $0.number != nil }) {
                for number in numbers {
                    var i = Int(exactly: number.number!.rounded(.down)) ?? Int.max
                    if i < 0 { i += items.count }
                    if i == index, let item { results.append(item) }
                }
            } else if JSONataFunctions.boolean(res) == true, let item {
                results.append(item)
            }
        }
        return .sequence(results)
    }

    static func lookup(_ input: JSONataValue?, _ key: String) -> JSONataValue? {
        guard let input else { return nil }
        if let items = input.arrayItems {
            var result: [JSONataValue] = []
            for item in items {
                guard let res = lookup(item, key) else { continue }
                if let elements = res.arrayItems {
                    result.append(contentsOf: elements)
                } else {
                    result.append(res)
                }
            }
            return .sequence(result)
        }
        if case .json(.object(let object)) = input, let value = object[key] {
            return .json(value)
        }
        return nil
    }

    private static func wildcard(_ input: JSONataValue?) -> JSONataValue? {
        guard var input else { return .sequence() }
        if case .array(let items, let flags) = input, flags.contains(.outerWrapper), let first = items.first {
            input = first
        }
        var results: [JSONataValue] = []
        func add(_ value: JSONataValue) {
            if value.isArray { flatten(value, into: &results) } else { results.append(value) }
        }
        if case .json(.object(let object)) = input {
            for entry in object.entries { add(.json(entry.value)) }
        } else if let items = input.arrayItems {
            for item in items { add(item) }
        }
        return .sequence(results)
    }

    private static func flatten(_ value: JSONataValue, into results: inout [JSONataValue]) {
        if let items = value.arrayItems {
            for item in items { flatten(item, into: &results) }
        } else {
            results.append(value)
        }
    }

    // MARK: Object construction

    private func evaluateGroup(_ pairs: [JSONataPair], _ input: JSONataValue?, _ frame: JSONataFrame) throws(JSONataError) -> JSONataValue {
        var items: [JSONataValue?] = input?.arrayItems ?? [input]
        if items.isEmpty { items = [nil] }
        // key → (pair index, accumulated context)
        var groups: [(key: String, pair: Int, data: JSONataValue?)] = []
        for item in items {
            for (pairIndex, pair) in pairs.enumerated() {
                guard let key = try evaluate(pair.key, item, frame) else { continue }
                guard let keyString = key.string else {
                    throw JSONataError("T1003", "Key in object structure must evaluate to a string; got: \(Self.describe(key))")
                }
                if let g = groups.firstIndex(where: { $0.key == keyString }) {
                    guard groups[g].pair == pairIndex else {
                        throw JSONataError("D1009", "Multiple key definitions evaluate to same key: \(keyString)")
                    }
                    groups[g].data = JSONataFunctions.append(groups[g].data, item)
                } else {
                    groups.append((keyString, pairIndex, item))
                }
            }
        }
        var object = JSONObject()
        for group in groups {
            if let value = try evaluate(pairs[group.pair].value, group.data, frame), let json = value.toValue() {
                object.appendUnchecked(group.key, json)
            }
        }
        return .json(.object(object))
    }

    // MARK: Operators

    private func evaluateBinary(_ op: String, _ lhsNode: JSONataNode, _ rhsNode: JSONataNode, _ input: JSONataValue?, _ frame: JSONataFrame) throws(JSONataError) -> JSONataValue? {
        let lhs = try evaluate(lhsNode, input, frame)
        if op == "and" {
            guard JSONataFunctions.boolean(lhs) == true else { return .json(.bool(false)) }
            return .json(.bool(JSONataFunctions.boolean(try evaluate(rhsNode, input, frame)) == true))
        }
        if op == "or" {
            if JSONataFunctions.boolean(lhs) == true { return .json(.bool(true)) }
            return .json(.bool(JSONataFunctions.boolean(try evaluate(rhsNode, input, frame)) == true))
        }
        let rhs = try evaluate(rhsNode, input, frame)
        switch op {
        case "+", "-", "*", "/", "%":
            if let lhs, lhs.number == nil {
                throw JSONataError("T2001", "The left side of the \"\(op)\" operator must evaluate to a number")
            }
            if let rhs, rhs.number == nil {
                throw JSONataError("T2002", "The right side of the \"\(op)\" operator must evaluate to a number")
            }
            guard let l = lhs?.number, let r = rhs?.number else { return nil }
            let result: Double
            switch op {
            case "+": result = l + r
            case "-": result = l - r
            case "*": result = l * r
            case "/": result = l / r
            default: result = l.truncatingRemainder(dividingBy: r)
            }
            guard result.isFinite else {
                throw JSONataError("D1001", "Number out of range: \(JSONataFormat.number(result))")
            }
            return .number(result)
        case "=", "!=":
            guard let lhs, let rhs, let l = lhs.toValue(), let r = rhs.toValue() else {
                return .json(.bool(false))
            }
            let equal = !lhs.isFunction && !rhs.isFunction && l.jsonataEquals(r)
            return .json(.bool(op == "=" ? equal : !equal))
        case "<", "<=", ">", ">=":
            let lComparable = lhs == nil || lhs?.string != nil || lhs?.number != nil
            let rComparable = rhs == nil || rhs?.string != nil || rhs?.number != nil
            guard lComparable && rComparable else {
                throw JSONataError("T2010", "The expressions either side of operator \"\(op)\" must evaluate to numeric or string values")
            }
            guard let lhs, let rhs else { return nil }
            let ordered: (Bool, Bool)   // (less, equal)
            if let l = lhs.number, let r = rhs.number {
                ordered = (l < r, l == r)
            } else if let l = lhs.string, let r = rhs.string {
                // JavaScript compares strings by UTF-16 code units.
                let lu = Array(l.utf16), ru = Array(r.utf16)
                ordered = (lu.lexicographicallyPrecedes(ru), lu == ru)
            } else {
                throw JSONataError("T2009", "The values \(Self.describe(lhs)) and \(Self.describe(rhs)) either side of operator \"\(op)\" must be of the same data type")
            }
            switch op {
            case "<": return .json(.bool(ordered.0))
            case "<=": return .json(.bool(ordered.0 || ordered.1))
            case ">": return .json(.bool(!ordered.0 && !ordered.1))
            default: return .json(.bool(!ordered.0))
            }
        case "in":
            guard let lhs, let rhs, case .json(let l) = lhs else { return .json(.bool(false)) }
            let candidates = rhs.arrayItems ?? [rhs]
            for candidate in candidates {
                if case .json(let c) = candidate, Self.strictEquals(l, c) { return .json(.bool(true)) }
            }
            return .json(.bool(false))
        case "&":
            let l = try lhs.map { (v) throws(JSONataError) in try JSONataFunctions.string(v) } ?? ""
            let r = try rhs.map { (v) throws(JSONataError) in try JSONataFunctions.string(v) } ?? ""
            return .json(.string(l + r))
        case "..":
            if let lhs, lhs.number.map({ $0 == $0.rounded() }) != true {
                throw JSONataError("T2003", "The left side of the range operator (..) must evaluate to an integer")
            }
            if let rhs, rhs.number.map({ $0 == $0.rounded() }) != true {
                throw JSONataError("T2004", "The right side of the range operator (..) must evaluate to an integer")
            }
            guard let l = lhs?.number, let r = rhs?.number else { return nil }
            guard l <= r else { return nil }
            guard r - l < 10_000_000 else {
                throw JSONataError("D2014", "The size of the sequence allocated by the range operator (..) must not exceed 1e7")
            }
            return .array(stride(from: l, through: r, by: 1).map { .number($0) }, [])
        default:
            throw JSONataError("S0201", "Syntax error: \"\(op)\"")
        }
    }

    /// JavaScript `===` on JSON values: scalars by value, arrays and objects never equal.
    private static func strictEquals(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.array, _), (.object, _): return false
        default: return a.jsonataEquals(b)
        }
    }

    static func describe(_ value: JSONataValue) -> String {
        if case .function = value { return "function" }
        return value.toValue().map(JSONataFormat.stringify) ?? "undefined"
    }

    // MARK: Functions

    func apply(_ procedure: JSONataValue?, _ args: [JSONataValue?], _ input: JSONataValue?, _ frame: JSONataFrame, callee: JSONataNode) throws(JSONataError) -> JSONataValue? {
        guard case .function(let function)? = procedure else {
            var name = ""
            if case .variable(let v) = callee { name = "$" + v }
            throw JSONataError("T1006", "Attempted to invoke a non-function\(name.isEmpty ? "" : ": " + name)")
        }
        switch function {
        case .builtin(let name):
            return Self.collapse(try JSONataFunctions.call(name, args, context: input, evaluator: self, frame: frame))
        case .lambda(let parameters, let body, let lambdaInput, let lambdaFrame):
            let scope = JSONataFrame(parent: lambdaFrame)
            for (i, parameter) in parameters.enumerated() {
                scope.bind(parameter, i < args.count ? args[i] : nil)
            }
            return try evaluate(body, lambdaInput, scope)
        case .regex:
            throw JSONataError("T1006", "Attempted to invoke a non-function: a regular expression")
        }
    }
}
