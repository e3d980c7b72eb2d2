public import LyreCore

/// Indented JSON for people, as JavaScript's `JSON.stringify(value, null, 2)` writes it:
/// one member or element per line, `"key": value`, empty containers as `{}` / `[]`.
/// Strings and numbers are written exactly as the compact writer (`JSON.write`) writes them.
public enum PrettyJSON {
    public static func string(_ value: Value, indent: Int = 2) -> String {
        var out: [UInt8] = []
        write(value, depth: 0, indent: indent, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private static func write(_ value: Value, depth: Int, indent: Int, into out: inout [UInt8]) {
        switch value {
        case .array(let elements) where !elements.isEmpty:
            out.append(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(depth + 1, indent, &out)
                write(element, depth: depth + 1, indent: indent, into: &out)
            }
            newline(depth, indent, &out)
            out.append(UInt8(ascii: "]"))
        case .object(let object) where !object.isEmpty:
            out.append(UInt8(ascii: "{"))
            for (i, entry) in object.entries.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(depth + 1, indent, &out)
                JSON.writeString(entry.key, into: &out)
                out.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: " ")])
                write(entry.value, depth: depth + 1, indent: indent, into: &out)
            }
            newline(depth, indent, &out)
            out.append(UInt8(ascii: "}"))
        default:
            JSON.write(value, into: &out)
        }
    }

    private static func newline(_ depth: Int, _ indent: Int, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: depth * indent))
    }
}
