import Foundation
import YizhanCore

/// Values the tests share: the station's time zone, dates by local time, a rulebook like
/// the district's defaults.
public enum Fixtures {
    public static let timeZone = TimeZone(identifier: "Asia/Shanghai")!
    public static let calendar = StationCalendar(timeZone: timeZone)

    /// A local time in the station's zone, `yyyy-MM-dd HH:mm`.
    public static func date(_ text: String) -> Date {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        guard let date = formatter.date(from: text) else { preconditionFailure("bad fixture date \(text)") }
        return date
    }

    /// A manual clock at a local time.
    public static func clock(_ text: String, synchronised: Bool = true) -> ManualClock {
        ManualClock(wall: date(text), synchronised: synchronised)
    }

    /// The district's default rules with two checkpoints for every patrol, one more for the
    /// weekly patrol, a summer campaign with its own checkpoint, two items and three tiers.
    public static func rules() -> Rules {
        Rules(
            campaigns: [
                Campaign(name: "夏季防暑", from: MonthDay(month: 7, day: 1), to: MonthDay(month: 9, day: 15), checkpoints: ["heatstroke-kit"])
            ],
            checkpoints: [
                Checkpoint(id: "extinguisher-1", name: "灭火器（1号）"),
                Checkpoint(id: "water-dispenser", name: "饮水机"),
                Checkpoint(id: "medicine-kit", name: "药箱", requiredFor: [.weeklyFull]),
                Checkpoint(id: "heatstroke-kit", name: "防暑药品", requiredFor: []),
            ],
            catalog: [
                CatalogItem(id: "towel", name: "毛巾", cost: 20, stock: 30, perVolunteerPerMonth: 2),
                CatalogItem(id: "soap", name: "肥皂", cost: 4, stock: 1),
            ],
            tiers: [Tier(name: "铜牌", points: 20), Tier(name: "银牌", points: 60), Tier(name: "金牌", points: 150)],
            calendar: calendar)
    }
}
