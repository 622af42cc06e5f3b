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
    }

    public struct Hazards: Sendable, Codable, Hashable {
        public var reported = 0
        public var confirmed = 0
        public var rejected = 0
        public var duplicate = 0
        public var rectified = 0
        public var accepted = 0
        public var reopened = 0
    }

    public struct Redemptions: Sendable, Codable, Hashable {
        public var issued = 0
        public var collected = 0
        public var cancelled = 0
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

    public init(from: String, to: String) {
        self.from = from
        self.to = to
    }
}
