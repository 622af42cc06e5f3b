import Foundation
import YizhanCore

/// What the event stream (`GET /v1/events`) carries; the raw value is each event's
/// `event:` line. Each kind's `data:` is the type named beside it.
public enum EventKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// `ScanEvent`.
    case scan
    /// `PatrolEvent`: a patrol that expired.
    case patrol
    /// `StationStatus.Device`: a device that came, went or failed.
    case device
    /// `PrintJobEvent`.
    case printJob = "print_job"
    /// `LightsEvent`: the simulated lights (live only, never replayed).
    case lights
    /// `ConfigEvent`: a reload, applied or refused.
    case config
    /// `OverdueHazard`: a hazard past its rectification deadline.
    case hazardOverdue = "hazard_overdue"
    /// `StationStatus.District`: the district sync after each round (live only, never
    /// replayed: a round every 30 s would push the station's own events out of the replay).
    case district
}

/// A scan as the kiosk answered it: never who scanned.
public struct ScanEvent: Sendable, Hashable, Codable {
    public var seq: Int64?
    public var scanner: String
    public var outcome: ScanOutcome
    public var reason: ScanReason
    public var message: String
    public var at: Date

    public init(seq: Int64?, scanner: String, outcome: ScanOutcome, reason: ScanReason, message: String, at: Date) {
        self.seq = seq
        self.scanner = scanner
        self.outcome = outcome
        self.reason = reason
        self.message = message
        self.at = at
    }
}

/// A patrol or a print job that changed state: `PatrolEvent` or `PrintJobEvent`.
public struct StateChange<State: Sendable & Hashable & Codable>: Sendable, Hashable, Codable {
    public var id: Int64
    public var state: State

    public init(id: Int64, state: State) {
        self.id = id
        self.state = state
    }
}

public typealias PatrolEvent = StateChange<PatrolState>
public typealias PrintJobEvent = StateChange<PrintJobState>

public struct LightsEvent: Sendable, Hashable, Codable {
    /// The lines lit, by name.
    public var on: [String]

    public init(on: [String]) {
        self.on = on
    }
}

public struct ConfigEvent: Sendable, Hashable, Codable {
    public var reloaded: Bool
    public var problems: [String]

    public init(reloaded: Bool, problems: [String]) {
        self.reloaded = reloaded
        self.problems = problems
    }
}
