import Foundation
import YizhanCore

/// A QR badge or RFID card as the API shows it; `code` only in the reply that creates a QR badge.
public struct BadgeRecord: Sendable, Codable, Hashable {
    public var id: Int64
    public var volunteerID: Int64
    public var kind: String
    public var code: String?
    public var createdAt: Date
    public var revokedAt: Date?
}

/// A patrol as the API shows it.
public struct PatrolRecord: Sendable, Codable, Hashable {
    public var id: Int64
    public var volunteerID: Int64
    public var kind: PatrolKind
    public var state: PatrolState
    public var openedAt: Date
    public var closedAt: Date?
    public var points: Int
    public var missing: [String]
    public var checkpoints: [String]
    public var flaggedFast: Bool
    public var clockSynced: Bool
    public var noAwardReason: String?
    /// For a member of the weekly group patrol, the leader's patrol, which holds the group's checkpoints.
    public var joinedPatrolID: Int64?
}

/// A hazard report as the API shows it.
public struct HazardRecord: Sendable, Codable, Hashable {
    public var id: Int64
    public var checkpointID: String
    public var reporterID: Int64
    public var patrolID: Int64?
    public var state: HazardState
    public var description: String?
    public var deadline: String?
    public var reportedAt: Date
    public var updatedAt: Date
}

/// A ledger entry as the API shows it.
public struct LedgerRecord: Sendable, Codable, Hashable {
    public var id: Int64
    public var volunteerID: Int64
    public var delta: Int
    public var kind: LedgerKind
    public var source: String
    public var reverses: Int64?
    public var note: String?
    /// The local user who made the entry on the admin socket; nil for the kiosk's own.
    public var actor: String?
    public var createdAt: Date
}

/// A redemption as the API shows it; `code` is what follows `YZ:R:`.
public struct RedemptionRecord: Sendable, Codable, Hashable {
    public var code: String
    public var itemID: String
    public var volunteerID: Int64
    public var cost: Int
    public var state: RedemptionState
    public var createdAt: Date
    public var collectedAt: Date?
    public var cancelledAt: Date?
}

/// A print job as the API shows it.
public struct PrintJobRecord: Sendable, Codable, Hashable {
    public var id: Int64
    public var slip: Slip.Kind
    public var state: PrintJobState
    public var reprintOf: Int64?
    public var error: String?
    public var createdAt: Date
    public var updatedAt: Date
}

/// One scan from the log.
public struct ScanRecord: Sendable, Codable, Hashable {
    public var seq: Int64
    public var scanner: String
    public var outcome: ScanOutcome
    public var reason: String
    public var at: Date
    public var clockSynced: Bool
}

/// What `ledger verify` found.
public struct LedgerVerification: Sendable, Codable, Hashable {
    /// A volunteer whose cached figures differ from the sum of their entries.
    public struct Mismatch: Sendable, Codable, Hashable {
        public var volunteerID: Int64
        public var cachedBalance: Int
        public var ledgerBalance: Int
        public var cachedEarned: Int
        public var ledgerEarned: Int
    }

    public var volunteers: Int
    public var entries: Int
    public var mismatches: [Mismatch]
    /// Whether the cached figures were rebuilt from the entries.
    public var repaired: Bool

    public var isClean: Bool { mismatches.isEmpty }
}

/// A page of a list, with the cursor for the next one.
public struct Page<Item: Sendable & Codable>: Sendable, Codable {
    public var items: [Item]
    public var next: String?

    public init(items: [Item], next: String?) {
        self.items = items
        self.next = next
    }
}
