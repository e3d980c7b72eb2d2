public import LyreCore

/// The request body of `lyre <operation> key=value ...`, built as Harper's CLI builds it
/// (`harperdb describe_table database=dev table=dog`).
///
/// Each argument is `key=value`, split at the first `=`. A value that is a JSON text
/// (`1`, `2.5`, `true`, `false`, `null`, `[1,2]`, `{"a":1}`, `"007"`) becomes that JSON
/// value; anything else (`dev`, `007`, `Penny Lane`, an empty value) is taken as a string.
/// Quoting a value as a JSON string (`id='"1"'`) keeps it a string.
///
/// ```swift
/// try OperationArguments.request(operation: "search_by_id",
///                                arguments: ["database=dev", "table=dog", "ids=[1,2]"])
/// // {"operation":"search_by_id","database":"dev","table":"dog","ids":[1,2]}
/// ```
public enum OperationArguments {
    /// A malformed argument; `description` is the message to print.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    /// The value of one `key=value` argument: its JSON value when it parses, else the text.
    public static func value(_ text: String) -> Value {
        // Only texts that can start a JSON value are tried, so ordinary words never pay
        // for a failed parse (and never surprise: `true1` stays a string).
        guard let first = text.unicodeScalars.first(where: { !" \t\n\r".unicodeScalars.contains($0) }),
              "-0123456789[{\"tfn".unicodeScalars.contains(first),
              let parsed = try? JSON.parse(text)
        else { return .string(text) }
        return parsed
    }

    /// Splits `key=value`.
    public static func pair(_ argument: String) throws(Failure) -> (key: String, value: Value) {
        guard let equals = argument.firstIndex(of: "=") else {
            throw Failure("'\(argument)' is not key=value (e.g. database=dev)")
        }
        let key = String(argument[..<equals])
        guard !key.isEmpty else { throw Failure("'\(argument)' has no key before '='") }
        return (key, value(String(argument[argument.index(after: equals)...])))
    }

    /// The request object: `operation` first, then the arguments in the order given.
    public static func request(operation: String, arguments: [String]) throws(Failure) -> Value {
        guard !operation.isEmpty else { throw Failure("the operation name is empty") }
        var object = JSONObject()
        object["operation"] = .string(operation)
        for argument in arguments {
            let (key, value) = try pair(argument)
            if key == "operation" {
                throw Failure("give the operation as the first argument, not as operation=")
            }
            guard object[key] == nil else { throw Failure("'\(key)' is given more than once") }
            object[key] = value
        }
        return .object(object)
    }
}
