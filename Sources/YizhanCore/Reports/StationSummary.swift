/// `GET /v1/reports/summary`: how many patrols the station ran and how many problems were
/// put right, the figures the station is judged by.
public struct StationSummary: Sendable, Codable, Hashable {
    public struct Patrols: Sendable, Codable, Hashable {
        public var completed = 0
        public var incomplete = 0
        public var expired = 0
        public var voided = 0
        public var open = 0
        public var flaggedFast = 0
        /// Completed patrols by kind.
        public var daily = 0
        public var keyPeriod = 0
        public var special = 0
        public var weeklyFull = 0

        public init() {}
    }

    public struct Hazards: Sendable, Codable, Hashable {
        public var reported = 0
        public var confirmed = 0
        public var rejected = 0
        public var duplicate = 0
        public var rectified = 0
        public var accepted = 0
        public var reopened = 0

        public init() {}
    }

    public struct Redemptions: Sendable, Codable, Hashable {
        public var issued = 0
        public var collected = 0
        public var cancelled = 0

        public init() {}
    }

    public var from: String
    public var to: String
    public var patrols = Patrols()
    public var hazards = Hazards()
    public var redemptions = Redemptions()
    /// Points posted for patrols and hazards, less those reversed.
    public var pointsEarned = 0
    /// Points spent on goods, less cancellations.
    public var pointsRedeemed = 0
    /// Volunteers with at least one completed patrol.
    public var activeVolunteers = 0

    /// A day's daily-patrol cover: who was on duty by the rota and whether each patrolled.
    public struct DutyDay: Sendable, Codable, Hashable {
        public struct OnDuty: Sendable, Codable, Hashable {
            public var id: Int64
            public var name: String
            /// Whether they completed a daily patrol that day.
            public var kept: Bool

            public init(id: Int64, name: String, kept: Bool) {
                self.id = id
                self.name = name
                self.kept = kept
            }
        }

        public var day: String
        public var onDuty: [OnDuty]

        public init(day: String, onDuty: [OnDuty]) {
            self.day = day
            self.onDuty = onDuty
        }
    }

    /// Days of the range, up to today, without a completed daily patrol, with who was on duty.
    public var uncoveredDays: [DutyDay] = []
    /// Days of the range with a rota, up to today.
    public var rota: [DutyDay] = []
    /// Rota duties kept (the volunteer completed a daily patrol that day) and missed (a
    /// past day without one; today is not missed yet).
    public var dutyKept = 0
    public var dutyMissed = 0
    /// Hazards past their rectification deadline now.
    public var overdueHazards: [OverdueHazard] = []

    public init(from: String, to: String) {
        self.from = from
        self.to = to
    }
}

extension StationSummary.Patrols {
    /// Counts `count` patrols of a state and kind, as the station's report does.
    public mutating func add(state: String, kind: String, count: Int, flaggedFast: Int) {
        self.flaggedFast += flaggedFast
        switch PatrolState(rawValue: state) {
        case .completed:
            completed += count
            switch PatrolKind(rawValue: kind) {
            case .daily: daily += count
            case .keyPeriod: keyPeriod += count
            case .special: special += count
            case .weeklyFull: weeklyFull += count
            case nil: break
            }
        case .incomplete: incomplete += count
        case .expired: expired += count
        case .voided: voided += count
        case .open: open += count
        case nil: break
        }
    }
}

extension StationSummary.Hazards {
    /// Counts `count` transitions into `state`.
    public mutating func add(state: String, count: Int) {
        switch HazardState(rawValue: state) {
        case .confirmed: confirmed += count
        case .rejected: rejected += count
        case .duplicate: duplicate += count
        case .rectified: rectified += count
        case .accepted: accepted += count
        case .reopened: reopened += count
        default: break
        }
    }
}
