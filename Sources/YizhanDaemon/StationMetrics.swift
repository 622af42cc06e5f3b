import Foundation
import Prometheus
import YizhanAPI
import YizhanCore
import YizhanDevices
import YizhanStation
import YizhanStore
import YizhanWire

/// The figures `GET /metrics` serves in Prometheus text: counters kept as scans and jobs
/// happen, gauges read when scraped.
final class StationMetrics: Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let store: Store
    private let devices: DeviceRegistry
    private let events: EventBus
    private let clock: any StationClock
    private let started: Instant

    init(store: Store, devices: DeviceRegistry, events: EventBus, clock: any StationClock, started: Instant) {
        self.store = store
        self.devices = devices
        self.events = events
        self.clock = clock
        self.started = started
    }

    func scanCommitted(_ scan: CommittedScan) {
        registry.makeCounter(
            name: "yizhan_scans_total", labels: [("outcome", scan.result.outcome.rawValue)], help: "Scans handled, by outcome."
        )
        .increment()
        registry.makeDurationHistogram(
            name: "yizhan_scan_commit_seconds",
            buckets: [
                .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                .milliseconds(500),
            ],
            help: "Time from a scan's arrival to its durable commit."
        ).record(clock.now().elapsed(since: scan.at))
    }

    func printJobFinished(_ state: PrintJobState) {
        registry.makeCounter(name: "yizhan_print_jobs_total", labels: [("state", state.rawValue)], help: "Print jobs finished, by state.")
            .increment()
    }

    /// The text exposition, with the gauges read now; the district's when there is one.
    func render(district: StationStatus.District?) -> String {
        registry.makeGauge(name: "yizhan_print_queue", help: "Print jobs waiting.").set(Double((try? store.queuedPrintJobCount()) ?? 0))
        registry.makeGauge(name: "yizhan_open_patrols", help: "Patrols open now.").set(Double((try? store.openPatrols().count) ?? 0))
        registry.makeGauge(name: "yizhan_uptime_seconds", help: "Seconds since the daemon started.")
            .set(Double(clock.now().elapsed(since: started).components.seconds))
        registry.makeGauge(name: "yizhan_events_held", help: "Events held for replay.").set(Double(events.heldCount))
        registry.makeGauge(name: "yizhan_event_subscribers", help: "Clients following the event stream.").set(
            Double(events.subscriberCount))
        if let district {
            registry.makeGauge(name: "yizhan_district_backlog", help: "Records waiting to be pushed to the district.")
                .set(Double(district.backlog))
            let age = district.oldestQueuedAt.map { max(0, clock.now().wall.timeIntervalSince($0)) } ?? 0
            registry.makeGauge(name: "yizhan_district_backlog_age_seconds", help: "Age of the oldest record waiting, 0 when none.")
                .set(age)
            registry.makeGauge(name: "yizhan_district_last_push_timestamp_seconds", help: "When the last round succeeded (Unix time).")
                .set(district.lastPush?.timeIntervalSince1970 ?? 0)
            registry.makeGauge(name: "yizhan_district_failing", help: "1 while the last round failed.")
                .set(to: district.lastError == nil ? 0.0 : 1.0)
        }
        for device in devices.all {
            registry.makeGauge(
                name: "yizhan_device_present", labels: [("kind", device.kind), ("id", device.id)], help: "1 when the device is present."
            )
            .set(to: device.state == .present ? 1.0 : 0.0)
        }
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}
