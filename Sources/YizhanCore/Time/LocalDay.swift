/// A day of the station's calendar, `yyyy-MM-dd`: deadlines, rota days, report ranges and
/// dated campaigns. Parsing is strict: `2026-13-45` and `2026-02-30` are not days.
public struct LocalDay: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month), (1...Self.length(ofMonth: month, year: year)).contains(day) else {
            return nil
        }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `yyyy-MM-dd`, four digits, two and two.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.utf8.allSatisfy { (0x30...0x39).contains($0) } }),
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2])
        else { return nil }
        self.init(year: year, month: month, day: day)
    }

    public var description: String {
        "\(year)".leftPadded(to: 4) + "-" + "\(month)".leftPadded(to: 2) + "-" + "\(day)".leftPadded(to: 2)
    }

    /// The same month and day without the year, as a yearly campaign names it.
    public var monthDay: MonthDay { MonthDay(month: month, day: day) }

    /// The day after this one.
    public var next: LocalDay {
        if day < Self.length(ofMonth: month, year: year) { return LocalDay(year: year, month: month, day: day + 1)! }
        if month < 12 { return LocalDay(year: year, month: month + 1, day: 1)! }
        return LocalDay(year: year + 1, month: 1, day: 1)!
    }

    /// The day `days` after this one (a handful: it counts them one by one).
    public func adding(days: Int) -> LocalDay {
        (0..<max(0, days)).reduce(self) { day, _ in day.next }
    }

    /// Every day from this one through `last`, in order; empty when `last` comes first.
    public func through(_ last: LocalDay) -> [LocalDay] {
        var days: [LocalDay] = []
        var day = self
        while day <= last {
            days.append(day)
            day = day.next
        }
        return days
    }

    public static func < (lhs: LocalDay, rhs: LocalDay) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    static func length(ofMonth month: Int, year: Int) -> Int {
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        return month == 2 ? (leap ? 29 : 28) : MonthDay.daysInMonth[month - 1]
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let day = LocalDay(text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "\"\(text)\" is not a day, yyyy-MM-dd"))
        }
        self = day
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
