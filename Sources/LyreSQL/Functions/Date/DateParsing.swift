public import LyreCore

/// Turns a date argument into milliseconds since the epoch (sql-functions.md §7.1).
public enum DateParsing {
    /// The instant a date argument denotes.
    ///
    /// - `nil` (omitted argument or literal `NULL`) → now (quirk, keep);
    /// - a number → milliseconds, fraction truncated toward zero;
    /// - a string → ISO 8601, RFC 2822, then a few JavaScript `Date` forms, as UTC when the
    ///   text has no offset;
    /// - anything else (`.null` column, unparseable text) → `nil`, an *invalid date*.
    public static func instant(_ value: Value?, context: FunctionContext) -> Int64? {
        switch value {
        case nil: return Int64(context.now().rounded(.down))
        // JavaScript's dates end at ±8.64e15 ms: a number past them is an invalid date, as
        // in Harper, and every date computation below stays far from Int64's limits
        // (`DATE_DIFF(9223372036854775807, -1)` trapped on the subtraction).
        case .int(let i)?: return i.magnitude <= 8_640_000_000_000_000 ? i : nil
        case .double(let d)?:
            guard d.isFinite, abs(d) < 8.64e15 else { return nil }
            return Int64(d.rounded(.towardZero))
        case .string(let s)?: return parse(s)
        default: return nil
        }
    }

    /// Parses date text; `nil` when no supported form matches.
    public static func parse(_ text: String) -> Int64? {
        let s = JS.trimWhitespace(text)
        return parseISO(s) ?? parseRFC2822(s) ?? parseLoose(s)
    }

    // MARK: ISO 8601 (moment's ISO parser forms)

    static func parseISO(_ s: String) -> Int64? {
        var c = Scanner(s)
        guard let year = c.digits(exactly: 4) else { return nil }
        var ms: Int64
        if c.eat("-") {
            if c.eat("W") {
                // Week date: YYYY-Www[-D].
                guard let week = c.digits(exactly: 2) else { return nil }
                var weekday = 1
                if c.eat("-") {
                    guard let d = c.digits(exactly: 1) else { return nil }
                    weekday = d
                }
                ms = isoWeekDate(year: year, week: week, weekday: weekday)
            } else if let doy = c.peekDigits(exactly: 3) {
                // Ordinal date: YYYY-DDD.
                _ = c.digits(exactly: 3)
                guard doy >= 1, doy <= CivilTime.daysInYear(year) else { return nil }
                ms = CivilTime.milliseconds(year: year, month: 1, day: doy)
            } else {
                guard let month = c.digits(exactly: 2), (1...12).contains(month) else { return nil }
                var day = 1
                if c.eat("-") {
                    guard let d = c.digits(exactly: 2), d >= 1, d <= CivilTime.daysInMonth(year: year, month: month) else { return nil }
                    day = d
                }
                ms = CivilTime.milliseconds(year: year, month: month, day: day)
            }
        } else if let month = c.digits(exactly: 2), let day = c.digits(exactly: 2) {
            guard (1...12).contains(month), day >= 1, day <= CivilTime.daysInMonth(year: year, month: month) else { return nil }
            ms = CivilTime.milliseconds(year: year, month: month, day: day)
        } else {
            return nil
        }
        if c.atEnd { return ms }
        guard c.eat("T") || c.eat(" ") else { return nil }
        guard let time = parseTime(&c) else { return nil }
        ms += time
        if c.atEnd { return ms }
        guard let offset = parseOffset(&c), c.atEnd else { return nil }
        return ms - Int64(offset) * 60_000
    }

    /// `HH[:mm[:ss[.SSS…]]]` or `HHmm[ss]`; milliseconds into the day.
    static func parseTime(_ c: inout Scanner) -> Int64? {
        guard let hour = c.digits(exactly: 2), hour <= 24 else { return nil }
        var minute = 0, second = 0, millisecond = 0
        if c.eat(":") {
            guard let m = c.digits(exactly: 2), m < 60 else { return nil }
            minute = m
            if c.eat(":") {
                guard let sec = c.digits(exactly: 2), sec < 60 else { return nil }
                second = sec
                if c.eat(".") || c.eat(",") {
                    guard let fraction = c.fraction() else { return nil }
                    millisecond = fraction
                }
            }
        } else if let m = c.digits(exactly: 2) {
            minute = m
            if let sec = c.digits(exactly: 2) { second = sec }
        }
        if hour == 24, minute != 0 || second != 0 || millisecond != 0 { return nil }
        return Int64(hour) * 3_600_000 + Int64(minute) * 60_000 + Int64(second) * 1000 + Int64(millisecond)
    }

    /// `Z`, `±HH:mm`, `±HHmm`, `±HH`; minutes east of UTC.
    static func parseOffset(_ c: inout Scanner) -> Int? {
        if c.eat("Z") || c.eat("z") { return 0 }
        let sign: Int
        if c.eat("+") { sign = 1 } else if c.eat("-") { sign = -1 } else { return nil }
        guard let h = c.digits(exactly: 2) else { return nil }
        var m = 0
        if c.eat(":") {
            guard let mm = c.digits(exactly: 2) else { return nil }
            m = mm
        } else if let mm = c.digits(exactly: 2) {
            m = mm
        }
        return sign * (h * 60 + m)
    }

    static func isoWeekDate(year: Int, week: Int, weekday: Int) -> Int64 {
        // Monday of ISO week 1 is the Monday on or before January 4th.
        let jan4 = CivilTime.days(fromYear: year, month: 1, day: 4)
        let jan4Weekday = Int(((jan4 % 7) + 11) % 7) // 0 = Sunday
        let isoJan4 = jan4Weekday == 0 ? 7 : jan4Weekday
        let week1Monday = jan4 - Int64(isoJan4 - 1)
        return (week1Monday + Int64((week - 1) * 7 + (weekday - 1))) * CivilTime.msPerDay
    }

    // MARK: RFC 2822

    static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    static let zoneOffsets: [String: Int] = [
        "UT": 0, "GMT": 0, "Z": 0, "EST": -300, "EDT": -240, "CST": -360, "CDT": -300,
        "MST": -420, "MDT": -360, "PST": -480, "PDT": -420,
    ]

    /// `[Ddd, ]D Mon YYYY HH:mm[:ss] zone`.
    static func parseRFC2822(_ s: String) -> Int64? {
        var words = s.split(whereSeparator: { $0 == " " }).map(String.init)
        if let first = words.first, first.hasSuffix(",") { words.removeFirst() }
        guard words.count == 5,
              let day = Int(words[0]), (1...31).contains(day),
              let monthIndex = monthNames.firstIndex(of: words[1].lowercased()),
              let year = Int(words[2]), words[2].count >= 2 else { return nil }
        let fullYear = words[2].count == 2 ? (year < 50 ? 2000 + year : 1900 + year) : year
        // JavaScript's years end at 275,760; a longer year overflowed the milliseconds.
        guard fullYear.magnitude <= 275_760, day <= CivilTime.daysInMonth(year: fullYear, month: monthIndex + 1) else { return nil }
        let timeParts = words[3].split(separator: ":").map { Int($0) }
        guard timeParts.count == 2 || timeParts.count == 3, !timeParts.contains(nil) else { return nil }
        let hms = timeParts.map { $0! }
        guard hms.allSatisfy({ (0..<100).contains($0) }) else { return nil }
        let offset: Int
        if let zone = zoneOffsets[words[4].uppercased()] {
            offset = zone
        } else {
            var c = Scanner(words[4])
            guard let o = parseOffset(&c), c.atEnd else { return nil }
            offset = o
        }
        let ms = CivilTime.milliseconds(year: fullYear, month: monthIndex + 1, day: day,
                                        hour: hms[0], minute: hms[1], second: hms.count == 3 ? hms[2] : 0)
        return ms - Int64(offset) * 60_000
    }

    // MARK: JavaScript Date fallbacks

    static let fullMonthNames = ["january", "february", "march", "april", "may", "june", "july",
                                 "august", "september", "october", "november", "december"]

    /// `YYYY-M-D` / `YYYY/M/D` with an optional time, and `Month D, YYYY` / `Mon D YYYY`.
    static func parseLoose(_ s: String) -> Int64? {
        var c = Scanner(s)
        if let year = c.digits(min: 4, max: 4), c.eat("-") || c.eat("/"),
           let month = c.digits(min: 1, max: 2), c.eat("-") || c.eat("/"),
           let day = c.digits(min: 1, max: 2) {
            guard (1...12).contains(month), day >= 1, day <= CivilTime.daysInMonth(year: year, month: month) else { return nil }
            var ms = CivilTime.milliseconds(year: year, month: month, day: day)
            if c.atEnd { return ms }
            guard c.eat(" ") || c.eat("T"), let time = parseLooseTime(&c) else { return nil }
            ms += time
            if c.atEnd { return ms }
            _ = c.eat(" ")
            guard let offset = parseOffset(&c), c.atEnd else { return nil }
            return ms - Int64(offset) * 60_000
        }
        // Month D, YYYY [time]
        let words = s.replacingCommas().split(separator: " ").map(String.init)
        guard words.count >= 3 else { return nil }
        let name = words[0].lowercased()
        guard let month = fullMonthNames.firstIndex(where: { $0 == name || ($0.hasPrefix(name) && name.count >= 3) }),
              let day = Int(words[1]), let year = Int(words[2]), year.magnitude <= 275_760,
              day >= 1, day <= CivilTime.daysInMonth(year: year, month: month + 1) else { return nil }
        var ms = CivilTime.milliseconds(year: year, month: month + 1, day: day)
        if words.count == 3 { return ms }
        guard words.count == 4 else { return nil }
        var t = Scanner(words[3])
        guard let time = parseLooseTime(&t), t.atEnd else { return nil }
        ms += time
        return ms
    }

    static func parseLooseTime(_ c: inout Scanner) -> Int64? {
        guard let hour = c.digits(min: 1, max: 2), hour < 24, c.eat(":"),
              let minute = c.digits(exactly: 2), minute < 60 else { return nil }
        var second = 0, millisecond = 0
        if c.eat(":") {
            guard let sec = c.digits(exactly: 2), sec < 60 else { return nil }
            second = sec
            if c.eat(".") {
                guard let f = c.fraction() else { return nil }
                millisecond = f
            }
        }
        return Int64(hour) * 3_600_000 + Int64(minute) * 60_000 + Int64(second) * 1000 + Int64(millisecond)
    }
}

extension String {
    fileprivate func replacingCommas() -> String {
        String(map { $0 == "," ? " " : $0 })
    }
}

/// A cursor over ASCII text for the date parsers.
struct Scanner {
    let chars: [Character]
    var i = 0

    init(_ s: String) { chars = Array(s) }

    var atEnd: Bool { i >= chars.count }

    mutating func eat(_ c: Character) -> Bool {
        if i < chars.count, chars[i] == c { i += 1; return true }
        return false
    }

    func peekDigits(exactly n: Int) -> Int? {
        guard i + n <= chars.count else { return nil }
        let slice = chars[i..<(i + n)]
        guard slice.allSatisfy(\.isASCIIDigit) else { return nil }
        // Exactly n: the next character must not be another digit.
        if i + n < chars.count, chars[i + n].isASCIIDigit { return nil }
        return Int(String(slice))
    }

    mutating func digits(exactly n: Int) -> Int? {
        guard i + n <= chars.count else { return nil }
        let slice = chars[i..<(i + n)]
        guard slice.allSatisfy(\.isASCIIDigit), let v = Int(String(slice)) else { return nil }
        i += n
        return v
    }

    mutating func digits(min: Int, max: Int) -> Int? {
        var j = i
        while j < chars.count, j - i < max, chars[j].isASCIIDigit { j += 1 }
        guard j - i >= min, let v = Int(String(chars[i..<j])) else { return nil }
        if j < chars.count, chars[j].isASCIIDigit { return nil }
        i = j
        return v
    }

    /// A decimal fraction's first three digits as milliseconds (further digits dropped).
    mutating func fraction() -> Int? {
        var j = i
        while j < chars.count, chars[j].isASCIIDigit { j += 1 }
        guard j > i else { return nil }
        let digits = String(chars[i..<j]).padding(3)
        i = j
        return Int(digits.prefix(3))
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

extension String {
    fileprivate func padding(_ n: Int) -> String {
        count >= n ? self : self + String(repeating: "0", count: n - count)
    }
}
