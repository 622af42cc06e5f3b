/// A slip's content, independent of the printer: the ESC/POS encoder lays it out for the
/// paper width and the printer's Chinese mode.
public struct Slip: Sendable, Hashable, Codable {
    /// The slips of SPEC 5.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case patrol, redemption, refusal, balance, badge
        case hazardNotice = "hazard_notice"
        case summary
        case testPage = "test_page"
    }

    public var kind: Kind
    public var title: String
    public var lines: [SlipLine]
    /// A payload printed as a QR code under the lines.
    public var qr: String?
    /// When the event the slip reports happened; marked on the slip when unsynchronised.
    public var issuedAt: Instant
    /// A reprint says 补打 (REPRINT) so it cannot pass for the original.
    public var reprint: Bool

    public init(kind: Kind, title: String, lines: [SlipLine], qr: String? = nil, issuedAt: Instant, reprint: Bool = false) {
        self.kind = kind
        self.title = title
        self.lines = lines
        self.qr = qr
        self.issuedAt = issuedAt
        self.reprint = reprint
    }
}

/// One line of a slip.
public enum SlipLine: Sendable, Hashable, Codable {
    /// Plain text, wrapped to the width.
    case text(String)
    /// A label on the left and a value on the right.
    case field(String, String)
    /// Large bold text, for the figure that matters (points, the result).
    case emphasis(String)
    /// A horizontal rule.
    case rule
}
