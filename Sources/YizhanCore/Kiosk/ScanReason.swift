import Foundation

/// Why a scan got the reply it got: on the API, the event stream, the scan log and the
/// lights. The raw values are the wire's and never change; a new reason is a new case.
public enum ScanReason: String, Sendable, Hashable, Codable, CaseIterable {
    // Accepted: the scan did what the volunteer meant.
    case patrolStarted = "patrol_started"
    case patrolResumed = "patrol_resumed"
    case patrolJoined = "patrol_joined"
    case patrolCompleted = "patrol_completed"
    case checkpointRecorded = "checkpoint_recorded"
    case hazardReported = "hazard_reported"
    case redeemed
    case collected
    case selectionCancelled = "selection_cancelled"
    case balancePrinted = "balance_printed"
    // Attention: taken, but not all the volunteer may have hoped for.
    case patrolIncomplete = "patrol_incomplete"
    case patrolAlreadyOpen = "patrol_already_open"
    case checkpointDuplicate = "checkpoint_duplicate"
    case itemSelected = "item_selected"
    case commandArmed = "command_armed"
    case alreadyAwarded = "already_awarded"
    case dailyCapReached = "daily_cap_reached"
    case notOnDuty = "not_on_duty"
    case leftGroup = "left_group"
    // Error: refused by the rules.
    case unknownBadge = "unknown_badge"
    case unknownCard = "unknown_card"
    case volunteerInactive = "volunteer_inactive"
    case unknownCheckpoint = "unknown_checkpoint"
    case noOpenPatrol = "no_open_patrol"
    case ambiguousPatrol = "ambiguous_patrol"
    case noCampaign = "no_campaign"
    case unknownItem = "unknown_item"
    case insufficientPoints = "insufficient_points"
    case outOfStock = "out_of_stock"
    case monthlyLimit = "monthly_limit"
    case itemUnavailable = "item_unavailable"
    case unknownRedemption = "unknown_redemption"
    case alreadyCollected = "already_collected"
    case redemptionCancelled = "redemption_cancelled"
    // Error: bytes that are not a scan (`ScanRejection`).
    case emptyScan = "empty_scan"
    case scanTooLong = "scan_too_long"
    case controlBytes = "control_bytes"
    case scanTooSlow = "scan_too_slow"
    case notUTF8 = "not_utf8"
    case unknownCode = "unknown_code"
    // The station's own: a repeat within the debounce window, and a store that cannot record.
    case debounced
    case storeUnavailable = "store_unavailable"
}

/// A reason of the rules' own that the kiosk answers with the scan reason spelled the same.
public protocol ScanReasonSpelling: RawRepresentable<String>, CaseIterable {}

extension ScanRejection: ScanReasonSpelling {}
extension RedemptionRulebook.Refusal: ScanReasonSpelling {}
extension PatrolRulebook.NoAwardReason: ScanReasonSpelling {}

extension ScanReason {
    /// The scan reason spelled as `reason` is. Every case of each spelling has one: a test
    /// reads them all, so a new case without its scan reason fails there, not at a scan.
    public init(_ reason: some ScanReasonSpelling) {
        guard let same = ScanReason(rawValue: reason.rawValue) else { preconditionFailure("no scan reason \(reason.rawValue)") }
        self = same
    }
}
