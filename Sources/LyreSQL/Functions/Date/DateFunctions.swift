import LyreCore

extension FunctionRegistry {
    static let isoFormat = "YYYY-MM-DDTHH:mm:ss.SSSZZ"
    static let invalidDate = Value.string("Invalid date")

    /// sql-functions.md §7.2 (Harper's date functions) and §7.5 (AlaSQL date parts).
    public static let dateFunctions: [ScalarFunction] = [
        // Harper-added: all-lower or all-upper case only.
        harper("current_date", 0...0) { _, c in .string(MomentFormat.format(now(c), "YYYY-MM-DD")) },
        harper("current_time", 0...0) { _, c in .string(MomentFormat.format(now(c), "HH:mm:ss.SSS")) },
        ScalarFunction("now", arity: 0...0) { _, c in .int(now(c)) },
        ScalarFunction("getdate", arity: 0...0) { _, c in .int(now(c)) },
        harper("get_server_time", 0...0) { _, c in .string(MomentFormat.format(now(c), isoFormat)) },
        ScalarFunction("date", arity: 0...1) { a, c in
            formatted(a[argument: 0], isoFormat, c)
        },
        harper("date_format", 1...2) { a, c in
            formatted(a[0], a.count > 1 ? JS.toString(a[1]) : isoFormat, c)
        },
        harper("date_add", 3...3) { a, c in shift(a, sign: 1, c) },
        harper("date_sub", 3...3) { a, c in shift(a, sign: -1, c) },
        harper("date_diff", 2...3) { a, c in
            guard let d1 = DateParsing.instant(a[0], context: c),
                  let d2 = DateParsing.instant(a[1], context: c) else { return .double(.nan) }
            let unit = a.count == 3 ? DateUnit(a[2].map { JS.toString($0) } ?? "", forDifference: true) : nil
            return number(DateUnit.difference(d1, d2, unit: unit))
        },
        harper("extract", 2...2) { a, c in
            guard let ms = DateParsing.instant(a[0], context: c) else { return invalidDate }
            let format: String
            switch JS.toString(a[1]).lowercased() {
            case "year": format = "YYYY"
            case "month": format = "MM"
            case "day": format = "DD"
            case "hour": format = "HH"
            case "minute": format = "mm"
            case "second": format = "ss"
            case "millisecond": format = "SSS"
            default: return nil
            }
            return .string(MomentFormat.format(ms, format))
        },
        harper("offset_utc", 2...2) { a, c in
            guard let ms = DateParsing.instant(a[0], context: c) else { return invalidDate }
            guard let offset = utcOffsetMinutes(a[1]) else { return invalidDate }
            return .string(MomentFormat.format(ms, isoFormat, offsetMinutes: offset))
        },
        // AlaSQL date parts: numbers, any case.
        datePart("year") { $0.year },
        datePart("month") { $0.month },
        datePart("day") { $0.day },
        datePart("dayofmonth") { $0.day },
        datePart("dayofweek") { $0.weekday },
        datePart("weekday") { $0.weekday },
        datePart("hour") { $0.hour },
        datePart("minute") { $0.minute },
        datePart("second") { $0.second },
    ]

    private static func harper(_ name: String, _ arity: ClosedRange<Int>, _ body: @escaping ScalarFunction.Body) -> ScalarFunction {
        ScalarFunction(name, arity: arity, spelling: .lowerOrUpper, body: body)
    }

    private static func datePart(_ name: String, _ field: @escaping @Sendable (CivilTime) -> Int) -> ScalarFunction {
        ScalarFunction(name, arity: 1...1) { a, c in
            guard !JS.isNullish(a[0]), let ms = DateParsing.instant(a[0], context: c) else { return .double(.nan) }
            return .int(Int64(field(CivilTime(milliseconds: ms))))
        }
    }

    static func now(_ context: FunctionContext) -> Int64 {
        Int64(context.now().rounded(.down))
    }

    private static func formatted(_ value: Value?, _ format: String, _ context: FunctionContext) -> Value {
        guard let ms = DateParsing.instant(value, context: context) else { return invalidDate }
        return .string(MomentFormat.format(ms, format))
    }

    private static func shift(_ a: [Value?], sign: Double, _ context: FunctionContext) -> Value? {
        guard let ms = DateParsing.instant(a[0], context: context) else { return .double(.nan) }
        let amount = JS.toNumber(a[1]) * sign
        guard amount.isFinite, let unit = DateUnit(JS.toString(a[2]), forDifference: false) else {
            return .int(ms)
        }
        return number(unit.add(amount, to: ms))
    }

    /// An `OFFSET_UTC` offset: a number in (−16, 16) is hours, other numbers minutes; a
    /// string `±HH:mm` / `±HHmm` is parsed (moment's `utcOffset`).
    static func utcOffsetMinutes(_ value: Value?) -> Int? {
        switch value {
        case .int, .double:
            let n = JS.toNumber(value)
            guard n.isFinite else { return nil }
            let minutes = Swift.abs(n) < 16 ? n * 60 : n
            // Bounded so the shift stays inside Int64 (Int(1e300) trapped); moment takes any.
            guard minutes.magnitude <= 100_000_000 else { return nil }
            return Int(minutes.rounded())
        case .string(let s)?:
            var c = Scanner(JS.trimWhitespace(s))
            if let o = DateParsing.parseOffset(&c), c.atEnd { return o }
            let n = SQLNumber.parse(s)
            let minutes = Swift.abs(n) < 16 ? n * 60 : n
            guard minutes.magnitude <= 100_000_000 else { return nil }
            return Int(minutes.rounded())
        default:
            return nil
        }
    }
}

/// A unit of `DATE_ADD`, `DATE_SUB` and `DATE_DIFF` (sql-functions.md §7.3).
public enum DateUnit: Sendable, Hashable {
    case years, quarters, months, weeks, days, hours, minutes, seconds, milliseconds
    /// `D` / `date`: a unit moment knows but durations ignore (adds nothing).
    case ignored

    /// Normalizes a unit spelling like moment's `normalizeUnits`: exact short forms first
    /// (`M` months, `m` minutes), then the lower-cased text. `nil` for unknown units.
    public init?(_ text: String, forDifference: Bool) {
        let exact: [String: DateUnit] = [
            "y": .years, "Q": .quarters, "M": .months, "w": .weeks, "d": .days, "D": .ignored,
            "h": .hours, "m": .minutes, "s": .seconds, "ms": .milliseconds,
        ]
        let long: [String: DateUnit] = [
            "year": .years, "years": .years, "quarter": .quarters, "quarters": .quarters,
            "month": .months, "months": .months, "week": .weeks, "weeks": .weeks,
            "day": .days, "days": .days, "date": .ignored, "dates": .ignored,
            "hour": .hours, "hours": .hours, "minute": .minutes, "minutes": .minutes,
            "second": .seconds, "seconds": .seconds, "millisecond": .milliseconds,
            "milliseconds": .milliseconds, "y": .years, "h": .hours, "ms": .milliseconds,
            "s": .seconds, "d": .days, "w": .weeks,
        ]
        if !forDifference, text == "W" || text.lowercased() == "isoweek" || text.lowercased() == "isoweeks" {
            self = .weeks
            return
        }
        if let u = exact[text] ?? long[text.lowercased()] {
            self = u
        } else {
            return nil
        }
    }

    /// `ms` plus `amount` of this unit (moment's duration add: months and days rounded half
    /// away from zero, smaller units keep fractions).
    /// A result past JavaScript's dates (±8.64e15 ms) is an invalid date (NaN), as in moment;
    /// so is a month count that could not land inside them, checked before the calendar
    /// arithmetic (`DATE_ADD(NOW(), 1e308, 'years')` overflowed it and ended the process).
    public func add(_ amount: Double, to ms: Int64) -> Double {
        let result = unchecked(amount, to: ms)
        return result.magnitude <= 8.64e15 ? result : .nan
    }

    private func unchecked(_ amount: Double, to ms: Int64) -> Double {
        func absRound(_ x: Double) -> Int { Int((x < 0 ? -(-x).rounded() : x.rounded()).clampedToInt64) }
        func months(_ count: Int) -> Double {
            // 8.64e15 ms either side of 1970 is about 3.3 million months.
            count.magnitude <= 7_000_000 ? Double(CivilTime.addingMonths(count, to: ms)) : .nan
        }
        switch self {
        case .years: return months(absRound(amount * 12))
        case .quarters: return months(absRound(amount * 3))
        case .months: return months(absRound(amount))
        case .weeks: return Double(ms) + Double(absRound(amount * 7)) * 86_400_000
        case .days: return Double(ms) + Double(absRound(amount)) * 86_400_000
        case .hours: return Double(ms) + amount * 3_600_000
        case .minutes: return Double(ms) + amount * 60_000
        case .seconds: return Double(ms) + amount * 1000
        case .milliseconds: return Double(ms) + amount
        case .ignored: return Double(ms)
        }
    }

    /// `d1 − d2` in `unit` (fractional), or whole milliseconds when `unit` is `nil`.
    public static func difference(_ d1: Int64, _ d2: Int64, unit: DateUnit?) -> Double {
        let delta = Double(d1 - d2)
        switch unit {
        case .years?: return monthDifference(d1, d2) / 12
        case .quarters?: return monthDifference(d1, d2) / 3
        case .months?: return monthDifference(d1, d2)
        case .weeks?: return delta / 604_800_000
        case .days?: return delta / 86_400_000
        case .hours?: return delta / 3_600_000
        case .minutes?: return delta / 60_000
        case .seconds?: return delta / 1000
        case .milliseconds?, .ignored?, nil: return delta
        }
    }

    /// moment.js `monthDiff(d1, d2)` negated, i.e. the months from `d2` to `d1`.
    static func monthDifference(_ d1: Int64, _ d2: Int64) -> Double {
        func monthDiff(_ a: Int64, _ b: Int64) -> Double {
            let ta = CivilTime(milliseconds: a), tb = CivilTime(milliseconds: b)
            if ta.day < tb.day { return -monthDiff(b, a) }
            let whole = (tb.year - ta.year) * 12 + (tb.month - ta.month)
            let anchor = Double(CivilTime.addingMonths(whole, to: a))
            let adjust: Double
            if Double(b) - anchor < 0 {
                let anchor2 = Double(CivilTime.addingMonths(whole - 1, to: a))
                adjust = (Double(b) - anchor) / (anchor - anchor2)
            } else {
                let anchor2 = Double(CivilTime.addingMonths(whole + 1, to: a))
                adjust = (Double(b) - anchor) / (anchor2 - anchor)
            }
            let r = -(Double(whole) + adjust)
            return r == 0 ? 0 : r
        }
        return monthDiff(d1, d2)
    }
}
