/// The kinds of ledger entry (SPEC 4).
public enum LedgerKind: String, Sendable, Hashable, Codable, CaseIterable {
    case patrolAward = "patrol_award"
    case hazardBonus = "hazard_bonus"
    case redemption
    case reversal
    case adjustment

    /// Whether a positive entry of this kind counts towards lifetime earned points (tiers).
    public var earns: Bool { self == .patrolAward || self == .hazardBonus }
}

/// One append-only ledger entry. `(kind, source)` is unique, so posting twice is impossible.
public struct LedgerEntry: Sendable, Hashable, Codable {
    public var id: Int64
    public var volunteerID: Int64
    public var delta: Int
    public var kind: LedgerKind
    /// What caused the entry, e.g. `patrol:12`, `hazard:3`, `redemption:K7Q2M9XA`.
    public var source: String
    /// For a reversal, the entry it reverses.
    public var reverses: Int64?
    public var createdAt: Instant

    public init(id: Int64, volunteerID: Int64, delta: Int, kind: LedgerKind, source: String, reverses: Int64?, createdAt: Instant) {
        self.id = id
        self.volunteerID = volunteerID
        self.delta = delta
        self.kind = kind
        self.source = source
        self.reverses = reverses
        self.createdAt = createdAt
    }
}

/// Sources of ledger entries, spelled in one place.
public enum LedgerSource {
    public static func patrol(_ id: Int64) -> String { "patrol:\(id)" }
    public static func hazard(_ id: Int64) -> String { "hazard:\(id)" }
    public static func redemption(_ code: String) -> String { "redemption:\(code)" }
    public static func reversal(of entryID: Int64) -> String { "reversal:\(entryID)" }
}
