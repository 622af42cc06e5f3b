import CLinux
import ESCPOS
import Foundation
import Hummingbird
import Logging
import NIOPosix
import ServiceLifecycle
import Synchronization
import YizhanAPI
import YizhanConfig
import YizhanCore
import YizhanDevices
import YizhanStation
import YizhanStore
import YizhanSystem
import YizhanWire

/// Puts the daemon together from a validated config and runs it until SIGTERM.
public enum Daemon {
    /// The exit status when the database cannot be used; the unit does not restart on it.
    public static let storeUnusableExitStatus: Int32 = 3

    /// The exit status when the config does not validate (sysexits' `EX_CONFIG`); the unit
    /// does not restart on it either: the same file would fail the same way.
    public static let invalidConfigExitStatus: Int32 = 78

    /// Bootstraps logging to stderr (for the journal) and JSON lines under `log_dir`.
    public static func bootstrapLogging(_ config: DaemonConfig) {
        let calendar = StationCalendar(timeZone: config.station.timeZone)
        let sink = JSONFileLogHandler.Sink(
            directory: config.paths.logDirectory, maximumBytes: config.log.maxFileBytes, keepFiles: config.log.keepFiles,
            time: { calendar.rfc3339(Date()) })
        let level = Logger.Level(rawValue: config.log.level) ?? .info
        LoggingSystem.bootstrap { label in
            var stderr = StreamLogHandler.standardError(label: label)
            stderr.logLevel = level
            let file = JSONFileLogHandler(sink: sink, label: label, logLevel: level, calendar: { calendar.rfc3339($0) })
            return MultiplexLogHandler([stderr, file])
        }
        if !sink.openedAtStart {
            Logger(label: "yizhand").warning(
                "the log file cannot be written; its lines go to the journal only, and it is tried again each second",
                metadata: ["file": "\(sink.path)"])
        }
    }

    /// Runs the daemon with `config` (read from `configPath`, which SIGHUP re-reads).
    public static func run(config: DaemonConfig, configPath: String, clock: any StationClock = SystemClock()) async throws {
        // A file that may not grow (a size limit, like a full disk) must fail the write and
        // not kill the daemon: SQLite then refuses the transaction and the scan gets an error.
        Kernel.ignoreFileSizeSignal()
        let logger = Logger(label: "yizhand")
        let started = clock.now()
        let notifier = SystemdNotifier()
        // A state directory that cannot be written refuses as a store that cannot be used.
        let lock: StateLock
        do {
            lock = try StateLock(stateDirectory: config.paths.stateDirectory)
        } catch let error as YizhanError {
            refuseToStart(config, storeError: error, notifier: notifier, clock: clock, logger: logger)
            throw error
        }
        defer { withExtendedLifetime(lock) {} }
        let (store, run) = try await openStore(config, started: started, notifier: notifier, clock: clock, logger: logger)

        let events = EventBus(run: run, calendar: config.rules.calendar)
        let devices = DeviceRegistry()
        // The one line a device's change gets: a device not there or not working is a
        // warning, so that the warnings alone say what a technician has to see to.
        devices.observe { device in
            logger.log(
                level: device.state == .present ? .notice : .warning, "device \(device.state.rawValue)",
                metadata: ["device": "\(device.id)", "kind": "\(device.kind)", "detail": "\(device.detail ?? "")"])
            events.publish(.device, device)
        }
        let openLights = { @Sendable in lights(config, devices: devices, events: events, clock: clock) }
        let signals = SignalService(
            output: openLights(), reopen: config.gpio.backend == .gpiod ? openLights : nil, backend: config.gpio.backend.rawValue,
            plan: config.signals, clock: clock, devices: devices)
        devices.observe { _ in signals.devicesChanged() }
        // The counts the status route, the metrics and the status line show: one read, kept
        // until the next commit, so that polling any of them costs none.
        let storeCounts: @Sendable () -> StoreCounts? = { try? store.counts(today: config.rules.calendar.localDay(of: clock.now().wall)) }
        let status = StatusReporter(notifier: notifier, devices: devices, counts: storeCounts, calendar: config.rules.calendar)
        let metrics = StationMetrics(counts: storeCounts, devices: devices, events: events, clock: clock, started: started)
        let printDoorbell = Doorbell()
        let expiryDoorbell = Doorbell()
        let observers = StationObservers([
            { scan in
                for effect in scan.effects {
                    switch effect {
                    case .print: printDoorbell.ring()
                    case .openPatrol: expiryDoorbell.ring()
                    default: break
                    }
                }
                metrics.scanCommitted(scan)
                status.scanCommitted(scan)
                signals.scanCommitted(scan)
            }
        ])
        let station = Station(store: store, rules: config.rules, clock: clock, logger: logger, observers: observers, events: events)

        let renderer = slipRenderer(config, devices: devices, logger: logger)
        let printer = renderer == nil ? nil : printerTransport(config.printer, devices: devices, logger: logger)
        let spooler = Spooler(
            store: store, clock: clock, transport: printer?.transport, plug: printer?.plug, renderer: renderer,
            devices: devices, doorbell: printDoorbell,
            finished: { id, state in
                metrics.printJobFinished(state)
                events.publish(.printJob, PrintJobEvent(id: id, state: state))
            }, logger: logger)
        let scansFirst = ScansFirst()
        let scanners = config.scanners.map { ScannerService(config: $0, station: station, devices: devices, scansFirst: scansFirst) }

        // Each socket has event loops, threads, of its own. The kiosk socket, open to anyone
        // on the board, has one: however hard a stranger asks it, its requests are answered
        // on one core. It carries the station's screen and its event stream: its loop, asleep
        // between events, runs in the shortest slice, so that an event takes a core as soon
        // as it comes. The manager's admin socket has a loop for each core, up to the board's
        // two (`Acceptors` says how they share its connections), in the kernel's default
        // slice: the scan path's threads, in the shortest, take a core from them when they
        // wake, and reads wait for scans (`ScansFirst`), so a storm of reads on either socket
        // does not keep a scan waiting (docs/benchmarks.md). The district's connection, work
        // that can wait for scans as the manager's reads can, runs on an admin loop: a station
        // with a district starts no threads for it, and none in the scan path's slice.
        let adminLoops = MultiThreadedEventLoopGroup(numberOfThreads: min(2, ProcessInfo.processInfo.activeProcessorCount))
        let kioskLoop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let districtSync = config.district.map {
            DistrictSync(
                config: $0, stationID: config.station.id, store: store, clock: clock, loop: adminLoops.next(), logger: logger,
                reported: {
                    status.districtChanged($0)
                    events.publish(.district, $0, held: false)
                }, campaignsPulled: { await station.useDistrictCampaigns($0) })
        }
        let environment = APIEnvironment(
            station: station, calendar: config.rules.calendar,
            status: {
                let now = clock.now()
                // One read answers the counts and whether the store reads at all; the last
                // scan, whether it takes writes (a state directory turned read-only reads on).
                let counts = storeCounts()
                let lights = signals.current
                return StationStatus(
                    version: Build.version, station: .init(id: config.station.id, name: config.station.name),
                    uptimeSeconds: Int(now.elapsed(since: started).components.seconds),
                    clock: .init(now: now.wall, synchronised: now.synchronised),
                    devices: devices.all.map { .init(id: $0.id, kind: $0.kind, state: $0.state, detail: $0.detail) },
                    printQueue: counts?.queuedPrintJobs ?? 0, openPatrols: counts?.openPatrols ?? 0,
                    store: counts != nil && lights.storeUsable ? "ok" : "unusable",
                    lights: .init(backend: lights.backend, on: lights.lines.names),
                    overdueHazards: counts?.overdueHazards ?? 0,
                    lastReload: status.lastReload, district: districtSync?.status)
            },
            metrics: { metrics.render(district: districtSync?.status) },
            gpioTest: { await signals.walk(config.gpio.testable) },
            slipQueued: { printDoorbell.ring() },
            encodeSlip: { slip in
                renderer.map { EncodedSlip(widthDots: $0.profile.widthDots, chinese: $0.profile.chinese.rawValue, escpos: $0.render(slip)) }
            }, logger: logger)
        // Ready once both sockets listen and every scanner has been opened or found missing,
        // so a scan sent after READY=1 (a FIFO written, a card shown) is read.
        let readiness = Readiness(expected: 2 + config.scanners.count) {
            notifier.send("READY=1\nSTATUS=" + status.line)
            logger.info(
                "ready",
                metadata: [
                    "admin_socket": "\(config.api.adminSocket)", "kiosk_socket": "\(config.api.kioskSocket)", "run": "\(run)",
                    "boot": "\(started.boot)",
                ])
        }
        let scannersTried = Mutex(Set<String>())
        devices.observe { device in
            if device.kind == "scanner", scannersTried.withLock({ $0.insert(device.id).inserted }) { readiness.arrived() }
        }
        let limits = APIServer.Limits(connections: config.api.maximumConnections, idle: .seconds(config.api.idleSeconds))
        let admin = try apiServer(
            environment: environment, surface: .admin, loops: adminLoops, scansFirst: scansFirst, timeSlice: 0,
            path: config.api.adminSocket,
            mode: [.ownerReadWrite, .groupReadWrite], group: config.api.adminGroup, limits: limits, readiness: readiness, logger: logger)
        let kiosk = try apiServer(
            environment: environment, surface: .kiosk, loops: kioskLoop, scansFirst: scansFirst, timeSlice: yizhan_shortest_time_slice,
            path: config.api.kioskSocket,
            mode: [.ownerReadWrite, .groupReadWrite, .otherReadWrite], group: nil, limits: limits, readiness: readiness, logger: logger)
        let reload = ReloadService(
            path: configPath, config: config, station: station, store: store, notifier: notifier, status: status, events: events,
            expiryDoorbell: expiryDoorbell, logger: logger)

        // Services stop in reverse order: the watchdog first, the status line, then the
        // announcer (STOPPING=1), the scanners, and the API servers last.
        var services: [any Service] = [
            admin, kiosk, spooler, ExpiryService(station: station, doorbell: expiryDoorbell, logger: logger), reload,
        ]
        services += scanners
        if let districtSync { services.append(districtSync) }
        services.append(signals)
        services.append(
            StoreVerification(station: station) { error in
                signals.storeFailed()
                announceStoreUnusable(error, lights: signals.current.lines, notifier: notifier, logger: logger)
            })
        services += buttons(config, clock: clock, devices: devices, store: store, slipQueued: { printDoorbell.ring() }, logger: logger)
        services.append(ShutdownAnnouncer(notifier: notifier, events: events, logger: logger))
        services.append(status)
        if let watchdog = WatchdogService(notifier: notifier, station: station) { services.append(watchdog) }
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        for loops in [adminLoops, kioskLoop] { try? await loops.shutdownGracefully() }
        do {
            try store.checkpoint()
        } catch {
            logger.warning("the write-ahead log was not folded into the database at stop", metadata: ["error": "\(error)"])
        }
        logger.info("stopped")
    }

    /// Opens the store and records this start: the catalogue from the config, the run, and
    /// the print jobs the last run left being sent, which become uncertain.
    ///
    /// A full disk is waited out, not refused: nothing can be opened or recorded without
    /// room, and room comes back by itself (a log rotated, the journal vacuumed) or by the
    /// technician's hand. Meanwhile the lights show the store-unusable signal (red
    /// steady), the journal says why once, and every few seconds systemd hears why
    /// (`STATUS=`), that the start goes on (`EXTEND_TIMEOUT_USEC=`, against the start
    /// timeout) and that the daemon is alive. Then the start goes on as any other.
    static func openStore(
        _ config: DaemonConfig, started: Instant, notifier: SystemdNotifier, clock: any StationClock, logger: Logger,
        retry: Duration = .seconds(5)
    ) async throws -> (Store, run: Int64) {
        var waiting = false
        var waitingLights: (any SignalOutput)?
        defer { waitingLights?.close() }
        while true {
            do {
                let store: Store
                do {
                    store = try Store(stateDirectory: config.paths.stateDirectory)
                } catch let error where !Store.isDiskFull(error) {
                    refuseToStart(config, storeError: error, notifier: notifier, clock: clock, logger: logger)
                    throw error
                }
                try store.syncCatalog(config.rules.catalog)
                let run = try store.recordRun(version: Build.version, at: started)
                let interrupted = try store.markInterruptedPrintJobs(at: started)
                if interrupted > 0 {
                    logger.warning("print jobs interrupted by the last stop are uncertain", metadata: ["count": "\(interrupted)"])
                }
                if waiting { logger.notice("the disk has room again; starting") }
                return (store, run)
            } catch let error where Store.isDiskFull(error) {
                if !waiting {
                    waiting = true
                    let (output, lines) = showStoreUnusable(config, clock: clock)
                    waitingLights = output
                    logger.critical(
                        "the disk holding the state directory is full: the station starts once there is room",
                        metadata: [
                            "state_dir": "\(config.paths.stateDirectory)", "error": "\(error)",
                            "lights": "\(lines.names.joined(separator: "+"))",
                        ])
                }
                let why = (error as? NoRoomForUpgradeCopy).map { "\($0)" } ?? "the disk holding \(config.paths.stateDirectory) is full"
                let microseconds = (retry * 3).components.seconds * 1_000_000
                notifier.send("STATUS=waiting for room: \(why)\nEXTEND_TIMEOUT_USEC=\(microseconds)\nWATCHDOG=1")
                try await Task.sleep(for: retry)
            }
        }
    }

    /// A store that cannot be opened (damaged, emptied, unreadable, in a directory that
    /// cannot be written) stops the start: the lights show the store-unusable signal (red
    /// steady), systemd's status and the journal say why, and the exit status (3, which the
    /// unit does not restart on) leaves the database as it is for the technician.
    static func refuseToStart(
        _ config: DaemonConfig, storeError: any Error, notifier: SystemdNotifier, clock: any StationClock, logger: Logger
    ) {
        let (_, lines) = showStoreUnusable(config, clock: clock)
        announceStoreUnusable(storeError, lights: lines, notifier: notifier, logger: logger)
    }

    /// Opens the lights on their own, before the station is put together, and shows the
    /// store-unusable signal; returns them (nil without lights) and the lines shown.
    private static func showStoreUnusable(_ config: DaemonConfig, clock: any StationClock) -> ((any SignalOutput)?, SignalLines) {
        let red = config.signals.storeUnusable.steps.first?.lines ?? .red
        let output = lights(config, devices: DeviceRegistry(), events: EventBus(run: 0), clock: clock)
        return (output, (try? output?.show(red)) != nil ? red : [])
    }

    /// Logs (with the lights left on, for the technician reading the log) and tells systemd.
    static func announceStoreUnusable(_ error: any Error, lights: SignalLines, notifier: SystemdNotifier, logger: Logger) {
        logger.critical(
            "the station's database cannot be used; stopping",
            metadata: ["error": "\(error)", "lights": "\(lights.names.joined(separator: "+"))"])
        notifier.send("STATUS=store unusable, stopped: \(error)")
    }

    /// One HTTP server on a Unix socket, with the socket's mode and group set before it is
    /// announced ready.
    static func apiServer(
        environment: APIEnvironment, surface: APISurface, loops: MultiThreadedEventLoopGroup, scansFirst: ScansFirst, timeSlice: UInt64,
        path: String, mode: FilePermissions, group: String?, limits: APIServer.Limits, readiness: Readiness, logger: Logger
    ) throws -> some Service {
        try SocketPath.prepare(path)
        return APIServer(
            router: buildRouter(environment: environment, surface: surface), loops: loops, scansFirst: scansFirst, timeSlice: timeSlice,
            path: path, limits: limits,
            onRunning: {
                do {
                    try SocketPath.setPermissions(path, mode: mode, group: group)
                } catch {
                    logger.error("socket permissions not set", metadata: ["socket": "\(path)", "error": "\(error)"])
                }
                readiness.arrived()
            }, logger: logger)
    }
}
