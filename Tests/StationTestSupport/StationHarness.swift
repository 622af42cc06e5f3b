import Foundation
import Logging
import YizhanCore
import YizhanStation
import YizhanStore
import YizhanTestSupport
import YizhanWire

/// A station on real SQLite in a temporary directory, driven by a manual clock.
public struct StationHarness: Sendable {
    public let directory: TemporaryDirectory
    public let store: Store
    public let station: Station
    public let clock: ManualClock
    public let rules: Rules

    public init(at time: String = "2026-11-30 09:00", rules: Rules = Fixtures.rules()) throws {
        directory = try TemporaryDirectory()
        store = try Store(stateDirectory: directory.path)
        try store.syncCatalog(rules.catalog)
        clock = Fixtures.clock(time)
        self.rules = rules
        station = Station(store: store, rules: rules, clock: clock, logger: Logger(label: "test"))
    }

    /// Registers a volunteer with a QR badge and returns the volunteer and the badge payload.
    public func volunteer(_ name: String, role: VolunteerRole = .volunteer, points: Int = 0) throws -> (Volunteer, String) {
        let volunteer = try store.registerVolunteer(name: name, role: role, phone: nil, at: clock.now())
        let badge = try store.issueBadge(
            volunteerID: volunteer.id, card: nil, print: false, slips: SlipBuilder(rules: rules), at: clock.now())
        if points > 0 {
            _ = try store.adjust(volunteerID: volunteer.id, delta: points, note: "opening balance", at: clock.now())
        }
        return (volunteer, badge.code!)
    }

    @discardableResult
    public func scan(_ payload: String, scanner: String = "front", after seconds: Int = 4) async -> ScanResult {
        clock.advance(by: .seconds(seconds))
        return await station.scan(payload, scanner: scanner)
    }

    /// Opens a patrol, covers every checkpoint a daily patrol needs, waits out the minimum, closes it.
    @discardableResult
    public func dailyPatrol(_ badge: String) async -> ScanResult {
        await scan(badge)
        await scan("YZ:C:extinguisher-1", after: 60)
        await scan("YZ:C:water-dispenser", after: 60)
        return await scan(badge, after: 240)
    }

    /// Moves both clocks forward to a local time, `yyyy-MM-dd HH:mm`.
    public func advance(to text: String) {
        let seconds = Fixtures.date(text).timeIntervalSince(clock.now().wall)
        precondition(seconds >= 0, "time only moves forward")
        clock.advance(by: .seconds(Int64(seconds)))
    }

    public func balance(_ id: Int64) throws -> Int {
        try store.volunteer(id).balance
    }
}
