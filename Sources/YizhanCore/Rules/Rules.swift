import Foundation

/// The station's rules as configured: points, patrol windows, campaigns, checkpoints,
/// catalogue and tiers. Every number of SPEC section 2 is a field here.
public struct Rules: Sendable {
    public var points: Points
    public var patrol: PatrolRules
    public var campaigns: [Campaign]
    public var checkpoints: [Checkpoint]
    public var catalog: [CatalogItem]
    public var tiers: [Tier]
    public var redemption: RedemptionRules
    public var kiosk: KioskRules
    public var calendar: StationCalendar

    public init(
        points: Points = Points(), patrol: PatrolRules = PatrolRules(), campaigns: [Campaign] = [],
        checkpoints: [Checkpoint] = [], catalog: [CatalogItem] = [], tiers: [Tier] = [],
        redemption: RedemptionRules = RedemptionRules(), kiosk: KioskRules = KioskRules(),
        calendar: StationCalendar
    ) {
        self.points = points
        self.patrol = patrol
        self.campaigns = campaigns
        self.checkpoints = checkpoints
        self.catalog = catalog
        self.tiers = tiers.sorted { $0.points < $1.points }
        self.redemption = redemption
        self.kiosk = kiosk
        self.calendar = calendar
    }

    /// The checkpoint with this id, if configured.
    public func checkpoint(_ id: String) -> Checkpoint? {
        checkpoints.first { $0.id == id }
    }

    /// Campaigns running on the local day of `date`.
    public func activeCampaigns(at date: Date) -> [Campaign] {
        let today = calendar.localDay(of: date)
        return campaigns.filter { $0.covers(today) }
    }

    /// The checkpoints a patrol of `kind` opened at `date` must cover, in config order.
    public func requiredCheckpoints(for kind: PatrolKind, openedAt date: Date) -> [String] {
        var required = checkpoints.filter { $0.requiredFor.contains(kind) }.map(\.id)
        if kind == .special {
            for id in activeCampaigns(at: date).flatMap(\.checkpoints) where !required.contains(id) {
                required.append(id)
            }
        }
        return required
    }

    /// The points a completed patrol of `kind` earns.
    public func points(for kind: PatrolKind) -> Int {
        switch kind {
        case .daily: points.daily
        case .keyPeriod: points.keyPeriod
        case .special: points.special
        case .weeklyFull: points.weeklyFull
        }
    }
}

/// Points per patrol kind and for a confirmed hazard.
public struct Points: Sendable, Equatable {
    public var daily = 2
    public var keyPeriod = 3
    public var special = 4
    public var weeklyFull = 3
    public var hazardBonus = 2

    public init() {}
}

/// Timing and limits of patrols.
public struct PatrolRules: Sendable {
    /// A patrol shorter than this closes incomplete.
    public var minimumDuration: Duration = .seconds(5 * 60)
    /// An open patrol older than this expires.
    public var maximumDuration: Duration = .seconds(120 * 60)
    /// Daily-patrol awards per day at the station.
    public var dailyMaxVolunteers = 2
    /// Peak windows in which a patrol is a key-period patrol.
    public var keyPeriods: [TimeWindow] = [
        TimeWindow(startMinute: 11 * 60, endMinute: 13 * 60 + 30),
        TimeWindow(startMinute: 17 * 60, endMinute: 19 * 60 + 30),
    ]
    /// The weekly full patrol's slot, led by a team leader.
    public var weeklySlot: WeeklySlot? = WeeklySlot(weekday: 6, window: TimeWindow(startMinute: 9 * 60, endMinute: 11 * 60))
    /// Checkpoint scans closer together than this flag the patrol as suspiciously fast.
    public var fastCheckInterval: Duration = .seconds(5)

    public init() {}
}

/// A window of the day, `HH:MM-HH:MM`, start inclusive and end exclusive.
public struct TimeWindow: Sendable, Hashable {
    public var startMinute: Int
    public var endMinute: Int

    public init(startMinute: Int, endMinute: Int) {
        self.startMinute = startMinute
        self.endMinute = endMinute
    }

    /// Parses `HH:MM-HH:MM`; the end must come after the start.
    public init?(_ text: String) {
        let ends = text.split(separator: "-", omittingEmptySubsequences: false)
        guard ends.count == 2, let start = Self.minute(ends[0]), let end = Self.minute(ends[1]), start < end else { return nil }
        self.init(startMinute: start, endMinute: end)
    }

    public func contains(minute: Int) -> Bool {
        minute >= startMinute && minute < endMinute
    }

    static func minute(_ text: Substring) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ $0.count == 2 }), let hour = Int(parts[0]), let minute = Int(parts[1]),
            (0...24).contains(hour), (0...59).contains(minute), hour * 60 + minute <= 24 * 60
        else { return nil }
        return hour * 60 + minute
    }
}

/// The weekly full patrol's slot, e.g. `Sat 09:00-11:00`.
public struct WeeklySlot: Sendable, Hashable {
    /// 1 = Monday … 7 = Sunday.
    public var weekday: Int
    public var window: TimeWindow

    public init(weekday: Int, window: TimeWindow) {
        self.weekday = weekday
        self.window = window
    }

    static let weekdayNames = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

    /// Parses `Sat 09:00-11:00`.
    public init?(_ text: String) {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, let index = Self.weekdayNames.firstIndex(of: String(parts[0])),
            let window = TimeWindow(String(parts[1]))
        else { return nil }
        self.init(weekday: index + 1, window: window)
    }

    public func contains(_ date: Date, in calendar: StationCalendar) -> Bool {
        calendar.weekday(of: date) == weekday && window.contains(minute: calendar.minuteOfDay(date))
    }
}

/// A special themed period (summer heat, winter heating, holidays) with its extra
/// checkpoints. Special patrols run while it does, beside the daily and weekly ones.
public struct Campaign: Sendable, Hashable {
    /// When a campaign runs, both ends included.
    public enum Period: Sendable, Hashable {
        /// Every year, `MM-DD` to `MM-DD`; from December into January wraps the year.
        case yearly(from: MonthDay, to: MonthDay)
        /// Once, `yyyy-MM-dd` to `yyyy-MM-dd`: a holiday whose dates move each year.
        case dated(from: LocalDay, to: LocalDay)
    }

    public var name: String
    public var period: Period
    public var checkpoints: [String]

    public init(name: String, period: Period, checkpoints: [String] = []) {
        self.name = name
        self.period = period
        self.checkpoints = checkpoints
    }

    /// A campaign that recurs every year.
    public init(name: String, from: MonthDay, to: MonthDay, checkpoints: [String] = []) {
        self.init(name: name, period: .yearly(from: from, to: to), checkpoints: checkpoints)
    }

    /// Whether the campaign runs on `day`.
    public func covers(_ day: LocalDay) -> Bool {
        switch period {
        case .yearly(let from, let to):
            let today = day.monthDay
            return from <= to ? (from <= today && today <= to) : (today >= from || today <= to)
        case .dated(let from, let to):
            return from <= day && day <= to
        }
    }
}

extension Campaign.Period {
    /// What is wrong with a period as written, and which end (`from` or `to`) is at fault.
    public struct Problem: Error, Sendable, Hashable {
        public var key: String
        public var message: String
    }

    /// `from` and `to` both `MM-DD` (every year) or both `yyyy-MM-dd` (once).
    public init(from: String, to: String) throws(Problem) {
        if let first = MonthDay(from), let last = MonthDay(to) {
            self = .yearly(from: first, to: last)
        } else if let first = LocalDay(from), let last = LocalDay(to) {
            guard first <= last else { throw Problem(key: "to", message: "\"\(to)\" comes before from \"\(from)\"") }
            self = .dated(from: first, to: last)
        } else if let (key, text) = [("from", from), ("to", to)].first(where: { MonthDay($0.1) == nil && LocalDay($0.1) == nil }) {
            throw Problem(key: key, message: "\"\(text)\" is not MM-DD (every year) or yyyy-MM-dd (once)")
        } else {
            throw Problem(key: "to", message: "from and to must both be MM-DD (every year) or both yyyy-MM-dd (once)")
        }
    }
}

/// Something a patrol checks, with the kinds of patrol that must check it.
public struct Checkpoint: Sendable, Hashable {
    public var id: String
    public var name: String
    public var requiredFor: Set<PatrolKind>

    public init(id: String, name: String, requiredFor: Set<PatrolKind> = Set(PatrolKind.allCases)) {
        self.id = id
        self.name = name
        self.requiredFor = requiredFor
    }
}

/// A catalogue item as configured; the store keeps the live stock.
public struct CatalogItem: Sendable, Hashable, Codable {
    public var id: String
    public var name: String
    public var cost: Int
    public var stock: Int
    /// Nil means no limit.
    public var perVolunteerPerMonth: Int?
    public var active: Bool

    public init(id: String, name: String, cost: Int, stock: Int, perVolunteerPerMonth: Int? = nil, active: Bool = true) {
        self.id = id
        self.name = name
        self.cost = cost
        self.stock = stock
        self.perVolunteerPerMonth = perVolunteerPerMonth
        self.active = active
    }
}

/// A tier (档位) reached by lifetime earned points.
public struct Tier: Sendable, Hashable {
    public var name: String
    public var points: Int

    public init(name: String, points: Int) {
        self.name = name
        self.points = points
    }
}

/// Redemption at the kiosk.
public struct RedemptionRules: Sendable {
    /// How long a scanned item stays selected, waiting for a badge.
    public var selectionTimeout: Duration = .seconds(30)
    /// Whether a refused redemption prints a slip saying why.
    public var printRefusals = true

    public init() {}
}

/// Behaviour of the kiosk's scan handling.
public struct KioskRules: Sendable {
    /// The same payload from the same scanner within this time is one scan.
    public var debounce: Duration = .seconds(3)
    /// A checkpoint goes to the patrol of the latest badge scan within this time.
    public var routingWindow: Duration = .seconds(10 * 60)
    /// How long a command card (hazard, balance) stays armed.
    public var commandTimeout: Duration = .seconds(120)

    public init() {}
}
