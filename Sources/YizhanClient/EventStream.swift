import Foundation
import YizhanWire

/// A subscription to `GET /v1/events`: reads server-sent events one at a time as they
/// arrive, decoding the chunked body as it goes.
public final class EventStream {
    /// One event: its id, type and JSON data.
    public struct Event: Sendable, Hashable {
        public var id: Int64
        public var type: String
        public var data: String

        /// The kind, when it is one this client knows.
        public var kind: EventKind? { EventKind(rawValue: type) }

        /// The data as the type its kind carries (`ScanEvent` for a scan).
        public func payload<Payload: Decodable>(_ type: Payload.Type, times: ReceivedTimes = ReceivedTimes()) throws -> Payload {
            try WireCoding.decoder(times: times).decode(type, from: Data(data.utf8))
        }
    }

    private let response: StreamedResponse
    /// The body read so far and not yet taken as events.
    private var body: [UInt8] = []
    private var ended = false

    /// Connects and subscribes from after `after` (nil: only new events).
    public init(client: UnixHTTPClient, after: Int64?) throws {
        let path = "/v1/events" + (after.map { "?after=\($0)" } ?? "")
        response = try client.open("GET", path, headers: ["Accept": "text/event-stream"])
        guard response.status == 200 else { throw UnixHTTPClient.Failure.malformedResponse }
    }

    /// The next event, or nil when the daemon ends the stream.
    public func next() throws -> Event? {
        try next(before: nil)
    }

    /// The next event, or nil when the daemon ends the stream or none has come by
    /// `deadline`. A stream that breaks off (the daemon killed) is an error.
    public func next(before deadline: ContinuousClock.Instant?) throws -> Event? {
        while true {
            if let event = takeEvent() { return event }
            if ended { return nil }
            guard let bytes = try response.next(before: deadline) else {
                ended = true
                continue
            }
            if bytes.isEmpty { return nil }
            body += bytes
        }
    }

    /// Parses one complete event (ended by a blank line) off the body.
    private func takeEvent() -> Event? {
        guard let end = body.firstRange(of: [10, 10]) else { return nil }
        let text = String(decoding: body[..<end.lowerBound], as: UTF8.self)
        body.removeFirst(end.upperBound)
        var event = Event(id: 0, type: "message", data: "")
        for line in text.split(separator: "\n") {
            if line.hasPrefix("id: ") { event.id = Int64(line.dropFirst(4)) ?? 0 }
            if line.hasPrefix("event: ") { event.type = String(line.dropFirst(7)) }
            if line.hasPrefix("data: ") { event.data = String(line.dropFirst(6)) }
        }
        return event
    }
}
