import Foundation
import YizhanSystem
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

    private let descriptor: FileDescriptor
    private var buffer: [UInt8] = []
    private var body: [UInt8] = []
    private var chunks = ChunkedBody()
    private var ended = false

    /// Connects and subscribes from after `after` (nil: only new events).
    public init(client: UnixHTTPClient, after: Int64?) throws {
        descriptor = try client.connect()
        let path = "/v1/events" + (after.map { "?after=\($0)" } ?? "")
        try client.writeAll(descriptor, Array("GET \(path) HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n".utf8))
        let separator: [UInt8] = [13, 10, 13, 10]
        while buffer.firstRange(of: separator) == nil {
            guard try fill() else { throw UnixHTTPClient.Failure.malformedResponse }
        }
        let end = buffer.firstRange(of: separator)!
        let head = String(decoding: buffer[..<end.lowerBound], as: UTF8.self)
        guard head.hasPrefix("HTTP/1.1 200") else { throw UnixHTTPClient.Failure.malformedResponse }
        buffer.removeFirst(end.upperBound)
    }

    deinit {
        try? descriptor.close()
    }

    /// The next event, or nil when the daemon ends the stream.
    public func next() throws -> Event? {
        try next(before: nil)
    }

    /// The next event, or nil when the daemon ends the stream or none has come by
    /// `deadline`.
    public func next(before deadline: ContinuousClock.Instant?) throws -> Event? {
        while true {
            try decodeChunks()
            if let event = takeEvent() { return event }
            if ended { return nil }
            if let deadline, !Kernel.waitUntilReadable(descriptor, before: deadline) { return nil }
            if try !fill() { ended = true }
        }
    }

    /// Moves what the socket brought into the body, without the chunks' framing.
    private func decodeChunks() throws {
        try chunks.decode(buffer[...]) { body += $0 }
        buffer = []
        if chunks.isEnded { ended = true }
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

    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16384)
        let count: Int
        do { count = try Kernel.read(descriptor, into: &chunk) } catch { throw UnixHTTPClient.Failure.io("read", error) }
        buffer += chunk.prefix(count)
        return count > 0
    }
}
