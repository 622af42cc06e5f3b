/// Every code a refusal can carry: of the rules and the store (`YizhanError`), of a request
/// body (`RequestBodyError`), and of the API itself. The raw values are the wire's and
/// never change; the API answers each with one HTTP status.
public enum ErrorCode: String, Sendable, Hashable, CaseIterable {
    // The rules and the store.
    case notFound = "not_found"
    case invalidRequest = "invalid_request"
    case invalidTransition = "invalid_transition"
    case selfConfirmation = "self_confirmation"
    case checkNextDay = "check_next_day"
    case insufficientPoints = "insufficient_points"
    case negativeBalance = "negative_balance"
    case conflict
    case alreadyCollected = "already_collected"
    case redemptionCancelled = "redemption_cancelled"
    case storeUnavailable = "store_unavailable"
    case invalidConfig = "invalid_config"
    // A request's body.
    case malformedJSON = "malformed_json"
    case unknownField = "unknown_field"
    case missingField = "missing_field"
    case invalidField = "invalid_field"
    case invalidBody = "invalid_body"
    // The API's own.
    case invalidQuery = "invalid_query"
    case invalidIdempotencyKey = "invalid_idempotency_key"
    case idempotencyKeyInUse = "idempotency_key_in_use"
    case idempotencyKeyReused = "idempotency_key_reused"
    case bodyTooLarge = "body_too_large"
    case adminOnly = "admin_only"
    case printerUnavailable = "printer_unavailable"
    /// A refusal from the HTTP server underneath (a method the route does not take).
    case httpError = "http_error"
    case internalError = "internal"
}

/// An error with a code that users, logs and the API can rely on.
public struct YizhanError: Error, Sendable, Hashable, CustomStringConvertible {
    public typealias Code = ErrorCode

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
