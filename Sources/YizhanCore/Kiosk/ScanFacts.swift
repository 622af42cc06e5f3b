/// What the store knows that a scan's rule needs, read inside the scan's transaction.
public struct ScanFacts: Sendable {
    /// The volunteer a badge or card belongs to; nil when unregistered or revoked.
    public var volunteer: Volunteer?
    /// Every open patrol at the station (a handful at most).
    public var openPatrols: [OpenPatrol]
    /// Today's awards.
    public var tally: AwardTally
    /// The scanned or selected catalogue item.
    public var item: RedemptionRulebook.ItemFacts?
    /// The redemption a slip names.
    public var redemption: RedemptionFacts?
    /// For a balance slip: completed patrols this month.
    public var patrolsThisMonth: Int
    /// A fresh redemption code, used only if this scan redeems.
    public var freshRedemptionCode: String
    /// For a balance slip: the goods this volunteer could take now (active, in stock,
    /// affordable, within the monthly limit).
    public var redeemableItems: [CatalogItem] = []

    public init(
        volunteer: Volunteer? = nil, openPatrols: [OpenPatrol] = [], tally: AwardTally = AwardTally(),
        item: RedemptionRulebook.ItemFacts? = nil, redemption: RedemptionFacts? = nil, patrolsThisMonth: Int = 0,
        freshRedemptionCode: String = ""
    ) {
        self.volunteer = volunteer
        self.openPatrols = openPatrols
        self.tally = tally
        self.item = item
        self.redemption = redemption
        self.patrolsThisMonth = patrolsThisMonth
        self.freshRedemptionCode = freshRedemptionCode
    }
}

/// A redemption as the collect rule sees it.
public struct RedemptionFacts: Sendable, Hashable {
    public var code: String
    public var state: RedemptionState
    public var itemName: String

    public init(code: String, state: RedemptionState, itemName: String) {
        self.code = code
        self.state = state
        self.itemName = itemName
    }
}

/// What a scan changes, applied by the store in the scan's transaction.
public enum ScanEffect: Sendable, Hashable {
    case openPatrol(volunteerID: Int64, PatrolRulebook.Opening)
    case recordCheck(patrolID: Int64, checkpointID: String)
    case closePatrol(volunteerID: Int64, PatrolRulebook.Closing)
    case reportHazard(checkpointID: String, reporterID: Int64, patrolID: Int64)
    case redeem(code: String, itemID: String, volunteerID: Int64, cost: Int)
    case collect(code: String)
    case print(Slip)
}

/// The rule's answer to one scan.
public struct ScanDecision: Sendable {
    public var reply: ScanReply
    public var effects: [ScanEffect]
    public var session: KioskSession

    public init(reply: ScanReply, effects: [ScanEffect] = [], session: KioskSession) {
        self.reply = reply
        self.effects = effects
        self.session = session
    }
}
