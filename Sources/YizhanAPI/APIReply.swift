import Foundation
import Hummingbird
import NIOCore
import YizhanCore
import YizhanWire

/// A finished answer: a status and a JSON (or other) body.
struct APIReply: Sendable {
    var status: HTTPResponse.Status
    var body: Data
    var contentType = "application/json"
    /// What a retry with the same `Idempotency-Key` gets when it must differ from `body`:
    /// a secret shown once (a new badge's code) is not kept for replaying.
    var replayBody: Data?

    init(status: HTTPResponse.Status = .ok, body: Data, contentType: String = "application/json") {
        self.status = status
        self.body = body
        self.contentType = contentType
    }

    /// JSON as scripts rely on it: snake_case keys, RFC 3339 times with the station's offset.
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, calendar: StationCalendar) -> APIReply {
        APIReply(status: status, body: encode(value, calendar: calendar))
    }

    static func encode(_ value: some Encodable, calendar: StationCalendar? = nil) -> Data {
        // Every value the API encodes is built from plain stored fields.
        try! WireCoding.encoder(calendar: calendar).encode(value)
    }

    var response: Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.contentLength] = String(body.count)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
