/// Durations written the way Harper's configuration writes them (the "ms" package syntax):
/// `"10s"`, `"15m"`, `"2h"`, `"1d"`, `"30d"`, `"1.5h"`, `"2 hours"`, `"500ms"`; a bare number is seconds.
///
/// ```swift
/// TokenDuration.seconds("1d")   // 86400
/// TokenDuration.seconds("90")   // 90
/// TokenDuration.seconds("soon") // nil
/// ```
public enum TokenDuration {
    private static let units: [String: Double] = [
        "ms": 0.001, "msec": 0.001, "msecs": 0.001, "millisecond": 0.001, "milliseconds": 0.001,
        "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
        "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
        "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
        "d": 86_400, "day": 86_400, "days": 86_400,
        "w": 604_800, "week": 604_800, "weeks": 604_800,
        "y": 31_557_600, "yr": 31_557_600, "yrs": 31_557_600, "year": 31_557_600, "years": 31_557_600,
    ]

    /// The duration in seconds, or nil when the text is not a duration.
    public static func seconds(_ text: String) -> Double? {
        let trimmed = text.trimmingSpaces()
        let number = trimmed.prefix { $0.isNumber || $0 == "." || $0 == "-" }
        guard let amount = Double(number), amount.isFinite else { return nil }
        let unit = trimmed.dropFirst(number.count).trimmingSpaces().lowercased()
        if unit.isEmpty { return amount }
        guard let factor = units[unit] else { return nil }
        return amount * factor
    }
}

extension StringProtocol {
    fileprivate func trimmingSpaces() -> String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
