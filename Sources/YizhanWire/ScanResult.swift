import YizhanCore

/// The answer to one scan: its sequence number in the scan log and the kiosk's reply.
public struct ScanResult: Sendable, Hashable, Codable {
    /// Nil only when the scan could not be recorded (the store is unusable).
    public var seq: Int64?
    public var outcome: ScanOutcome
    public var reason: ScanReason
    public var message: String

    public init(seq: Int64?, reply: ScanReply) {
        self.seq = seq
        self.outcome = reply.outcome
        self.reason = reply.reason
        self.message = reply.message
    }
}
