import Foundation
import Synchronization
import YizhanCore

/// How the API's JSON is written and read, in one place for the daemon and its clients:
/// snake_case keys and RFC 3339 times with the station's offset
/// (`2026-11-29T15:04:05+08:00`).
public enum WireCoding {
    /// The daemon's encoder; without a calendar, times are written as seconds (no reply
    /// the API sends has a time it encodes that way).
    public static func encoder(calendar: StationCalendar? = nil) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        if let calendar {
            encoder.dateEncodingStrategy = .custom { date, encoder in
                var container = encoder.singleValueContainer()
                try container.encode(calendar.rfc3339(date))
            }
        }
        return encoder
    }

    /// A client's decoder. Each time read is kept with the offset it was written in, so a
    /// client shows it as the station wrote it, in the station's zone, not the reader's.
    public static func decoder(times: ReceivedTimes = ReceivedTimes()) -> JSONDecoder {
        let decoder = JSONDecoder()
        // Not `.convertFromSnakeCase`: that reads `volunteer_id` as `volunteerId`, and our
        // properties spell an id `ID`, as Swift names do.
        decoder.keyDecodingStrategy = .custom { path in WireKey(snakeCase: path.last!.stringValue) }
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let time = ReceivedTimes.parse(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "\(text) is not an RFC 3339 time")
            }
            times.keep(time.date, offset: time.offset)
            return time.date
        }
        return decoder
    }
}

/// A property name read from its snake_case key: `joined_patrol_id` → `joinedPatrolID`.
struct WireKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }

    init(snakeCase key: String) {
        let words = key.split(separator: "_", omittingEmptySubsequences: false)
        stringValue = words.enumerated().map { index, word in
            index == 0 ? String(word) : word == "id" ? "ID" : word.prefix(1).uppercased() + word.dropFirst()
        }.joined()
    }

    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// The times a client has read, each with its offset from UTC as written.
public final class ReceivedTimes: Sendable {
    private let offsets = Mutex<[Date: Int]>([:])

    public init() {}

    func keep(_ date: Date, offset: Int) {
        offsets.withLock { $0[date] = offset }
    }

    /// `date` in RFC 3339 as it was received (UTC for a time this client did not read).
    public func text(_ date: Date) -> String {
        let offset = offsets.withLock { $0[date] } ?? 0
        return StationCalendar(timeZone: TimeZone(secondsFromGMT: offset) ?? TimeZone(secondsFromGMT: 0)!).rfc3339(date)
    }

    /// `yyyy-MM-ddTHH:mm:ss` then `Z` or `±hh:mm`, as `StationCalendar.rfc3339` writes it.
    static func parse(_ text: String) -> (date: Date, offset: Int)? {
        let fields = text.split(whereSeparator: { "-T:+Z".contains($0) }).map { Int($0) }
        let utc = text.hasSuffix("Z")
        guard fields.allSatisfy({ $0 != nil }), fields.count == (utc ? 6 : 8), text.count == (utc ? 20 : 25) else { return nil }
        let number = fields.map { $0! }
        let sign = text.dropLast(5).last == "-" ? -1 : 1
        let offset = utc ? 0 : sign * (number[6] * 3600 + number[7] * 60)
        guard let zone = TimeZone(secondsFromGMT: offset) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = DateComponents(
            year: number[0], month: number[1], day: number[2], hour: number[3], minute: number[4], second: number[5])
        guard parts.isValidDate(in: calendar), let date = calendar.date(from: parts) else { return nil }
        return (date, offset)
    }
}
