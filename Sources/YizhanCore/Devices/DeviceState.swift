/// How a configured device is: what the status API, the event stream and the idle light say.
public enum DeviceState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Open and working.
    case present
    /// Configured but not there (unplugged, not yet created); retried.
    case missing
    /// Configured with a backend this build does not have.
    case unsupported
    /// There but failing.
    case fault
}
