/// moment.js `format()` for the English locale over an instant in a fixed UTC offset
/// (sql-functions.md §7.4), implemented by hand so no locale data is involved.
public enum MomentFormat {
    static let months = ["January", "February", "March", "April", "May", "June", "July",
                         "August", "September", "October", "November", "December"]
    static let weekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

    /// Long-date tokens, expanded before formatting (moment's `expandFormat`).
    static let longDateFormats: [String: String] = [
        "LTS": "h:mm:ss A", "LT": "h:mm A", "L": "MM/DD/YYYY", "LL": "MMMM D, YYYY",
        "LLL": "MMMM D, YYYY h:mm A", "LLLL": "dddd, MMMM D, YYYY h:mm A",
        "l": "M/D/YYYY", "ll": "MMM D, YYYY", "lll": "MMM D, YYYY h:mm A", "llll": "ddd, MMM D, YYYY h:mm A",
    ]

    /// Formats `milliseconds` since the epoch with `format`, shown at `offsetMinutes` from UTC.
    ///
    /// ```swift
    /// MomentFormat.format(1524412627973, "dddd Do MMMM YYYY")   // "Sunday 22nd April 2018"
    /// ```
    public static func format(_ milliseconds: Int64, _ format: String, offsetMinutes: Int = 0) -> String {
        let t = CivilTime(milliseconds: milliseconds, offsetMinutes: offsetMinutes)
        let chars = Array(expand(format))
        var out = ""
        var i = 0
        while i < chars.count {
            if chars[i] == "[" {
                // Literal text up to the next `]` (moment: `\[[^\[]*\]`).
                if let close = chars[(i + 1)...].firstIndex(of: "]"), !chars[(i + 1)..<close].contains("[") {
                    out += String(chars[(i + 1)..<close])
                    i = close + 1
                    continue
                }
            }
            if chars[i] == "\\", i + 1 < chars.count {
                out.append(chars[i + 1])
                i += 2
                continue
            }
            let token = matchToken(chars, at: i)
            if let rendered = render(token, t, milliseconds: milliseconds, offsetMinutes: offsetMinutes) {
                out += rendered
            } else {
                out += token
            }
            i += token.count
        }
        return out
    }

    /// Replaces `LT`, `LTS`, `L`…`LLLL`, `l`…`llll` outside brackets by their expansions.
    static func expand(_ format: String) -> String {
        let chars = Array(format)
        var out = ""
        var i = 0
        while i < chars.count {
            if chars[i] == "[", let close = chars[(i + 1)...].firstIndex(of: "]") {
                out += String(chars[i...close])
                i = close + 1
                continue
            }
            if chars[i] == "\\", i + 1 < chars.count {
                out += String(chars[i...(i + 1)])
                i += 2
                continue
            }
            var matched: String?
            for candidate in ["LTS", "LT", "LLLL", "LLL", "LL", "L", "llll", "lll", "ll", "l"] {
                let n = candidate.count
                if i + n <= chars.count, String(chars[i..<(i + n)]) == candidate { matched = candidate; break }
            }
            if let matched {
                out += longDateFormats[matched]!
                i += matched.count
            } else {
                out.append(chars[i])
                i += 1
            }
        }
        return out
    }

    /// The token at `i`, following the alternation order of moment's formatting regex.
    static func matchToken(_ chars: [Character], at i: Int) -> String {
        func has(_ s: String) -> Bool {
            let n = s.count
            return i + n <= chars.count && String(chars[i..<(i + n)]) == s
        }
        func run(of c: Character, max: Int) -> Int {
            var n = 0
            while i + n < chars.count, chars[i + n] == c, n < max { n += 1 }
            return n
        }
        for fixed in ["Hmmss", "Hmm", "hmmss", "hmm", "Mo"] where has(fixed) { return fixed }
        if chars[i] == "M" { return String(repeating: "M", count: run(of: "M", max: 4)) }
        if has("Do") { return "Do" }
        if has("DDDo") { return "DDDo" }
        if chars[i] == "D" { return String(repeating: "D", count: run(of: "D", max: 4)) }
        if has("dddd") { return "dddd" }
        if has("ddd") { return "ddd" }
        if has("dd") { return "dd" }
        if has("do") { return "do" }
        if has("wo") { return "wo" }
        if has("ww") { return "ww" }
        if has("Wo") { return "Wo" }
        if has("WW") { return "WW" }
        if has("Qo") { return "Qo" }
        if chars[i] == "N" { return String(repeating: "N", count: run(of: "N", max: 5)) }
        for fixed in ["YYYYYY", "YYYYY", "YYYY", "YY"] where has(fixed) { return fixed }
        if chars[i] == "y" {
            let n = run(of: "y", max: 4)
            if n >= 2 { return String(repeating: "y", count: n) }
            if has("yo") { return "yo" }
            return "y"
        }
        for fixed in ["ggggg", "gggg", "gg", "GGGGG", "GGGG", "GG", "hh", "HH", "kk", "mm", "ss", "zz", "ZZ"] where has(fixed) {
            return fixed
        }
        if chars[i] == "S" { return String(repeating: "S", count: run(of: "S", max: 9)) }
        return String(chars[i])
    }

    static func pad(_ n: Int, _ width: Int, forceSign: Bool = false) -> String {
        let digits = String(Swift.abs(n))
        let padded = digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
        return (n < 0 ? "-" : forceSign ? "+" : "") + padded
    }

    /// English ordinal suffix: `1st 2nd 3rd 4th … 11th 12th 13th … 21st`.
    public static func ordinal(_ n: Int) -> String {
        let b = n % 10
        let suffix = (n % 100) / 10 == 1 ? "th" : b == 1 ? "st" : b == 2 ? "nd" : b == 3 ? "rd" : "th"
        return "\(n)\(suffix)"
    }

    static func offsetText(_ minutes: Int, separator: String) -> String {
        let sign = minutes < 0 ? "-" : "+"
        let m = Swift.abs(minutes)
        return sign + pad(m / 60, 2) + separator + pad(m % 60, 2)
    }

    // swiftlint:disable:next cyclomatic_complexity
    static func render(_ token: String, _ t: CivilTime, milliseconds: Int64, offsetMinutes: Int) -> String? {
        let hour12 = t.hour % 12 == 0 ? 12 : t.hour % 12
        let eraYear = t.year > 0 ? t.year : 1 - t.year
        switch token {
        case "M": return String(t.month)
        case "Mo": return ordinal(t.month)
        case "MM": return pad(t.month, 2)
        case "MMM": return String(months[t.month - 1].prefix(3))
        case "MMMM": return months[t.month - 1]
        case "Q": return String((t.month + 2) / 3)
        case "Qo": return ordinal((t.month + 2) / 3)
        case "D": return String(t.day)
        case "Do": return ordinal(t.day)
        case "DD": return pad(t.day, 2)
        case "DDD": return String(t.dayOfYear)
        case "DDDo": return ordinal(t.dayOfYear)
        case "DDDD": return pad(t.dayOfYear, 3)
        case "d": return String(t.weekday)
        case "do": return ordinal(t.weekday)
        case "dd": return String(weekdays[t.weekday].prefix(2))
        case "ddd": return String(weekdays[t.weekday].prefix(3))
        case "dddd": return weekdays[t.weekday]
        case "e": return String(t.weekday)
        case "E": return String(t.weekday == 0 ? 7 : t.weekday)
        case "w": return String(t.week(dow: 0, doy: 6).week)
        case "wo": return ordinal(t.week(dow: 0, doy: 6).week)
        case "ww": return pad(t.week(dow: 0, doy: 6).week, 2)
        case "W": return String(t.week(dow: 1, doy: 4).week)
        case "Wo": return ordinal(t.week(dow: 1, doy: 4).week)
        case "WW": return pad(t.week(dow: 1, doy: 4).week, 2)
        case "Y": return t.year <= 9999 ? pad(t.year, 4) : "+\(t.year)"
        case "YY": return pad(Swift.abs(t.year) % 100, 2)
        case "YYYY": return pad(t.year, 4)
        case "YYYYY": return pad(t.year, 5)
        case "YYYYYY": return pad(t.year, 6, forceSign: true)
        case "gg": return pad(Swift.abs(t.week(dow: 0, doy: 6).year) % 100, 2)
        case "gggg": return pad(t.week(dow: 0, doy: 6).year, 4)
        case "ggggg": return pad(t.week(dow: 0, doy: 6).year, 5)
        case "GG": return pad(Swift.abs(t.week(dow: 1, doy: 4).year) % 100, 2)
        case "GGGG": return pad(t.week(dow: 1, doy: 4).year, 4)
        case "GGGGG": return pad(t.week(dow: 1, doy: 4).year, 5)
        case "N", "NN", "NNN", "NNNNN": return t.year > 0 ? "AD" : "BC"
        case "NNNN": return t.year > 0 ? "Anno Domini" : "Before Christ"
        case "y": return String(eraYear)
        case "yo": return ordinal(eraYear)
        case "yy": return pad(eraYear, 2)
        case "yyy": return pad(eraYear, 3)
        case "yyyy": return pad(eraYear, 4)
        case "A": return t.hour < 12 ? "AM" : "PM"
        case "a": return t.hour < 12 ? "am" : "pm"
        case "H": return String(t.hour)
        case "HH": return pad(t.hour, 2)
        case "h": return String(hour12)
        case "hh": return pad(hour12, 2)
        case "k": return String(t.hour == 0 ? 24 : t.hour)
        case "kk": return pad(t.hour == 0 ? 24 : t.hour, 2)
        case "m": return String(t.minute)
        case "mm": return pad(t.minute, 2)
        case "s": return String(t.second)
        case "ss": return pad(t.second, 2)
        case "Hmm": return String(t.hour) + pad(t.minute, 2)
        case "Hmmss": return String(t.hour) + pad(t.minute, 2) + pad(t.second, 2)
        case "hmm": return String(hour12) + pad(t.minute, 2)
        case "hmmss": return String(hour12) + pad(t.minute, 2) + pad(t.second, 2)
        case "z": return offsetMinutes == 0 ? "UTC" : ""
        case "zz": return offsetMinutes == 0 ? "Coordinated Universal Time" : ""
        case "Z": return offsetText(offsetMinutes, separator: ":")
        case "ZZ": return offsetText(offsetMinutes, separator: "")
        case "X": return String(CivilTime.floorDiv(milliseconds, 1000))
        case "x": return String(milliseconds)
        default:
            if token.allSatisfy({ $0 == "S" }) {
                let n = token.count
                switch n {
                case 1: return String(t.millisecond / 100)
                case 2: return pad(t.millisecond / 10, 2)
                default: return pad(t.millisecond, 3) + String(repeating: "0", count: n - 3)
                }
            }
            return nil
        }
    }
}
