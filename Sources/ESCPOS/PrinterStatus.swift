/// What a printer says about itself through `DLE EOT` (SPEC 5: offline, cover open, paper
/// out and paper near end are distinct; an unknown status prints anyway, with a warning).
public enum PrinterCondition: String, Sendable, Hashable, Codable {
    case ready
    case offline
    case coverOpen = "cover_open"
    case paperOut = "paper_out"
    case paperNearEnd = "paper_near_end"
    case unknown

    /// Whether a job may be sent now.
    public var canPrint: Bool {
        switch self {
        case .ready, .paperNearEnd, .unknown: true
        case .offline, .coverOpen, .paperOut: false
        }
    }
}

/// `DLE EOT n` real-time status requests and the parsing of their one-byte replies.
public enum RealTimeStatus {
    /// `DLE EOT 1`: printer status. `DLE EOT 2`: offline cause. `DLE EOT 4`: paper roll sensor.
    public static func request(_ n: UInt8) -> [UInt8] { [0x10, 0x04, n] }

    /// A status byte is well formed when its fixed bits are: bit 1 and bit 4 set, bit 0 and
    /// bit 7 clear. Anything else (noise, a byte of another reply) is not a status.
    public static func isWellFormed(_ byte: UInt8) -> Bool {
        byte & 0x93 == 0x12
    }

    /// The condition from the replies to `DLE EOT 1`, `2` and `4`; nil replies (no answer)
    /// or malformed ones make it unknown.
    public static func condition(printer: UInt8?, offlineCause: UInt8?, paper: UInt8?) -> PrinterCondition {
        guard let printer, let paper, isWellFormed(printer), isWellFormed(paper) else { return .unknown }
        if paper & 0x60 != 0 { return .paperOut }
        if printer & 0x08 != 0 {
            if let offlineCause, isWellFormed(offlineCause) {
                if offlineCause & 0x04 != 0 { return .coverOpen }
                if offlineCause & 0x20 != 0 { return .paperOut }
            }
            return .offline
        }
        if paper & 0x0C != 0 { return .paperNearEnd }
        return .ready
    }
}
