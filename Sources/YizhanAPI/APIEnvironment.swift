import Foundation
import Logging
import YizhanCore
import YizhanStation
import YizhanStore
import YizhanWire

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
    /// A slip as the configured printer would receive it; nil when there is no printer to
    /// encode for (its font is unreadable).
    public var encodeSlip: @Sendable (Slip) -> EncodedSlip?
    /// Every change made through the API is logged here.
    public var logger: Logger
    var surfaceName = ""
    /// Shared by both sockets' routers (the environment is copied into each).
    let idempotencyClaims = IdempotencyClaims()
    /// The status and catalogue answers last encoded (shared by both sockets).
    let keptStatus = KeptAnswer<StationStatus>()
    let keptCatalog = KeptAnswer<UInt64>()

    public init(
        station: Station, calendar: StationCalendar, status: @escaping @Sendable () async -> StationStatus,
        metrics: @escaping @Sendable () async -> String = { "" }, gpioTest: @escaping @Sendable () async -> [String] = { [] },
        slipQueued: @escaping @Sendable () -> Void = {}, encodeSlip: @escaping @Sendable (Slip) -> EncodedSlip? = { _ in nil },
        logger: Logger = Logger(label: "yizhan-api")
    ) {
        self.encodeSlip = encodeSlip
        self.logger = logger
        self.metrics = metrics
        self.gpioTest = gpioTest
        self.station = station
        self.calendar = calendar
        self.status = status
        self.slipQueued = slipQueued
    }

    var store: Store { station.store }

    func encoded(_ slip: Slip) throws(APIError) -> EncodedSlip {
        guard let encoded = encodeSlip(slip) else {
            throw APIError(.printerUnavailable, "the printer's slips cannot be encoded; see the printer's status")
        }
        return encoded
    }
    var clock: any StationClock { station.clock }
}
