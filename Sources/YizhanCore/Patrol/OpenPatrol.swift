/// An open patrol as the rules need to see it.
public struct OpenPatrol: Sendable, Hashable {
    public var id: Int64
    public var volunteerID: Int64
    public var kind: PatrolKind
    public var openedAt: Instant
    /// The award this patrol will claim if it completes; nil when it earns nothing.
    public var awardKey: String?
    /// Why it earns nothing, decided when it opened.
    public var noAwardReason: PatrolRulebook.NoAwardReason?
    /// Checkpoints covered so far, with when.
    public var checks: [PatrolCheck]
    /// The leader's weekly patrol this one joined, if any.
    public var joinedPatrolID: Int64?
    /// Whether the volunteer is a team leader.
    public var leader: Bool
    /// The volunteer's name, for the group patrol's slip.
    public var volunteerName: String

    public init(
        id: Int64, volunteerID: Int64, kind: PatrolKind, openedAt: Instant, awardKey: String?,
        checks: [PatrolCheck] = [], joinedPatrolID: Int64? = nil, leader: Bool = false,
        volunteerName: String = "", noAwardReason: PatrolRulebook.NoAwardReason? = nil
    ) {
        self.noAwardReason = noAwardReason
        self.volunteerName = volunteerName
        self.id = id
        self.volunteerID = volunteerID
        self.kind = kind
        self.openedAt = openedAt
        self.awardKey = awardKey
        self.checks = checks
        self.joinedPatrolID = joinedPatrolID
        self.leader = leader
    }

    /// Whether this is the leader's patrol of a weekly group patrol, which others join.
    public var leadsGroup: Bool { kind == .weeklyFull && leader && joinedPatrolID == nil }
}

/// One checkpoint covered by a patrol.
public struct PatrolCheck: Sendable, Hashable, Codable {
    public var checkpointID: String
    public var at: Instant

    public init(checkpointID: String, at: Instant) {
        self.checkpointID = checkpointID
        self.at = at
    }
}

/// What has already been awarded today, as far as starting or finishing a patrol cares.
public struct AwardTally: Sendable, Hashable {
    /// Award keys already posted (by any volunteer) today.
    public var takenKeys: Set<String>
    /// Daily-patrol awards posted today at the station.
    public var dailyAwards: Int
    /// Open daily patrols today that still expect an award.
    public var openDailyClaims: Int
    /// Who is on daily duty today by the rota; nil when the day has no rota (anyone may earn).
    public var onDuty: Set<Int64>?

    public init(takenKeys: Set<String> = [], dailyAwards: Int = 0, openDailyClaims: Int = 0, onDuty: Set<Int64>? = nil) {
        self.onDuty = onDuty
        self.takenKeys = takenKeys
        self.dailyAwards = dailyAwards
        self.openDailyClaims = openDailyClaims
    }
}
