/// An open patrol as the rules need to see it.
public struct OpenPatrol: Sendable, Hashable {
    public var id: Int64
    public var volunteerID: Int64
    public var kind: PatrolKind
    public var openedAt: Instant
    /// The award this patrol will claim if it completes; nil when it earns nothing.
    public var awardKey: String?
    /// Checkpoints covered so far, with when.
    public var checks: [PatrolCheck]
    /// The leader's weekly patrol this one joined, if any.
    public var joinedPatrolID: Int64?
    /// Whether the volunteer is a team leader.
    public var leader: Bool

    public init(
        id: Int64, volunteerID: Int64, kind: PatrolKind, openedAt: Instant, awardKey: String?,
        checks: [PatrolCheck] = [], joinedPatrolID: Int64? = nil, leader: Bool = false
    ) {
        self.id = id
        self.volunteerID = volunteerID
        self.kind = kind
        self.openedAt = openedAt
        self.awardKey = awardKey
        self.checks = checks
        self.joinedPatrolID = joinedPatrolID
        self.leader = leader
    }
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

    public init(takenKeys: Set<String> = [], dailyAwards: Int = 0, openDailyClaims: Int = 0) {
        self.takenKeys = takenKeys
        self.dailyAwards = dailyAwards
        self.openDailyClaims = openDailyClaims
    }
}
