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
    public enum NoAwardReason: String, Sendable, Hashable, Codable, CaseIterable {
        case alreadyAwarded = "already_awarded"
        case dailyCapReached = "daily_cap_reached"
        /// The day has a duty rota and this volunteer is not on it (daily patrols only).
        case notOnDuty = "not_on_duty"
        /// A member who left the group patrol before the leader closed it.
        case leftGroup = "left_group"
    }

    /// What a volunteer's badge does to the patrols (SPEC 3.2).
    public enum BadgeAction: Sendable, Hashable {
        /// No patrol of theirs is open: one opens, or they join the group patrol.
        case open(Opening)
        /// Their patrol is open but another is the current one: theirs becomes current again
        /// ("继续巡查"), and nothing closes.
        case resume(OpenPatrol)
        /// A member's badge in the group patrol: they leave it, earning nothing for it.
        case leave(OpenPatrol)
        /// Their own current patrol closes; for the group's leader, with every member still in it.
        case close(OpenPatrol, members: [OpenPatrol])
    }

    /// Decides what a badge scan by `volunteerID` does: `special` when `YZ:K:SPECIAL` was
    /// scanned just before (the kiosk has checked that a campaign runs).
    public func badge(
        volunteerID: Int64, leader: Bool, special: Bool, openPatrols: [OpenPatrol], lastBadge: BadgeMark?, tally: AwardTally,
        at now: Instant
    ) -> BadgeAction {
        guard let own = openPatrols.first(where: { $0.volunteerID == volunteerID }) else {
            return .open(
                opening(volunteerID: volunteerID, leader: leader, special: special, at: now, openPatrols: openPatrols, tally: tally))
        }
        let unit = self.unit(of: own, in: openPatrols)
        guard currentPatrol(openPatrols: openPatrols, lastBadge: lastBadge, at: now)?.id == unit.id else { return .resume(unit) }
        if unit.id != own.id { return .leave(own) }
        return .close(own, members: members(of: own, in: openPatrols))
    }

    /// Decides the kind of a patrol opened by `volunteerID` at `now` (SPEC 3.2, "Start a
    /// patrol"): special when asked for; weekly-full for anyone while a leader's group patrol
    /// is open (they join it) or for a leader in the weekly slot (a new group); key-period
    /// inside a key window; else daily. Campaigns add special patrols and change no other kind.
    public func opening(
        volunteerID: Int64, leader: Bool, special: Bool = false, at now: Instant, openPatrols: [OpenPatrol], tally: AwardTally
    ) -> Opening {
        let calendar = rules.calendar
        let minute = calendar.minuteOfDay(now.wall)
        let day = calendar.day(of: now.wall)
        var kind = PatrolKind.daily
        var window: Int?
        var joined: Int64?

        if special {
            kind = .special
        } else if let group = openPatrols.last(where: { $0.leadsGroup }) {
            kind = .weeklyFull
            joined = group.id
        } else if leader, let slot = rules.patrol.weeklySlot, slot.contains(now.wall, in: calendar) {
            kind = .weeklyFull
        } else if let index = rules.patrol.keyPeriods.firstIndex(where: { $0.contains(minute: minute) }) {
            kind = .keyPeriod
            window = index
        }

        let key = Self.awardKey(volunteerID: volunteerID, kind: kind, day: day, window: window)
        var opening = Opening(kind: kind, awardKey: key, joinedPatrolID: joined, noAwardReason: nil)
        let alreadyClaimed = tally.takenKeys.contains(key) || openPatrols.contains { $0.awardKey == key }
        if alreadyClaimed {
            opening.noAwardReason = .alreadyAwarded
        } else if kind == .daily, let onDuty = tally.onDuty, !onDuty.contains(volunteerID) {
            opening.noAwardReason = .notOnDuty
        } else if kind == .daily, tally.dailyAwards + tally.openDailyClaims >= rules.patrol.dailyMaxVolunteers {
            opening.noAwardReason = .dailyCapReached
        }
        if opening.noAwardReason != nil { opening.awardKey = nil }
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
        guard let key = patrol.awardKey else {
            closing.noAwardReason = patrol.noAwardReason
            return closing
        }
        if tally.takenKeys.contains(key) {
            closing.noAwardReason = .alreadyAwarded
        } else if patrol.kind == .daily, let onDuty = tally.onDuty, !onDuty.contains(patrol.volunteerID) {
            closing.noAwardReason = .notOnDuty
        } else if patrol.kind == .daily, tally.dailyAwards >= rules.patrol.dailyMaxVolunteers {
            closing.noAwardReason = .dailyCapReached
        } else {
            closing.awardKey = key
            closing.points = rules.points(for: patrol.kind)
        }
        return closing
    }

    /// Closes the group patrol `group` led by its leader: every member still in it closes the
    /// same way, completed or not, and each is paid under their own award key. The leader's
    /// closing comes first.
    public func closingGroup(_ group: OpenPatrol, members: [OpenPatrol], at now: Instant, tally: AwardTally) -> [Closing] {
        let closing = closing(group, at: now, tally: tally)
        return [closing]
            + members.map { member in
                var paid = closing
                paid.patrolID = member.id
                paid.points = 0
                paid.awardKey = nil
                paid.noAwardReason = member.noAwardReason
                guard closing.state == .completed, let key = member.awardKey else { return paid }
                if tally.takenKeys.contains(key) {
                    paid.noAwardReason = .alreadyAwarded
                } else {
                    paid.awardKey = key
                    paid.points = rules.points(for: member.kind)
                }
                return paid
            }
    }

    /// A member leaving the group patrol: closed incomplete, with nothing to post.
    public func leaving(_ member: OpenPatrol, at now: Instant) -> Closing {
        Closing(
            patrolID: member.id, state: .incomplete, points: 0, missing: [], duration: now.elapsed(since: member.openedAt),
            flaggedFast: false, awardKey: nil, noAwardReason: .leftGroup)
    }

    /// Whether two consecutive checkpoint scans came closer together than the fast interval.
    public func isFast(_ checks: [PatrolCheck]) -> Bool {
        zip(checks, checks.dropFirst()).contains { earlier, later in
            later.at.elapsed(since: earlier.at) < rules.patrol.fastCheckInterval
        }
    }

    /// How long a patrol may stay open: its maximum duration, or less when its day ends
    /// sooner. It is fixed when the patrol opens and measured from then on the monotonic
    /// clock, so that a step of the wall clock (a board without a real-time clock
    /// synchronising minutes after it booted) neither closes a patrol under a volunteer nor
    /// keeps one open. A patrol opened before the clock was synchronised has no day it can
    /// trust to end with: only its maximum duration bounds it.
    func lifetime(of patrol: OpenPatrol) -> Duration {
        let opened = patrol.openedAt
        guard opened.synchronised else { return rules.patrol.maximumDuration }
        return min(rules.patrol.maximumDuration, rules.calendar.timeUntilEndOfDay(of: opened.wall, from: opened.wall))
    }

    /// Whether an open patrol has run past its maximum duration or its day at `now`.
    public func hasExpired(_ patrol: OpenPatrol, at now: Instant) -> Bool {
        now.elapsed(since: patrol.openedAt) >= lifetime(of: patrol)
    }

    /// How long from `now` until the first of `patrols` expires, for the daemon's timer.
    public func timeUntilNextExpiry(of patrols: [OpenPatrol], now: Instant) -> Duration? {
        patrols.map { max(.zero, lifetime(of: $0) - now.elapsed(since: $0.openedAt)) }.min()
    }

    /// Picks the patrol a checkpoint scan belongs to (SPEC 3.2, "Check"): the current one,
    /// which for a group patrol is the leader's, where the group's coverage is recorded.
    public func routeCheckpoint(openPatrols: [OpenPatrol], lastBadge: BadgeMark?, at now: Instant) -> CheckpointRoute {
        if openPatrols.isEmpty { return .noOpenPatrol }
        return currentPatrol(openPatrols: openPatrols, lastBadge: lastBadge, at: now).map(CheckpointRoute.patrol) ?? .ambiguous
    }

    /// The patrol scans are about now: the one whose badge (any participant's, for a group)
    /// was scanned last within the routing window, else the only one open; nil when several
    /// are open and none was touched recently.
    public func currentPatrol(openPatrols: [OpenPatrol], lastBadge: BadgeMark?, at now: Instant) -> OpenPatrol? {
        let units = openPatrols.filter { unit(of: $0, in: openPatrols).id == $0.id }
        if let mark = lastBadge, now.elapsed(since: mark.at) <= rules.kiosk.routingWindow,
            let patrol = units.first(where: { $0.id == mark.patrolID })
        {
            return patrol
        }
        return units.count == 1 ? units[0] : nil
    }

    /// The patrol `patrol` counts in: the group patrol it joined while that is open, else itself.
    public func unit(of patrol: OpenPatrol, in openPatrols: [OpenPatrol]) -> OpenPatrol {
        guard let groupID = patrol.joinedPatrolID, let group = openPatrols.first(where: { $0.id == groupID }) else { return patrol }
        return group
    }

    /// The members still in the group patrol `group`.
    public func members(of group: OpenPatrol, in openPatrols: [OpenPatrol]) -> [OpenPatrol] {
        openPatrols.filter { $0.joinedPatrolID == group.id }
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
    /// The patrol it made current; for a member of a group patrol, the group's (the leader's).
    public var patrolID: Int64
    /// Whose badge it was: a hazard reported next is theirs.
    public var volunteerID: Int64
    public var at: Instant

    public init(patrolID: Int64, volunteerID: Int64, at: Instant) {
        self.patrolID = patrolID
        self.volunteerID = volunteerID
        self.at = at
    }
}
