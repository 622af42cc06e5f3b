/// The three outcomes a scan can have, each with its own light and beep (SPEC 3.3).
public enum ScanOutcome: String, Sendable, Hashable, Codable {
    case accepted, attention, error
}

/// What the kiosk answers to a scan, on the API, the event stream and the lights.
public struct ScanReply: Sendable, Hashable, Codable {
    public var outcome: ScanOutcome
    /// Machine-readable, e.g. `patrol_started`, `insufficient_points`.
    public var reason: ScanReason
    /// For the person at the kiosk.
    public var message: String

    public init(_ outcome: ScanOutcome, _ reason: ScanReason, _ message: String) {
        self.outcome = outcome
        self.reason = reason
        self.message = message
    }

    /// The reply to a payload that is not a scan.
    public static func rejected(_ rejection: ScanRejection) -> ScanReply {
        ScanReply(.error, ScanReason(rejection), rejection == .unknown ? "无法识别的码" : "扫描内容无效")
    }
}
