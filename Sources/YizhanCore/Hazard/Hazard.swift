/// Hazard states (SPEC 4): reported → confirmed | rejected | duplicate; confirmed →
/// rectifying (notice, deadline) → rectified → accepted | reopened; reopened → rectifying
/// or rectified again.
public enum HazardState: String, Sendable, Hashable, Codable, CaseIterable {
    case reported, confirmed, rejected, duplicate, rectifying, rectified, accepted, reopened

    /// The states a hazard may move to from this one.
    public var successors: Set<HazardState> {
        switch self {
        case .reported: [.confirmed, .rejected, .duplicate]
        case .confirmed: [.rectifying]
        case .rectifying: [.rectified]
        case .rectified: [.accepted, .reopened]
        case .reopened: [.rectifying, .rectified]
        case .rejected, .duplicate, .accepted: []
        }
    }
}

/// The rules for moving a hazard along its path.
public struct HazardRulebook: Sendable {
    public let rules: Rules

    public init(rules: Rules) {
        self.rules = rules
    }

    /// A hazard as the transition rules need to see it.
    public struct Facts: Sendable, Hashable {
        public var id: Int64
        public var state: HazardState
        public var reporterID: Int64
        /// The reporter's local account, when they are also a manager.
        public var reporterLogin: String?
        /// When it was last marked rectified, for the next-day acceptance check.
        public var rectifiedAt: Instant?

        public init(id: Int64, state: HazardState, reporterID: Int64, reporterLogin: String? = nil, rectifiedAt: Instant? = nil) {
            self.reporterLogin = reporterLogin
            self.id = id
            self.state = state
            self.reporterID = reporterID
            self.rectifiedAt = rectifiedAt
        }
    }

    /// What a permitted transition does besides changing the state.
    public struct Transition: Sendable, Hashable {
        public var from: HazardState
        public var to: HazardState
        /// Points for the reporter, posted once under the hazard's own key.
        public var bonus: Int?
        /// Whether a rectification notice slip is printed.
        public var printsNotice: Bool
    }

    /// Checks and describes moving `hazard` to `target` by the manager: `actor` is their
    /// local account (from the admin socket), `actorID` the volunteer they may name
    /// themselves as. Either matching the reporter refuses a confirmation.
    public func transition(_ hazard: Facts, to target: HazardState, actorID: Int64?, actor: String? = nil, at now: Instant)
        throws(YizhanError) -> Transition
    {
        guard hazard.state.successors.contains(target) else {
            let allowed = hazard.state.successors.map(\.rawValue).sorted()
            let next = allowed.isEmpty ? "it is final" : "it can become \(allowed.joined(separator: ", "))"
            throw YizhanError(.invalidTransition, "a \(hazard.state.rawValue) hazard cannot become \(target.rawValue): \(next)")
        }
        let byReporter = actorID == hazard.reporterID || (actor != nil && actor == hazard.reporterLogin)
        if target == .confirmed, byReporter {
            throw YizhanError(.selfConfirmation, "the reporter cannot confirm their own hazard")
        }
        if target == .accepted, let rectifiedAt = hazard.rectifiedAt,
            rules.calendar.day(of: now.wall) <= rules.calendar.day(of: rectifiedAt.wall)
        {
            throw YizhanError(.checkNextDay, "a rectified hazard is accepted after a check on a later day")
        }
        return Transition(
            from: hazard.state, to: target,
            bonus: target == .confirmed ? rules.points.hazardBonus : nil,
            printsNotice: target == .rectifying
        )
    }
}
