/// An error with a code that users, logs and the API can rely on.
public struct YizhanError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable machine-readable codes; the API maps each to an HTTP status.
    public enum Code: String, Sendable, Hashable {
        case notFound = "not_found"
        case invalidRequest = "invalid_request"
        case invalidTransition = "invalid_transition"
        case selfConfirmation = "self_confirmation"
        case checkNextDay = "check_next_day"
        case insufficientPoints = "insufficient_points"
        case negativeBalance = "negative_balance"
        case conflict = "conflict"
        case alreadyCollected = "already_collected"
        case redemptionCancelled = "redemption_cancelled"
        case storeUnavailable = "store_unavailable"
        case invalidConfig = "invalid_config"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
