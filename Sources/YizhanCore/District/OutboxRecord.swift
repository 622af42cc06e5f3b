import Foundation

/// One record for the district: a row of the station as it is after a change, numbered by
/// the station's increasing `seq` (SPEC 9, "Push").
public struct OutboxRecord: Sendable, Hashable {
    public var seq: Int64
    /// What kind of row: volunteer, badge, patrol, patrol_check, hazard, hazard_transition,
    /// ledger_entry, redemption.
    public var kind: String
    /// The row's key within its kind.
    public var key: String
    /// The row after the change, as a JSON object.
    public var body: String
    public var queuedAt: Date

    public init(seq: Int64, kind: String, key: String, body: String, queuedAt: Date) {
        self.seq = seq
        self.kind = kind
        self.key = key
        self.body = body
        self.queuedAt = queuedAt
    }
}
