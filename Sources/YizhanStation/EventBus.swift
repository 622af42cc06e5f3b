import Foundation
import Synchronization
import YizhanCore
import YizhanWire

/// One event on the stream: a scan, a device change, a print job, a patrol that expired.
public struct StationEvent: Sendable, Hashable {
    /// Increasing across restarts: the daemon's run number in the high 32 bits.
    public var id: Int64
    public var kind: EventKind
    /// The event's JSON object.
    public var json: String
}

/// Holds the latest events in memory and hands them to subscribers, live and replayed:
/// a client that reconnects with its last id gets every event after it that is still held,
/// exactly once, then the live ones. A thousand are held by default: a day of a busy
/// station, ten seconds of a scan storm, and about half a megabyte.
///
/// A subscriber's live events wait in a buffer of `liveBuffer` events: one that falls that
/// far behind (a client that stops reading) is dropped, its stream ends, and it replays
/// from its last id when it comes back. So a client costs at most that buffer, however
/// long it stalls.
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
    private let liveBuffer: Int
    private let calendar: StationCalendar
    /// The first id of this run.
    public let firstID: Int64

    /// `run` numbers the daemon's runs, so that ids keep increasing after a restart.
    public init(
        run: Int64, calendar: StationCalendar = StationCalendar(timeZone: .current), capacity: Int = 1_000, liveBuffer: Int = 64
    ) {
        firstID = run << 32 + 1
        self.calendar = calendar
        self.capacity = capacity
        self.liveBuffer = liveBuffer
        state = Mutex(State(next: firstID))
    }

    /// Publishes an event with `payload` encoded as its JSON object. An event that is not
    /// `held` goes to the live subscribers only: the simulated lights, which change every
    /// few seconds and would push the station's events out of the replay.
    @discardableResult
    public func publish(_ kind: EventKind, _ payload: some Encodable, held: Bool = true) -> Int64 {
        let json = (try? WireCoding.encoder(calendar: calendar).encode(payload)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        let (id, behind) = state.withLock { state in
            let event = StationEvent(id: state.next, kind: kind, json: json)
            state.next += 1
            if held {
                state.held.append(event)
                if state.held.count > capacity { state.held.removeFirst(state.held.count - capacity) }
            }
            var behind: [AsyncStream<StationEvent>.Continuation] = []
            for (key, subscriber) in state.subscribers {
                if case .dropped = subscriber.yield(event) {
                    behind.append(subscriber)
                    state.subscribers.removeValue(forKey: key)
                }
            }
            return (event.id, behind)
        }
        // Outside the lock: finishing runs the stream's termination handler, which takes it.
        for subscriber in behind { subscriber.finish() }
        return id
    }

    /// Events after `after` that are still held, then every new one, until `close()`, until
    /// the consumer stops, or until it falls `liveBuffer` events behind. An id from an
    /// earlier run replays everything held.
    public func subscribe(after: Int64?) -> Subscription {
        let (stream, continuation) = AsyncStream.makeStream(of: StationEvent.self, bufferingPolicy: .bufferingOldest(liveBuffer))
        // The replay is a copy of the held list (its texts are shared, not copied), taken
        // under the same lock that registers the subscriber: nothing falls in between.
        let (replay, key): ([StationEvent], Int?) = state.withLock { state in
            let replay = state.held.filter { $0.id > (after ?? .max) }
            guard !state.closed else { return (replay, nil) }
            let key = state.nextSubscriber
            state.nextSubscriber += 1
            state.subscribers[key] = continuation
            return (replay, key)
        }
        if let key {
            continuation.onTermination = { [weak self] _ in
                _ = self?.state.withLock { $0.subscribers.removeValue(forKey: key) }
            }
        } else {
            continuation.finish()
        }
        return Subscription(replay: replay, live: stream)
    }

    /// The held events a subscriber asked for, then the live ones.
    public struct Subscription: AsyncSequence, Sendable {
        let replay: [StationEvent]
        let live: AsyncStream<StationEvent>

        public func makeAsyncIterator() -> Iterator {
            Iterator(replay: replay.makeIterator(), live: live.makeAsyncIterator())
        }

        public struct Iterator: AsyncIteratorProtocol {
            var replay: IndexingIterator<[StationEvent]>
            var live: AsyncStream<StationEvent>.Iterator

            public mutating func next() async -> StationEvent? {
                if let event = replay.next() { return event }
                return await live.next()
            }
        }
    }

    /// How many subscribers are connected, for status and tests.
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

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
