/// Print job states (SPEC 4): queued → printing → printed | failed; a job whose sending
/// broke off is uncertain and is never resent by itself.
public enum PrintJobState: String, Sendable, Hashable, Codable, CaseIterable {
    case queued, printing, printed, failed, uncertain

    /// Whether the spooler may pick this job up.
    public var isPending: Bool { self == .queued }

    /// The state a job in this state is in after the daemon restarts: a job that was being
    /// sent when the process died may or may not have reached paper.
    public var afterRestart: PrintJobState { self == .printing ? .uncertain : self }

    /// Whether the manager may ask for a reprint of a job in this state.
    public var canBeReprinted: Bool { self == .printed || self == .failed || self == .uncertain }
}
