/// The layers of patrol (SPEC 2), each with its own points.
public enum PatrolKind: String, Sendable, Hashable, Codable, CaseIterable {
    case daily
    case keyPeriod = "key_period"
    case special
    case weeklyFull = "weekly_full"

    /// The name printed on slips.
    public var displayName: String {
        switch self {
        case .daily: "日常巡查"
        case .keyPeriod: "重点时段巡查"
        case .special: "专项巡查"
        case .weeklyFull: "每周全面巡查"
        }
    }
}

/// Patrol states: open → completed | incomplete | expired | voided.
public enum PatrolState: String, Sendable, Hashable, Codable, CaseIterable {
    case open, completed, incomplete, expired, voided

    /// Whether the manager may void a patrol in this state.
    public var canBeVoided: Bool { self != .voided }
}
