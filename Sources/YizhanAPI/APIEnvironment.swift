import Foundation
import Logging
import YizhanCore
import YizhanStation
import YizhanStore

/// What the API serves from: the station's scan path and store, and a way to ask the
/// daemon for its status and to wake its printer spooler.
public struct APIEnvironment: Sendable {
    public var station: Station
    public var calendar: StationCalendar
    public var status: @Sendable () async -> StationStatus
    /// The Prometheus text for `GET /metrics`.
    public var metrics: @Sendable () async -> String
    /// Walks every configured light and the buzzer; returns the lines walked.
    public var gpioTest: @Sendable () async -> [String]
    /// Called after the API queued a slip, so the spooler looks at the queue.
    public var slipQueued: @Sendable () -> Void
    /// Every change made through the API is logged here.
    public var logger: Logger
    var surfaceName = ""

    public init(
        station: Station, calendar: StationCalendar, status: @escaping @Sendable () async -> StationStatus,
        metrics: @escaping @Sendable () async -> String = { "" }, gpioTest: @escaping @Sendable () async -> [String] = { [] },
        slipQueued: @escaping @Sendable () -> Void = {},
        logger: Logger = Logger(label: "yizhan-api")
    ) {
        self.logger = logger
        self.metrics = metrics
        self.gpioTest = gpioTest
        self.station = station
        self.calendar = calendar
        self.status = status
        self.slipQueued = slipQueued
    }

    var store: Store { station.store }
    var clock: any StationClock { station.clock }
}

/// `GET /v1/status`: what a technician needs at a glance, made for the reader.
public struct StationStatus: Sendable, Codable {
    public struct StationInfo: Sendable, Codable {
        public var id: String
        public var name: String
        public init(id: String, name: String) {
            self.id = id
            self.name = name
        }
    }

    public struct Clock: Sendable, Codable {
        public var now: Date
        public var synchronised: Bool
        public init(now: Date, synchronised: Bool) {
            self.now = now
            self.synchronised = synchronised
        }
    }

    public struct Device: Sendable, Codable {
        public var id: String
        public var kind: String
        public var state: String
        public var detail: String?
        public init(id: String, kind: String, state: String, detail: String?) {
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
    public var store: String
    public var lights: Lights

    /// What the lights show now.
    public struct Lights: Sendable, Codable {
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
        store: String, lights: Lights = Lights(backend: "none", on: [])
    ) {
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
