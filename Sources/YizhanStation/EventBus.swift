import Foundation
import Synchronization
import YizhanCore

/// One event on the stream: a scan, a device change, a print job, a patrol that expired.
public struct StationEvent: Sendable, Hashable {
    /// Increasing across restarts: the daemon's run number in the high 32 bits.
    public var id: Int64
    public var type: String
    /// The event's JSON object.
    public var json: String
}

/// Holds the latest events in memory and hands them to subscribers, live and replayed:
/// a client that reconnects with its last id gets every event after it that is still held,
/// exactly once, then the live ones. A thousand are held by default: a day of a busy
/// station, ten seconds of a scan storm, and about half a megabyte.
public final class EventBus: Sendable {
    private struct State {
        var held: [StationEvent] = []
        var next: Int64
        var subscribers: [Int: AsyncStream<StationEvent>.Continuation] = [:]
        var nextSubscriber = 0
        var closed = false
    }

    private let state: Mutex<State>
    private let capacity: Int
    private let calendar: StationCalendar
    /// The first id of this run.
    public let firstID: Int64

    /// `run` numbers the daemon's runs, so that ids keep increasing after a restart.
    public init(run: Int64, calendar: StationCalendar = StationCalendar(timeZone: .current), capacity: Int = 1_000) {
        firstID = run << 32 + 1
        self.calendar = calendar
        self.capacity = capacity
        state = Mutex(State(next: firstID))
    }

    /// Publishes an event with `payload` encoded as its JSON object.
    @discardableResult
    public func publish(_ type: String, _ payload: some Encodable) -> Int64 {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let calendar = self.calendar
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(calendar.rfc3339(date))
        }
        let json = (try? encoder.encode(payload)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return state.withLock { state in
            let event = StationEvent(id: state.next, type: type, json: json)
            state.next += 1
            state.held.append(event)
            if state.held.count > capacity { state.held.removeFirst(state.held.count - capacity) }
            for subscriber in state.subscribers.values { subscriber.yield(event) }
            return event.id
        }
    }

    /// Events after `after` that are still held, then every new one, until `close()` or
    /// until the consumer stops. An id from an earlier run replays everything held.
    public func subscribe(after: Int64?) -> AsyncStream<StationEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: StationEvent.self)
        let key: Int? = state.withLock { state in
            for event in state.held where event.id > (after ?? .max) { continuation.yield(event) }
            guard !state.closed else { return nil }
            let key = state.nextSubscriber
            state.nextSubscriber += 1
            state.subscribers[key] = continuation
            return key
        }
        guard let key else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: key) }
        }
        return stream
    }

    /// Ends every subscription: the daemon is stopping.
    public func close() {
        let subscribers = state.withLock { state in
            state.closed = true
            defer { state.subscribers.removeAll() }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.finish() }
    }

    /// How many events are held, for status.
    public var heldCount: Int { state.withLock { $0.held.count } }
}
