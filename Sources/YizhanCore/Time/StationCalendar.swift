import Foundation

/// Calendar arithmetic in the station's time zone: days, minutes of the day, weekdays,
/// months, and RFC 3339 text with the station's offset.
public struct StationCalendar: Sendable {
    /// The station's time zone.
    public let timeZone: TimeZone
    private let calendar: Calendar

    public init(timeZone: TimeZone) {
        self.timeZone = timeZone
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        self.calendar = calendar
    }

    /// The local day as `yyyy-MM-dd`, used in award keys and reports.
    public func day(of date: Date) -> String {
        localDay(of: date).description
    }

    /// The local day containing `date`.
    public func localDay(of date: Date) -> LocalDay {
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return LocalDay(year: parts.year!, month: parts.month!, day: parts.day!)!
    }

    /// The local month as `yyyy-MM`.
    public func month(of date: Date) -> String {
        String(day(of: date).prefix(7))
    }

    /// Minutes since local midnight.
    public func minuteOfDay(_ date: Date) -> Int {
        let parts = calendar.dateComponents([.hour, .minute], from: date)
        return parts.hour! * 60 + parts.minute!
    }

    /// The weekday, 1 = Monday … 7 = Sunday.
    public func weekday(of date: Date) -> Int {
        let sundayFirst = calendar.component(.weekday, from: date)
        return sundayFirst == 1 ? 7 : sundayFirst - 1
    }

    /// Local midnight at the start of the day containing `date`.
    public func startOfDay(_ date: Date) -> Date {
        calendar.startOfDay(for: date)
    }

    /// Local midnight at the end of the day containing `date`.
    public func endOfDay(_ date: Date) -> Date {
        calendar.date(byAdding: .day, value: 1, to: startOfDay(date))!
    }

    /// How long from `now` until the local day containing `date` ends; zero once it has.
    public func timeUntilEndOfDay(of date: Date, from now: Date) -> Duration {
        .milliseconds(Int64(max(0, endOfDay(date).timeIntervalSince(now)) * 1000))
    }

    /// The first instant of a local day given as `yyyy-MM-dd`, or nil when it is not a day.
    public func date(ofDay day: String) -> Date? {
        LocalDay(day).map(start)
    }

    /// The first instant of `day`.
    public func start(of day: LocalDay) -> Date {
        calendar.date(from: DateComponents(year: day.year, month: day.month, day: day.day))!
    }

    /// RFC 3339 with the station's offset, e.g. `2026-11-29T15:04:05+08:00`.
    public func rfc3339(_ date: Date) -> String {
        // Composed by hand: building a date formatter per call cost more than a scan's commit,
        // and `String(format:)` goes through CoreFoundation's formatter for each number.
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let offset = timeZone.secondsFromGMT(for: date)
        let zone =
            offset == 0
            ? "Z"
            : (offset < 0 ? "-" : "+") + "\(abs(offset) / 3600)".leftPadded(to: 2) + ":" + "\(abs(offset) % 3600 / 60)".leftPadded(to: 2)
        let day = LocalDay(year: parts.year!, month: parts.month!, day: parts.day!)!
        return day.description + "T" + clockTime(parts) + ":" + "\(parts.second!)".leftPadded(to: 2) + zone
    }

    /// `HH:mm` of the hour and minute in `parts`.
    private func clockTime(_ parts: DateComponents) -> String {
        "\(parts.hour!)".leftPadded(to: 2) + ":" + "\(parts.minute!)".leftPadded(to: 2)
    }

    /// Short local time for slips, e.g. `2026-11-29 15:04`.
    public func slipTime(_ date: Date) -> String {
        let parts = calendar.dateComponents([.hour, .minute], from: date)
        return "\(day(of: date)) " + clockTime(parts)
    }

    /// The same for an instant, marked when the board's clock was not yet synchronised
    /// then: the time printed is only the board's guess.
    public func slipTime(_ instant: Instant) -> String {
        slipTime(instant.wall) + (instant.synchronised ? "" : "（时钟未校准）")
    }
}

/// A month and day without a year, for campaigns that recur every year.
public struct MonthDay: Sendable, Hashable, Comparable, Codable {
    public var month: Int
    public var day: Int

    public init(month: Int, day: Int) {
        self.month = month
        self.day = day
    }

    /// Parses `MM-DD`.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ $0.count == 2 }),
            let month = Int(parts[0]), let day = Int(parts[1]),
            (1...12).contains(month), (1...Self.daysInMonth[month - 1]).contains(day)
        else { return nil }
        self.init(month: month, day: day)
    }

    /// The longest each month can be; 02-29 is allowed for leap years.
    static let daysInMonth = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

    public static func < (lhs: MonthDay, rhs: MonthDay) -> Bool {
        (lhs.month, lhs.day) < (rhs.month, rhs.day)
    }
}
