import Foundation
import Hummingbird
import YizhanCore
import YizhanWire

/// An error as the API reports it: `{"error": {"code": "...", "message": "..."}}` with a
/// status that fits the code.
struct APIError: Error, Sendable {
    var status: HTTPResponse.Status
    var code: String
    var message: String

    init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    init(_ error: YizhanError) {
        let status: HTTPResponse.Status =
            switch error.code {
            case .notFound: .notFound
            case .invalidRequest, .invalidConfig: .badRequest
            case .invalidTransition, .selfConfirmation, .checkNextDay, .conflict, .alreadyCollected, .redemptionCancelled: .conflict
            case .insufficientPoints, .negativeBalance: .unprocessableContent
            case .storeUnavailable: .serviceUnavailable
            }
        self.init(status, error.code.rawValue, error.message)
    }

    /// Any error a handler let through, as the client will see it.
    init(from error: any Error) {
        switch error {
        case let error as APIError: self = error
        case let error as YizhanError: self.init(error)
        case let error as HTTPError where error.status == .notFound: self.init(.notFound, "not_found", "no such route")
        case let error as HTTPError: self.init(error.status, "http_error", error.body ?? error.status.reasonPhrase)
        default: self.init(.internalServerError, "internal", "\(error)")
        }
    }

    var reply: APIReply {
        APIReply(status: status, body: APIReply.encode(ErrorReply(code: code, message: message)))
    }
}
