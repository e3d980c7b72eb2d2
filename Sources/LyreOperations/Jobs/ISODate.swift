import LyreSQL
/// ISO-8601 parsing and formatting in milliseconds since the epoch, without Foundation's
/// formatters (they are slow and locale-sensitive, and the forms Harper accepts are few).
///
/// Accepted: `YYYY-MM-DD`, optionally followed by `T` (or a space) and `hh:mm`, `:ss`,
/// `.fraction`, and a zone `Z`, `±hh`, `±hh:mm` or `±hhmm`. Without a zone the time is UTC.
///
/// ```swift
/// ISODate.parse("2021-01-25T23:05:27.464+0000")  // 1611615927464
/// ISODate.format(1611615927464)                   // "2021-01-25T23:05:27.464Z"
/// ```
package enum ISODate {
    /// Milliseconds since the epoch, or nil when `text` is not an accepted form.
    /// - Parameter requireTimeAndZone: accept only a full date-time with an explicit zone
    ///   (the CSV typing rule, bulk-and-jobs.md §4.3).
    package static func parse(_ text: String, requireTimeAndZone: Bool = false) -> Double? {
        Array(text.utf8).withUnsafeBufferPointer { parse($0, requireTimeAndZone: requireTimeAndZone) }
    }

    static func parse(_ b: UnsafeBufferPointer<UInt8>, requireTimeAndZone: Bool) -> Double? {
        var i = 0
        func digits(_ n: Int) -> Int? {
            guard i + n <= b.count else { return nil }
            var v = 0
            for k in 0..<n {
                let c = b[i + k]
                guard c >= 0x30 && c <= 0x39 else { return nil }
                v = v * 10 + Int(c - 0x30)
            }
            i += n
            return v
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < b.count, b[i] == c else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), expect(UInt8(ascii: "-")), let month = digits(2), expect(UInt8(ascii: "-")),
              let day = digits(2), (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year)
        else { return nil }
        var hour = 0, minute = 0, second = 0
        var millis = 0.0
        var offsetMinutes = 0
        var hasTime = false, hasZone = false
        if i < b.count, b[i] == UInt8(ascii: "T") || b[i] == UInt8(ascii: " ") {
            i += 1
            guard let h = digits(2), expect(UInt8(ascii: ":")), let m = digits(2), h < 24, m < 60 else { return nil }
            hour = h
            minute = m
            hasTime = true
            if expect(UInt8(ascii: ":")) {
                guard let s = digits(2), s < 60 else { return nil }
                second = s
                if expect(UInt8(ascii: ".")) {
                    var scale = 100.0
                    let start = i
                    while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                        millis += Double(b[i] - 0x30) * scale
                        scale /= 10
                        i += 1
                    }
                    guard i > start else { return nil }
                }
            }
            if expect(UInt8(ascii: "Z")) {
                hasZone = true
            } else if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
                let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
                i += 1
                guard let oh = digits(2), oh < 24 else { return nil }
                var om = 0
                if i < b.count {
                    _ = expect(UInt8(ascii: ":"))
                    guard let m = digits(2), m < 60 else { return nil }
                    om = m
                }
                offsetMinutes = sign * (oh * 60 + om)
                hasZone = true
            }
        }
        guard i == b.count else { return nil }
        if requireTimeAndZone && !(hasTime && hasZone) { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetMinutes * 60
        return Double(seconds) * 1000 + millis.rounded(.down)
    }

    /// `YYYY-MM-DDThh:mm:ss.sssZ` (JavaScript's `Date.prototype.toISOString`).
    package static func format(_ milliseconds: Double) -> String {
        let total = Int64(milliseconds.rounded(.down))
        var days = total / 86_400_000
        var rest = total % 86_400_000
        if rest < 0 { rest += 86_400_000; days -= 1 }
        let (y, m, d) = civilFromDays(Int(days))
        let ms = Int(rest % 1000)
        let s = Int(rest / 1000)
        func pad(_ v: Int, _ n: Int) -> String {
            let t = String(v)
            return t.count >= n ? t : String(repeating: "0", count: n - t.count) + t
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(s / 3600, 2)):\(pad(s / 60 % 60, 2)):\(pad(s % 60, 2)).\(pad(ms, 3))Z"
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    // Civil-date arithmetic is LyreSQL's (the date functions need the same).
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        Int(CivilTime.days(fromYear: year, month: month, day: day))
    }

    private static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
        CivilTime.civil(fromDays: Int64(days))
    }
}
