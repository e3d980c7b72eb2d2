/// Calendar fields of an instant in a fixed UTC offset, computed without Foundation's
/// locale-dependent calendars (proleptic Gregorian, Howard Hinnant's civil-from-days).
public struct CivilTime: Sendable, Hashable {
    public var year: Int
    /// 1…12
    public var month: Int
    /// 1…31
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int
    public var millisecond: Int
    /// 0 = Sunday … 6 = Saturday.
    public var weekday: Int
    /// 1…366
    public var dayOfYear: Int

    public static let msPerDay: Int64 = 86_400_000

    /// The fields of `milliseconds` since the epoch, shifted by `offsetMinutes` from UTC.
    public init(milliseconds: Int64, offsetMinutes: Int = 0) {
        let local = milliseconds + Int64(offsetMinutes) * 60_000
        let days = Self.floorDiv(local, Self.msPerDay)
        let msOfDay = Int(local - days * Self.msPerDay)
        let (y, m, d) = Self.civil(fromDays: days)
        year = y
        month = m
        day = d
        hour = msOfDay / 3_600_000
        minute = msOfDay / 60_000 % 60
        second = msOfDay / 1000 % 60
        millisecond = msOfDay % 1000
        weekday = Int(((days % 7) + 11) % 7) // 1970-01-01 was a Thursday (4)
        dayOfYear = Int(days - Self.days(fromYear: y, month: 1, day: 1)) + 1
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (month may be outside 1…12).
    public static func days(fromYear year: Int, month: Int, day: Int) -> Int64 {
        // Normalize the month first so callers can add months freely.
        let m0 = month - 1
        let y = Int64(year) + Int64(floorDiv(Int64(m0), 12))
        let m = Int64(m0 - Int(floorDiv(Int64(m0), 12)) * 12) + 1
        let yy = m <= 2 ? y - 1 : y
        let era = floorDiv(yy, 400)
        let yoe = yy - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The (year, month, day) of a day count since 1970-01-01.
    public static func civil(fromDays z0: Int64) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (Int(m <= 2 ? y + 1 : y), Int(m), Int(d))
    }

    /// Milliseconds since the epoch of a UTC date and time (fields may overflow; they carry).
    public static func milliseconds(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0,
                                    second: Int = 0, millisecond: Int = 0) -> Int64 {
        days(fromYear: year, month: month, day: day) * msPerDay
            + Int64(hour) * 3_600_000 + Int64(minute) * 60_000 + Int64(second) * 1000 + Int64(millisecond)
    }

    public static func isLeap(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    public static func daysInYear(_ year: Int) -> Int { isLeap(year) ? 366 : 365 }

    /// `milliseconds` plus `months` calendar months, the day clamped to the target month (moment.js).
    public static func addingMonths(_ months: Int, to milliseconds: Int64) -> Int64 {
        let t = CivilTime(milliseconds: milliseconds)
        let total = t.year * 12 + (t.month - 1) + months
        let year = Int(floorDiv(Int64(total), 12))
        let month = total - year * 12 + 1
        let day = min(t.day, daysInMonth(year: year, month: month))
        return Self.milliseconds(year: year, month: month, day: day, hour: t.hour, minute: t.minute,
                                 second: t.second, millisecond: t.millisecond)
    }

    // MARK: Weeks (moment.js weekOfYear / weeksInYear)

    /// Day-of-year offset of the first week (moment's `firstWeekOffset`).
    static func firstWeekOffset(year: Int, dow: Int, doy: Int) -> Int {
        let fwd = 7 + dow - doy
        let fwdWeekday = Int(((days(fromYear: year, month: 1, day: fwd) % 7) + 11) % 7)
        let fwdlw = (7 + fwdWeekday - dow) % 7
        return -fwdlw + fwd - 1
    }

    static func weeksInYear(_ year: Int, dow: Int, doy: Int) -> Int {
        let offset = firstWeekOffset(year: year, dow: dow, doy: doy)
        let next = firstWeekOffset(year: year + 1, dow: dow, doy: doy)
        return (daysInYear(year) - offset + next) / 7
    }

    /// (week, week-year) with weeks starting on `dow` and week 1 containing day `doy`-ish
    /// (locale `en`: dow 0, doy 6; ISO: dow 1, doy 4).
    public func week(dow: Int, doy: Int) -> (week: Int, year: Int) {
        let offset = Self.firstWeekOffset(year: year, dow: dow, doy: doy)
        let week = Int((Double(dayOfYear - offset - 1) / 7).rounded(.down)) + 1
        if week < 1 {
            return (week + Self.weeksInYear(year - 1, dow: dow, doy: doy), year - 1)
        }
        let inYear = Self.weeksInYear(year, dow: dow, doy: doy)
        if week > inYear { return (week - inYear, year + 1) }
        return (week, year)
    }
}
