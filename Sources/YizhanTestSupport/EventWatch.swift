import Foundation
import YizhanClient
import YizhanCore
import YizhanWire

/// An event kind with the payload it carries, so a wait names the kind once and reads the
/// payload typed: `watch.next(.scan) { $0.reason == .patrolStarted }`.
public struct WatchedEvent<Payload: Decodable>: Sendable {
    public let kind: EventKind
}

extension WatchedEvent where Payload == ScanEvent {
    public static var scan: Self { Self(kind: .scan) }
}

extension WatchedEvent where Payload == StationStatus.Device {
    public static var device: Self { Self(kind: .device) }
}

extension WatchedEvent where Payload == PrintJobEvent {
    public static var printJob: Self { Self(kind: .printJob) }
}

extension WatchedEvent where Payload == LightsEvent {
    public static var lights: Self { Self(kind: .lights) }
}

extension WatchedEvent where Payload == ConfigEvent {
    public static var config: Self { Self(kind: .config) }
}

extension WatchedEvent where Payload == OverdueHazard {
    public static var hazardOverdue: Self { Self(kind: .hazardOverdue) }
}

extension WatchedEvent where Payload == StationStatus.District {
    public static var district: Self { Self(kind: .district) }
}

/// The daemon's event stream read in order, for tests that wait for what the daemon says
/// happened instead of asking again and again. Each wait reads on from where the last one
/// stopped, so an event is matched at most once and a later state is never mistaken for
/// an earlier one.
public final class EventWatch {
    private let stream: EventStream

    /// Where a watch starts reading.
    public enum Start {
        /// Every event the daemon still holds, from its start: for what may already have
        /// happened (a scanner opened at start-up, the card it read at once).
        case held
        /// Only what happens after the watch is made: the subscription is in place when
        /// this returns, so an action taken next cannot be missed.
        case now
    }

    init(client: UnixHTTPClient, from start: Start) throws {
        stream = try EventStream(client: client, after: start == .held ? 0 : nil)
    }

    /// Reads until an event of `event`'s kind whose payload passes `matches`, and returns
    /// that payload; nil when the stream ended or none came within `timeout`.
    @discardableResult
    public func next<Payload>(
        _ event: WatchedEvent<Payload>, within timeout: Duration = .seconds(20), where matches: (Payload) -> Bool = { _ in true }
    ) throws -> Payload? {
        let deadline = ContinuousClock.now + timeout
        while let next = try stream.next(before: deadline) {
            guard next.kind == event.kind else { continue }
            let payload = try next.payload(Payload.self)
            if matches(payload) { return payload }
        }
        return nil
    }

    /// Checks `condition` now and again after each event of `event`'s kind until it holds;
    /// false when it still does not as the stream ends or `timeout` passes. For a state that
    /// the events change but do not carry whole, such as the print queue running dry.
    public func until<Payload>(_ event: WatchedEvent<Payload>, within timeout: Duration = .seconds(20), _ condition: () throws -> Bool)
        throws -> Bool
    {
        let deadline = ContinuousClock.now + timeout
        while try !condition() {
            guard try next(event, within: deadline - .now) != nil else { return try condition() }
        }
        return true
    }

    /// The next `count` events of `event`'s kind, or as many as came within `timeout`.
    public func next<Payload>(_ count: Int, _ event: WatchedEvent<Payload>, within timeout: Duration = .seconds(20)) throws -> [Payload] {
        let deadline = ContinuousClock.now + timeout
        var found: [Payload] = []
        while found.count < count, let payload = try next(event, within: deadline - .now) { found.append(payload) }
        return found
    }
}

extension DaemonProcess {
    /// A watch on the admin socket's event stream.
    public func events(from start: EventWatch.Start = .now) throws -> EventWatch {
        try EventWatch(client: client, from: start)
    }
}
