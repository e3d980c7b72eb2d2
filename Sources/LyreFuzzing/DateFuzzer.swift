import LyreAuth
import LyreCore
import LyreSQL

/// Date text (`DateParsing`: ISO 8601, RFC 2822, JavaScript's looser forms, behind every SQL
/// date function) and moment format strings (`MomentFormat`), plus the duration strings of
/// the configuration and token lifetimes (`TokenDuration`: `"1d"`, `"1.5h"`, `"90"`).
///
/// The input is date text; after a NUL byte, a format string.
///
/// Invariants: no trap; a parsed instant lies within JavaScript's ±8.64e15 ms; parsing is
/// deterministic; an instant of the years 0–9999 formatted as ISO 8601 (`YYYY-MM-DDTHH:mm:ss.SSSZ`)
/// parses back to itself; a duration is finite or absent.
enum DateFuzzer {
    static func run(_ bytes: UnsafeRawBufferPointer) throws(InvariantViolation) {
        let split = bytes.firstIndex(of: 0) ?? bytes.count
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[..<split]), as: UTF8.self)
        let format = split + 1 < bytes.count
            ? String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(split + 1)...]), as: UTF8.self) : "YYYY-MM-DD"

        if let seconds = TokenDuration.seconds(text) {
            try check(seconds.isFinite, "duration \(show(text.utf8)) is \(seconds)")
        }
        guard let instant = DateParsing.parse(text) else { return }
        try check(instant.magnitude <= 8_640_000_000_000_000, "\(show(text.utf8)) parsed to \(instant), past JavaScript's dates")
        try check(DateParsing.parse(text) == instant, "\(show(text.utf8)) parsed twice differently")
        _ = MomentFormat.format(instant, String(format.prefix(200)))
        // Years 0 to 9999: moment's ISO form has four-digit years.
        if (-62_167_219_200_000...253_402_300_799_999).contains(instant) {
            let iso = MomentFormat.format(instant, "YYYY-MM-DDTHH:mm:ss.SSS[Z]")
            try check(DateParsing.parse(iso) == instant, "\(show(text.utf8)) → \(instant) → \(iso) → \(String(describing: DateParsing.parse(iso)))")
        }
    }
}
