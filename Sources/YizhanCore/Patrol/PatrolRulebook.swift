import Foundation

/// The rules for opening, checking, finishing and expiring patrols (SPEC 3.2), as pure
/// functions of the rules, the facts and the time.
public struct PatrolRulebook: Sendable {
    public let rules: Rules

    public init(rules: Rules) {
        self.rules = rules
    }

    /// How a patrol that opens now is classified and whether it can earn.
    public struct Opening: Sendable, Hashable {
        public var kind: PatrolKind
        /// The key the award will be posted under; nil when this patrol cannot earn.
        public var awardKey: String?
        public var joinedPatrolID: Int64?
        /// Why the patrol earns nothing, when it does not.
        public var noAwardReason: NoAwardReason?
    }

    /// Why a patrol earns nothing even if it completes.
    public enum NoAwardReason: String, Sendable, Hashable {
        case alreadyAwarded = "already_awarded"
        case dailyCapReached = "daily_cap_reached"
    }

    /// Decides the kind of a patrol opened by `volunteerID` at `now` (SPEC 3.2, "Start a
    /// patrol"): special if a campaign runs today; weekly-full for a leader in the weekly
    /// slot or for anyone while a leader's weekly patrol is open; key-period inside a key
    /// window; else daily.
    public func opening(
        volunteerID: Int64, leader: Bool, at now: Instant, openPatrols: [OpenPatrol], tally: AwardTally
    ) -> Opening {
        let calendar = rules.calendar
        let minute = calendar.minuteOfDay(now.wall)
        let day = calendar.day(of: now.wall)
        var kind = PatrolKind.daily
        var window: Int?
        var joined: Int64?

        if !rules.activeCampaigns(at: now.wall).isEmpty {
            kind = .special
        } else if leader, let slot = rules.patrol.weeklySlot, slot.contains(now.wall, in: calendar) {
            kind = .weeklyFull
        } else if let leaderPatrol = openPatrols.last(where: { $0.kind == .weeklyFull && $0.leader && $0.joinedPatrolID == nil }) {
            kind = .weeklyFull
            joined = leaderPatrol.id
        } else if let index = rules.patrol.keyPeriods.firstIndex(where: { $0.contains(minute: minute) }) {
            kind = .keyPeriod
            window = index
        }

        let key = Self.awardKey(volunteerID: volunteerID, kind: kind, day: day, window: window)
        var opening = Opening(kind: kind, awardKey: key, joinedPatrolID: joined, noAwardReason: nil)
        let alreadyClaimed = tally.takenKeys.contains(key) || openPatrols.contains { $0.awardKey == key }
        if alreadyClaimed {
            opening.awardKey = nil
            opening.noAwardReason = .alreadyAwarded
        } else if kind == .daily, tally.dailyAwards + tally.openDailyClaims >= rules.patrol.dailyMaxVolunteers {
            opening.awardKey = nil
            opening.noAwardReason = .dailyCapReached
        }
        return opening
    }

    /// The unique key of an award: one per volunteer per kind per day, per window for key periods.
    public static func awardKey(volunteerID: Int64, kind: PatrolKind, day: String, window: Int?) -> String {
        var key = "\(volunteerID)/\(kind.rawValue)/\(day)"
        if let window { key += "/w\(window)" }
        return key
    }

    /// How a patrol closes when its volunteer scans the badge again.
    public struct Closing: Sendable, Hashable {
        public var patrolID: Int64
        public var state: PatrolState
        public var points: Int
        public var missing: [String]
        public var duration: Duration
        /// Checkpoints scanned less than the fast interval apart.
        public var flaggedFast: Bool
        /// The award key claimed; nil when no points are posted.
        public var awardKey: String?
        public var noAwardReason: NoAwardReason?
    }

    /// Closes `patrol` at `now`: completed when it lasted the minimum time and covered every
    /// required checkpoint, which posts its points if it still may; otherwise incomplete with
    /// what was missing.
    public func closing(_ patrol: OpenPatrol, at now: Instant, tally: AwardTally) -> Closing {
        let duration = now.elapsed(since: patrol.openedAt)
        let covered = Set(patrol.checks.map(\.checkpointID))
        let missing = rules.requiredCheckpoints(for: patrol.kind, openedAt: patrol.openedAt.wall).filter { !covered.contains($0) }
        let longEnough = duration >= rules.patrol.minimumDuration
        var closing = Closing(
            patrolID: patrol.id, state: .incomplete, points: 0, missing: missing, duration: duration,
            flaggedFast: isFast(patrol.checks), awardKey: nil, noAwardReason: nil
        )
        guard longEnough, missing.isEmpty else { return closing }
        closing.state = .completed
        guard let key = patrol.awardKey else { return closing }
        if tally.takenKeys.contains(key) {
            closing.noAwardReason = .alreadyAwarded
        } else if patrol.kind == .daily, tally.dailyAwards >= rules.patrol.dailyMaxVolunteers {
            closing.noAwardReason = .dailyCapReached
        } else {
            closing.awardKey = key
            closing.points = rules.points(for: patrol.kind)
        }
        return closing
    }

    /// Whether two consecutive checkpoint scans came closer together than the fast interval.
    public func isFast(_ checks: [PatrolCheck]) -> Bool {
        zip(checks, checks.dropFirst()).contains { earlier, later in
            later.at.elapsed(since: earlier.at) < rules.patrol.fastCheckInterval
        }
    }

    /// Whether an open patrol has run past its maximum duration or its day at `now`.
    public func hasExpired(_ patrol: OpenPatrol, at now: Instant) -> Bool {
        if now.elapsed(since: patrol.openedAt) >= rules.patrol.maximumDuration { return true }
        let calendar = rules.calendar
        return now.wall >= calendar.endOfDay(patrol.openedAt.wall)
    }

    /// How long from `now` until the first of `patrols` expires, for the daemon's timer.
    public func timeUntilNextExpiry(of patrols: [OpenPatrol], now: Instant) -> Duration? {
        patrols.map { patrol in
            let byDuration = rules.patrol.maximumDuration - now.elapsed(since: patrol.openedAt)
            let secondsToMidnight = rules.calendar.endOfDay(patrol.openedAt.wall).timeIntervalSince(now.wall)
            let byDay = Duration.milliseconds(Int64(max(0, secondsToMidnight) * 1000))
            return max(.zero, min(byDuration, byDay))
        }.min()
    }

    /// Picks the patrol a checkpoint scan belongs to (SPEC 3.2, "Check"): the only open
    /// patrol, or the one whose badge was scanned last within the routing window.
    public func routeCheckpoint(openPatrols: [OpenPatrol], lastBadge: BadgeMark?, at now: Instant) -> CheckpointRoute {
        if openPatrols.isEmpty { return .noOpenPatrol }
        if let mark = lastBadge, now.elapsed(since: mark.at) <= rules.kiosk.routingWindow,
            let patrol = openPatrols.first(where: { $0.id == mark.patrolID })
        {
            return .patrol(patrol)
        }
        if openPatrols.count == 1 { return .patrol(openPatrols[0]) }
        return .ambiguous
    }
}

/// Where a checkpoint scan goes.
public enum CheckpointRoute: Sendable, Hashable {
    case patrol(OpenPatrol)
    case noOpenPatrol
    case ambiguous
}

/// The most recent badge scan that touched a patrol.
public struct BadgeMark: Sendable, Hashable {
    public var patrolID: Int64
    public var at: Instant

    public init(patrolID: Int64, at: Instant) {
        self.patrolID = patrolID
        self.at = at
    }
}
