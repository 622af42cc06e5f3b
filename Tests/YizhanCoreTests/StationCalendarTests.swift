import Foundation
import Testing
import YizhanCore

@Suite struct StationCalendarTests {
    /// Each offset form: east and west of UTC, on it, and a half hour off the hour.
    @Test(arguments: ["Asia/Shanghai", "America/Santiago", "UTC", "Asia/Kolkata", "America/St_Johns"])
    func rfc3339IsWhatFoundationsFormatterWrites(zone: String) throws {
        let timeZone = try #require(TimeZone(identifier: zone))
        let calendar = StationCalendar(timeZone: timeZone)
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = timeZone
        // A year's instants a little over a day apart, through both changes of summer time.
        for step in 0..<400 {
            let date = Date(timeIntervalSince1970: 1_767_225_600 + Double(step) * 90_061)
            #expect(calendar.rfc3339(date) == formatter.string(from: date))
        }
    }

    @Test(arguments: ["Asia/Shanghai", "America/St_Johns"])
    func slipTimeIsTheLocalDayAndMinute(zone: String) throws {
        let timeZone = try #require(TimeZone(identifier: zone))
        let calendar = StationCalendar(timeZone: timeZone)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        for step in 0..<400 {
            let date = Date(timeIntervalSince1970: 1_767_225_600 + Double(step) * 90_061)
            #expect(calendar.slipTime(date) == formatter.string(from: date))
        }
    }
}
