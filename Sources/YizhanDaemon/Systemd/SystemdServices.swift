import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals
import YizhanAPI
import YizhanConfig
import YizhanCore
import YizhanDevices
import YizhanStation
import YizhanStore
import YizhanWire

/// Sends `WATCHDOG=1` at half the interval systemd asked for, each time only after the
/// station has answered: a wedged scan path stops the pings and systemd restarts us.
final class WatchdogService: Service {
    private let notifier: SystemdNotifier
    private let station: Station
    private let interval: Duration

    init?(notifier: SystemdNotifier, station: Station, environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard let text = environment["WATCHDOG_USEC"], let microseconds = Int64(text), microseconds > 0 else { return nil }
        if let pid = environment["WATCHDOG_PID"].flatMap(Int32.init), pid != getpid() { return nil }
        self.notifier = notifier
        self.station = station
        interval = .microseconds(microseconds / 2)
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.station.heartbeat()
                self.notifier.send("WATCHDOG=1")
                try? await Task.sleep(for: self.interval)
            }
        }
    }
}

/// Keeps `systemctl status` telling the technician what matters: devices, the print
/// queue, the last scan, and a failed reload.
///
/// A scan's line goes at once, and while scans keep coming, once a second at most with the
/// latest (`run`): each line is a read of the store and a datagram that wakes systemd, and
/// at 100 scans a second those were work beside every scan that no one reads that fast.
final class StatusReporter: Service {
    private let notifier: SystemdNotifier
    private let devices: DeviceRegistry
    /// The status route's counts (`Store.counts(today:)`, kept until the next commit).
    private let counts: @Sendable () -> StoreCounts?
    private let calendar: StationCalendar
    private let state = Mutex<(lastScan: String?, problem: String?, reload: StationStatus.Reload?, district: String?)>(
        (nil, nil, nil, nil))
    /// A scan has changed the line; one that comes while the last is being sent waits as one.
    private let (scans, scanned) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))

    init(notifier: SystemdNotifier, devices: DeviceRegistry, counts: @escaping @Sendable () -> StoreCounts?, calendar: StationCalendar) {
        self.notifier = notifier
        self.devices = devices
        self.counts = counts
        self.calendar = calendar
    }

    func scanCommitted(_ scan: CommittedScan) {
        let time = String(calendar.slipTime(scan.at.wall).suffix(5))
        state.withLock { $0.lastScan = "\(time) \(scan.scanner) \(scan.result.outcome.rawValue) \(scan.result.reason.rawValue)" }
        scanned.yield()
    }

    /// Sends the line for scans until the daemon stops, and ends before `STOPPING=1` is sent
    /// (it stops before the announcer), so that no line follows it.
    func run() async throws {
        await cancelWhenGracefulShutdown {
            for await _ in self.scans {
                guard !Task.isCancelled else { return }
                self.update()
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// A reload's outcome: one refused stays on the status line until one applies.
    func reloaded(_ reload: StationStatus.Reload) {
        let problem =
            reload.applied ? nil : "config reload failed (\(reload.problems.first ?? "invalid")); running on the previous config"
        state.withLock {
            $0.problem = problem
            $0.reload = reload
        }
        update()
    }

    /// The district sync after a round: its backlog, and why it failed if it did.
    func districtChanged(_ district: StationStatus.District) {
        let oldest = district.oldestQueuedAt.map { ", oldest " + String(calendar.slipTime($0).suffix(5)) } ?? ""
        let line =
            district.lastError.map { "district failing (\($0.prefix(80))); backlog \(district.backlog)\(oldest)" }
            ?? "district backlog \(district.backlog)\(oldest)"
        guard
            state.withLock({ state in
                defer { state.district = line }
                return state.district != line
            })
        else { return }
        update()
    }

    /// The last reload, for `GET /v1/status`.
    var lastReload: StationStatus.Reload? { state.withLock { $0.reload } }

    func update() {
        notifier.send("STATUS=" + line)
    }

    var line: String {
        let all = devices.all
        let present = all.filter { $0.state == .present }.count
        var parts = ["devices \(present)/\(all.count) present"]
        for device in all where device.state != .present { parts.append("\(device.kind) \(device.id) \(device.state.rawValue)") }
        parts.append("print queue \(counts()?.queuedPrintJobs ?? -1)")
        let (lastScan, problem, district) = state.withLock { ($0.lastScan, $0.problem, $0.district) }
        parts.append("last scan " + (lastScan ?? "none"))
        if let district { parts.append(district) }
        if let problem { parts.insert(problem, at: 0) }
        return parts.joined(separator: "; ")
    }
}

/// Re-reads the config on SIGHUP (`systemctl reload`). A valid config replaces the rules
/// and the catalogue at once; an invalid one is refused and the old one stays in force.
final class ReloadService: Service {
    private let path: String
    private let current: Mutex<DaemonConfig>
    private let station: Station
    private let store: Store
    private let notifier: SystemdNotifier
    private let status: StatusReporter
    private let events: EventBus
    private let expiryDoorbell: Doorbell
    private let logger: Logger

    init(
        path: String, config: DaemonConfig, station: Station, store: Store, notifier: SystemdNotifier, status: StatusReporter,
        events: EventBus, expiryDoorbell: Doorbell, logger: Logger
    ) {
        self.expiryDoorbell = expiryDoorbell
        self.path = path
        current = Mutex(config)
        self.station = station
        self.store = store
        self.notifier = notifier
        self.status = status
        self.events = events
        self.logger = logger
    }

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            await reload()
        }
    }

    func reload() async {
        notifier.send("RELOADING=1")
        defer { notifier.send("READY=1") }
        // Read once: the text the child survives is the text applied.
        let loaded: DaemonConfig
        do {
            let source = try ConfigLoader.text(path: path)
            if let refusal = await ConfigProbe.refusal(source: source, path: path) { return refuse([refusal]) }
            loaded = try ConfigLoader.parse(source, file: path)
        } catch {
            return refuse(error.problems.map(\.description))
        }
        do {
            try store.syncCatalog(loaded.rules.catalog)
        } catch {
            return refuse(["catalogue: \(error)"])
        }
        await station.replaceRules(loaded.rules)
        // A shorter max_minutes ends the patrols already past it now, not at the next scan.
        await station.expirePatrols()
        expiryDoorbell.ring()
        let previous = current.withLock { config in
            defer { config = loaded }
            return config
        }
        let needRestart = previous.sectionsNeedingRestart(comparedWith: loaded)
        if !needRestart.isEmpty {
            logger.warning("changed sections take effect after a restart", metadata: ["sections": "\(needRestart.joined(separator: ", "))"])
        }
        logger.info("config reloaded", metadata: ["path": "\(path)"])
        status.reloaded(.init(at: station.clock.now().wall, applied: true, problems: needRestart.map { "\($0) changes after a restart" }))
        events.publish(.config, ConfigEvent(reloaded: true, problems: needRestart.map { "\($0) changes after a restart" }))
    }
}

extension ReloadService {
    /// A refused reload: logged, on the status line and in `/v1/status`, and published.
    private func refuse(_ problems: [String]) {
        logger.error(
            "config reload refused; the previous config stays in force", metadata: ["problems": "\(problems.joined(separator: "; "))"])
        status.reloaded(.init(at: station.clock.now().wall, applied: false, problems: problems))
        events.publish(.config, ConfigEvent(reloaded: false, problems: problems))
    }
}

extension DaemonConfig {
    /// Sections a reload cannot apply: sockets, paths, devices, the slip header and the district.
    func sectionsNeedingRestart(comparedWith other: DaemonConfig) -> [String] {
        var sections: [String] = []
        if station.id != other.station.id || station.name != other.station.name || station.timeZone != other.station.timeZone {
            sections.append("station")
        }
        if paths.stateDirectory != other.paths.stateDirectory || paths.logDirectory != other.paths.logDirectory { sections.append("paths") }
        if api.adminSocket != other.api.adminSocket || api.kioskSocket != other.api.kioskSocket || api.adminGroup != other.api.adminGroup {
            sections.append("api")
        }
        if scanners != other.scanners { sections.append("scanner") }
        if printer != other.printer { sections.append("printer") }
        if gpio != other.gpio { sections.append("gpio") }
        if log != other.log { sections.append("log") }
        if district != other.district { sections.append("district") }
        return sections
    }
}

/// The first to hear SIGTERM (services stop in reverse order): tells systemd we are
/// stopping and ends the event streams so the API servers can close their connections.
final class ShutdownAnnouncer: Service {
    private let notifier: SystemdNotifier
    private let events: EventBus
    private let logger: Logger

    init(notifier: SystemdNotifier, events: EventBus, logger: Logger) {
        self.notifier = notifier
        self.events = events
        self.logger = logger
    }

    func run() async throws {
        try? await gracefulShutdown()
        logger.info("stopping")
        notifier.send("STOPPING=1")
        events.close()
    }
}

/// Reads every page of the database once the daemon is ready (`Station.verifyStore`):
/// about a second at a million ledger entries, which start-up must not wait for. Scans wait
/// for it on the station. A damaged database stops the daemon at once, with status 3,
/// before any scan is taken on it, and without the checkpoint a clean stop would write
/// into the damaged file.
struct StoreVerification: Service {
    let station: Station
    let failed: @Sendable (YizhanError) -> Void

    func run() async throws {
        do {
            try await station.verifyStore()
        } catch let error as YizhanError {
            failed(error)
            FileHandle.standardError.write(Data("yizhand: \(error.message)\n".utf8))
            exit(Daemon.storeUnusableExitStatus)
        }
        try? await gracefulShutdown()
    }
}
