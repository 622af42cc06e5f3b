import Foundation
import YizhanCore

/// What a volunteer shows the scanner: a QR badge printed for them, or their RFID card.
public enum BadgeKind: String, Sendable, Hashable, Codable, CaseIterable {
    case qr, card
}

/// A QR badge or RFID card as the API shows it; `code` only in the reply that creates a QR badge.
public struct BadgeRecord: Sendable, Codable, Hashable {
    public var id: Int64
    public var volunteerID: Int64
    public var kind: BadgeKind
    public var code: String?
    public var createdAt: Date
    public var revokedAt: Date?

    public init(id: Int64, volunteerID: Int64, kind: BadgeKind, code: String? = nil, createdAt: Date, revokedAt: Date? = nil) {
        self.id = id
        self.volunteerID = volunteerID
        self.kind = kind
        self.code = code
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
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
    public var noAwardReason: PatrolRulebook.NoAwardReason?
    /// For a member of the weekly group patrol, the leader's patrol, which holds the group's checkpoints.
    public var joinedPatrolID: Int64?

    public init(
        id: Int64, volunteerID: Int64, kind: PatrolKind, state: PatrolState, openedAt: Date, closedAt: Date? = nil, points: Int,
        missing: [String], checkpoints: [String], flaggedFast: Bool, clockSynced: Bool, noAwardReason: PatrolRulebook.NoAwardReason? = nil,
        joinedPatrolID: Int64? = nil
    ) {
        self.id = id
        self.volunteerID = volunteerID
        self.kind = kind
        self.state = state
        self.openedAt = openedAt
        self.closedAt = closedAt
        self.points = points
        self.missing = missing
        self.checkpoints = checkpoints
        self.flaggedFast = flaggedFast
        self.clockSynced = clockSynced
        self.noAwardReason = noAwardReason
        self.joinedPatrolID = joinedPatrolID
    }
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

    public init(
        id: Int64, checkpointID: String, reporterID: Int64, patrolID: Int64? = nil, state: HazardState, description: String? = nil,
        deadline: String? = nil, reportedAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.checkpointID = checkpointID
        self.reporterID = reporterID
        self.patrolID = patrolID
        self.state = state
        self.description = description
        self.deadline = deadline
        self.reportedAt = reportedAt
        self.updatedAt = updatedAt
    }
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

    public init(
        id: Int64, volunteerID: Int64, delta: Int, kind: LedgerKind, source: String, reverses: Int64? = nil, note: String? = nil,
        actor: String? = nil, createdAt: Date
    ) {
        self.id = id
        self.volunteerID = volunteerID
        self.delta = delta
        self.kind = kind
        self.source = source
        self.reverses = reverses
        self.note = note
        self.actor = actor
        self.createdAt = createdAt
    }
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

    public init(
        code: String, itemID: String, volunteerID: Int64, cost: Int, state: RedemptionState, createdAt: Date, collectedAt: Date? = nil,
        cancelledAt: Date? = nil
    ) {
        self.code = code
        self.itemID = itemID
        self.volunteerID = volunteerID
        self.cost = cost
        self.state = state
        self.createdAt = createdAt
        self.collectedAt = collectedAt
        self.cancelledAt = cancelledAt
    }
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

    public init(
        id: Int64, slip: Slip.Kind, state: PrintJobState, reprintOf: Int64? = nil, error: String? = nil, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.slip = slip
        self.state = state
        self.reprintOf = reprintOf
        self.error = error
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// One scan from the log.
public struct ScanRecord: Sendable, Codable, Hashable {
    public var seq: Int64
    public var scanner: String
    public var outcome: ScanOutcome
    public var reason: String
    public var at: Date
    public var clockSynced: Bool

    public init(seq: Int64, scanner: String, outcome: ScanOutcome, reason: String, at: Date, clockSynced: Bool) {
        self.seq = seq
        self.scanner = scanner
        self.outcome = outcome
        self.reason = reason
        self.at = at
        self.clockSynced = clockSynced
    }
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

        public init(volunteerID: Int64, cachedBalance: Int, ledgerBalance: Int, cachedEarned: Int, ledgerEarned: Int) {
            self.volunteerID = volunteerID
            self.cachedBalance = cachedBalance
            self.ledgerBalance = ledgerBalance
            self.cachedEarned = cachedEarned
            self.ledgerEarned = ledgerEarned
        }
    }

    public var volunteers: Int
    public var entries: Int
    public var mismatches: [Mismatch]
    /// Whether the cached figures were rebuilt from the entries.
    public var repaired: Bool

    public var isClean: Bool { mismatches.isEmpty }

    public init(volunteers: Int, entries: Int, mismatches: [Mismatch], repaired: Bool) {
        self.volunteers = volunteers
        self.entries = entries
        self.mismatches = mismatches
        self.repaired = repaired
    }
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

/// One change made through the admin socket, and the local user who made it.
public struct ChangeRecord: Sendable, Codable, Hashable {
    public var id: Int64
    public var at: Date
    /// The local user, from the admin socket's peer credentials.
    public var actor: String
    /// What was done, e.g. `ledger.adjust`, `hazard.confirmed`, `rota.set`.
    public var action: String
    /// What it was done to, e.g. `volunteer 3 -50`.
    public var subject: String

    public init(id: Int64, at: Date, actor: String, action: String, subject: String) {
        self.id = id
        self.at = at
        self.actor = actor
        self.action = action
        self.subject = subject
    }
}

/// One day of the duty rota: who is on daily duty.
public struct RotaDay: Sendable, Codable, Hashable {
    public struct OnDuty: Sendable, Codable, Hashable {
        public var id: Int64
        public var name: String

        public init(id: Int64, name: String) {
            self.id = id
            self.name = name
        }
    }

    public var day: String
    public var volunteers: [OnDuty]
    /// The local user who set it, from the admin socket's peer credentials.
    public var setBy: String?
    public var setAt: Date?

    public init(day: String, volunteers: [OnDuty], setBy: String? = nil, setAt: Date? = nil) {
        self.day = day
        self.volunteers = volunteers
        self.setBy = setBy
        self.setAt = setAt
    }
}

extension Page: Equatable where Item: Equatable {}
extension Page: Hashable where Item: Hashable {}
