import Foundation
import Hummingbird
import YizhanCore
import YizhanWire

/// An error as the API reports it: `{"error": {"code": "...", "message": "..."}}` with the
/// status its code is answered with.
struct APIError: Error, Sendable {
    var code: ErrorCode
    var message: String
    /// Only a refusal of the HTTP server underneath brings a status of its own.
    private var serverStatus: HTTPResponse.Status?

    init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    var status: HTTPResponse.Status { serverStatus ?? Self.status(of: code) }

    static func status(of code: ErrorCode) -> HTTPResponse.Status {
        switch code {
        case .notFound: .notFound
        case .invalidRequest, .invalidConfig, .malformedJSON, .unknownField, .missingField, .invalidField, .invalidBody, .invalidQuery,
            .invalidIdempotencyKey, .httpError:
            .badRequest
        case .adminOnly: .forbidden
        case .invalidTransition, .selfConfirmation, .checkNextDay, .conflict, .alreadyCollected, .redemptionCancelled,
            .idempotencyKeyInUse:
            .conflict
        case .bodyTooLarge: .contentTooLarge
        case .insufficientPoints, .negativeBalance, .idempotencyKeyReused: .unprocessableContent
        case .internalError: .internalServerError
        case .storeUnavailable, .printerUnavailable: .serviceUnavailable
        }
    }

    /// Any error a handler let through, as the client will see it.
    init(from error: any Error) {
        switch error {
        case let error as APIError: self = error
        case let error as YizhanError: self.init(error.code, error.message)
        case let error as HTTPError where error.status == .notFound: self.init(.notFound, "no such route")
        case let error as HTTPError:
            self.init(.httpError, error.body ?? error.status.reasonPhrase)
            serverStatus = error.status
        default: self.init(.internalError, "\(error)")
        }
    }

    var reply: APIReply {
        APIReply(status: status, body: APIReply.encode(ErrorReply(code: code.rawValue, message: message)))
    }
}
