public import LyreCore
import Foundation

/// `CAST(x AS type)` and `CONVERT(type, x[, style])` (sql-functions.md §5).
public enum SQLCast {
    /// Converts `value` to `type`; `style` applies to `DATE`/`DATETIME` conversions of `CONVERT`.
    /// - Throws: `SQLEvaluationError` for `JSON` of invalid text.
    public static func apply(_ value: Value?, to type: SQLType, style: Value? = nil) throws -> Value? {
        switch type.name {
        case "INT", "INTEGER", "SMALLINT", "BIGINT", "SERIAL", "SMALLSERIAL", "BIGSERIAL":
            return .int(Int64(JS.toInt32(JS.toNumber(value ?? .null))))
        case "NUMBER", "FLOAT", "DECIMAL", "NUMERIC":
            var n = JS.toNumber(value)
            if n.isFinite, let precision = type.parameters.first, precision > 0 {
                n = Double(String(format: "%.\(precision)g", n)) ?? n
            }
            if n.isFinite, type.parameters.count > 1 {
                n = Double(String(format: "%.\(type.parameters[1])f", n)) ?? n
            }
            return SQLNumber.value(n)
        case "STRING", "VARCHAR", "NVARCHAR":
            let s = JS.toString(value ?? .null)
            if let n = type.parameters.first { return .string(prefixUTF16(s, n)) }
            return .string(s)
        case "CHAR", "NCHAR":
            let s = JS.toString(value ?? .null)
            guard let n = type.parameters.first else { return .string(s) }
            let cut = prefixUTF16(s, n)
            return .string(cut + String(repeating: " ", count: max(0, n - cut.utf16.count)))
        case "BOOLEAN":
            return .bool(JS.truthy(value))
        case "JSON":
            guard case .string(let text)? = value else { return value }
            do {
                return try JSON.parse(text)
            } catch {
                throw SQLEvaluationError("CAST AS JSON: invalid JSON text")
            }
        case "DATE", "DATETIME", "DATETIME2":
            let ms: Int64?
            switch value {
            case .int, .double: ms = Int64(JS.toNumber(value).rounded(.towardZero).clampedToInt64)
            case .string(let s)?: ms = DateParsing.parse(s)
            default: ms = nil
            }
            guard let ms else { return .string("Invalid date") }
            if let style = style.map({ Int(JS.toNumber($0)) }), let format = styleFormats[style] {
                return .string(MomentFormat.format(ms, format))
            }
            return .string(MomentFormat.format(ms, type.name == "DATE" ? "YY.MM.DD" : "YYYY.MM.DD HH:mm:ss.SSS"))
        case "MONEY":
            return SQLNumber.value(JS.toNumber(value))
        default:
            return value
        }
    }

    /// `CONVERT` date styles (SQL Server numbering; 1–12 two-digit years, 101–112 four).
    static let styleFormats: [Int: String] = {
        let base: [Int: String] = [
            1: "MM/DD/YY", 2: "YY.MM.DD", 3: "DD/MM/YY", 4: "DD.MM.YY", 5: "DD-MM-YY", 6: "DD MMM YY",
            7: "MMM DD, YY", 8: "HH:mm:ss", 10: "MM-DD-YY", 11: "YY/MM/DD", 12: "YYMMDD",
        ]
        var all = base
        for (k, v) in base where k != 8 { all[k + 100] = v.replacingOccurrences(of: "YY", with: "YYYY") }
        all[108] = "HH:mm:ss"
        return all
    }()

    static func prefixUTF16(_ s: String, _ n: Int) -> String {
        let units = Array(s.utf16)
        return units.count <= n ? s : String(decoding: units[0..<max(0, n)], as: UTF16.self)
    }
}
