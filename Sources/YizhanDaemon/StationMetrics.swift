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
    /// The status route's counts (`Store.counts(today:)`, kept until the next commit).
    private let counts: @Sendable () -> StoreCounts?
    private let devices: DeviceRegistry
    private let events: EventBus
    private let clock: any StationClock
    private let started: Instant

    init(
        counts: @escaping @Sendable () -> StoreCounts?, devices: DeviceRegistry, events: EventBus, clock: any StationClock, started: Instant
    ) {
        self.counts = counts
        self.devices = devices
        self.events = events
        self.clock = clock
        self.started = started
    }

    func scanCommitted(_ scan: CommittedScan) {
        counter("yizhan_scans_total", "Scans handled, by outcome.", labels: [("outcome", scan.result.outcome.rawValue)])
            .increment()
        registry.makeDurationHistogram(
            descriptor: Self.descriptor("yizhan_scan_commit_seconds", "Time from a scan's arrival to its durable commit."),
            buckets: [
                .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                .milliseconds(500),
            ]
        ).record(clock.now().elapsed(since: scan.at))
    }

    func printJobFinished(_ state: PrintJobState) {
        counter("yizhan_print_jobs_total", "Print jobs finished, by state.", labels: [("state", state.rawValue)])
            .increment()
    }

    /// The text exposition, with the gauges read now; the district's when there is one.
    func render(district: StationStatus.District?) -> String {
        let now = clock.now()
        let counts = self.counts()
        gauge("yizhan_print_queue", "Print jobs waiting.").set(Double(counts?.queuedPrintJobs ?? 0))
        gauge("yizhan_open_patrols", "Patrols open now.").set(Double(counts?.openPatrols ?? 0))
        gauge("yizhan_uptime_seconds", "Seconds since the daemon started.").set(Double(now.elapsed(since: started).components.seconds))
        gauge("yizhan_events_held", "Events held for replay.").set(Double(events.heldCount))
        gauge("yizhan_event_subscribers", "Clients following the event stream.").set(
            Double(events.subscriberCount))
        if let district {
            gauge("yizhan_district_backlog", "Records waiting to be pushed to the district.")
                .set(Double(district.backlog))
            let age = district.oldestQueuedAt.map { max(0, now.wall.timeIntervalSince($0)) } ?? 0
            gauge("yizhan_district_backlog_age_seconds", "Age of the oldest record waiting, 0 when none.")
                .set(age)
            gauge("yizhan_district_last_push_timestamp_seconds", "When the last round succeeded (Unix time).")
                .set(district.lastPush?.timeIntervalSince1970 ?? 0)
            gauge("yizhan_district_failing", "1 while the last round failed.")
                .set(to: district.lastError == nil ? 0.0 : 1.0)
        }
        for device in devices.all {
            gauge("yizhan_device_present", "1 when the device is present.", labels: [("kind", device.kind), ("id", device.id)])
                .set(to: device.state == .present ? 1.0 : 0.0)
        }
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    /// Metrics go by their whole names (`yizhan_…`), as dashboards and tests know them.
    private static func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    private func gauge(_ name: String, _ help: String, labels: [(String, String)] = []) -> Gauge {
        registry.makeGauge(descriptor: Self.descriptor(name, help), labels: labels)
    }

    private func counter(_ name: String, _ help: String, labels: [(String, String)]) -> Counter {
        registry.makeCounter(descriptor: Self.descriptor(name, help), labels: labels)
    }
}
