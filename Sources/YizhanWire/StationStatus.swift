import Foundation
import YizhanCore

/// `GET /v1/status`: what a technician needs at a glance, made for the reader.
public struct StationStatus: Sendable, Codable, Hashable {
    public struct StationInfo: Sendable, Codable, Hashable {
        public var id: String
        public var name: String
        public init(id: String, name: String) {
            self.id = id
            self.name = name
        }
    }

    public struct Clock: Sendable, Codable, Hashable {
        public var now: Date
        public var synchronised: Bool
        public init(now: Date, synchronised: Bool) {
            self.now = now
            self.synchronised = synchronised
        }
    }

    public struct Device: Sendable, Codable, Hashable {
        public var id: String
        public var kind: String
        public var state: DeviceState
        public var detail: String?
        public init(id: String, kind: String, state: DeviceState, detail: String?) {
            self.id = id
            self.kind = kind
            self.state = state
            self.detail = detail
        }
    }

    public var version: String
    public var station: StationInfo
    public var uptimeSeconds: Int
    public var clock: Clock
    public var devices: [Device]
    public var printQueue: Int
    public var openPatrols: Int
    /// `ok`, or `unusable` while the store cannot be read or the last scan could not be
    /// written (the lights then red steady).
    public var store: String
    public var lights: Lights
    /// Hazards past their rectification deadline.
    public var overdueHazards: Int
    /// The last `systemctl reload`: whether it applied, and why not.
    public var lastReload: Reload?
    /// The district sync, for a station with a `[district]`.
    public var district: District?

    /// How far the district is behind this station.
    public struct District: Sendable, Codable, Hashable {
        /// Records waiting to be pushed, and when the oldest was queued.
        public var backlog = 0
        public var oldestQueuedAt: Date?
        public var lastPush: Date?
        /// Why the last round failed (a wrong password, an untrusted certificate, a district
        /// schema newer than this station); nil once a round succeeds.
        public var lastError: String?
        public init() {}
    }

    public struct Reload: Sendable, Codable, Hashable {
        public var at: Date
        public var applied: Bool
        public var problems: [String]
        public init(at: Date, applied: Bool, problems: [String]) {
            self.at = at
            self.applied = applied
            self.problems = problems
        }
    }

    /// What the lights show now.
    public struct Lights: Sendable, Codable, Hashable {
        /// gpiod, sim or none.
        public var backend: String
        public var on: [String]
        public init(backend: String, on: [String]) {
            self.backend = backend
            self.on = on
        }
    }

    public init(
        version: String, station: StationInfo, uptimeSeconds: Int, clock: Clock, devices: [Device], printQueue: Int, openPatrols: Int,
        store: String, lights: Lights = Lights(backend: "none", on: []), overdueHazards: Int = 0, lastReload: Reload? = nil,
        district: District? = nil
    ) {
        self.district = district
        self.overdueHazards = overdueHazards
        self.lastReload = lastReload
        self.lights = lights
        self.version = version
        self.station = station
        self.uptimeSeconds = uptimeSeconds
        self.clock = clock
        self.devices = devices
        self.printQueue = printQueue
        self.openPatrols = openPatrols
        self.store = store
    }
}

/// `GET /v1/print-jobs/{id}/escpos` and `GET /v1/printer/samples/{kind}`: the bytes a slip
/// sends to the printer and what the printer is, so `yizhanctl print preview` can print it
/// on a virtual printer.
public struct EncodedSlip: Sendable, Codable, Hashable {
    public var widthDots: Int
    public var chinese: String
    /// The ESC/POS bytes, base64.
    public var escpos: String

    public init(widthDots: Int, chinese: String, escpos: [UInt8]) {
        self.widthDots = widthDots
        self.chinese = chinese
        self.escpos = Data(escpos).base64EncodedString()
    }
}
