import ESCPOS
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import YizhanAPI
import YizhanConfig
import YizhanCore
import YizhanDevices
import YizhanStation
import YizhanStore

#if canImport(Glibc)
    import Glibc
#endif

/// Puts the daemon together from a validated config and runs it until SIGTERM.
public enum Daemon {
    public static let version = "0.1.0"

    /// Bootstraps logging to stderr (for the journal) and JSON lines under `log_dir`.
    public static func bootstrapLogging(_ config: DaemonConfig) throws {
        let sink = try JSONFileLogHandler.Sink(
            directory: config.paths.logDirectory, maximumBytes: config.log.maxFileBytes, keepFiles: config.log.keepFiles)
        let level = Logger.Level(rawValue: config.log.level) ?? .info
        let calendar = StationCalendar(timeZone: config.station.timeZone)
        LoggingSystem.bootstrap { label in
            var stderr = StreamLogHandler.standardError(label: label)
            stderr.logLevel = level
            let file = JSONFileLogHandler(sink: sink, label: label, logLevel: level, calendar: { calendar.rfc3339($0) })
            return MultiplexLogHandler([stderr, file])
        }
    }

    /// Runs the daemon with `config`.
    public static func run(config: DaemonConfig, clock: any StationClock = SystemClock()) async throws {
        let logger = Logger(label: "yizhand")
        let started = clock.now()
        let store = try Store(stateDirectory: config.paths.stateDirectory)
        try store.syncCatalog(config.rules.catalog)
        let interrupted = try store.markInterruptedPrintJobs(at: started)
        if interrupted > 0 {
            logger.warning("print jobs interrupted by the last stop are uncertain", metadata: ["count": "\(interrupted)"])
        }

        let devices = DeviceRegistry()
        let renderer = SlipRenderer(
            profile: PrinterProfile(widthDots: config.printer.widthDots, chinese: ChineseMode(rawValue: config.printer.chinese) ?? .fsGBK),
            stationName: config.station.name, calendar: config.rules.calendar)
        let transport = printerTransport(config.printer, devices: devices, logger: logger)
        let printDoorbell = Doorbell()
        let expiryDoorbell = Doorbell()
        let observers = StationObservers([
            { _, effects in
                for effect in effects {
                    switch effect {
                    case .print: printDoorbell.ring()
                    case .openPatrol: expiryDoorbell.ring()
                    default: break
                    }
                }
            }
        ])
        let station = Station(store: store, rules: config.rules, clock: clock, logger: logger, observers: observers)
        let spooler = Spooler(
            store: store, clock: clock, transport: transport, renderer: renderer, devices: devices, doorbell: printDoorbell, logger: logger)
        let scanners = config.scanners.map {
            ScannerService(
                config: .init(id: $0.id, kind: $0.kind.rawValue, path: $0.path), station: station, devices: devices, logger: logger)
        }

        let status: @Sendable () async -> StationStatus = {
            let now = clock.now()
            let storeState = (try? store.queuedPrintJobCount()) != nil ? "ok" : "unusable"
            return StationStatus(
                version: version, station: .init(id: config.station.id, name: config.station.name),
                uptimeSeconds: Int(now.elapsed(since: started).components.seconds),
                clock: .init(now: now.wall, synchronised: now.synchronised),
                devices: devices.all.map { .init(id: $0.id, kind: $0.kind, state: $0.state.rawValue, detail: $0.detail) },
                printQueue: (try? store.queuedPrintJobCount()) ?? 0, openPatrols: (try? store.openPatrols().count) ?? 0, store: storeState)
        }
        let environment = APIEnvironment(
            station: station, calendar: config.rules.calendar, status: status, slipQueued: { printDoorbell.ring() })
        let notifier = SystemdNotifier()
        let readiness = Readiness(expected: 2) {
            notifier.send("READY=1\nSTATUS=serving \(config.station.id): \(scanners.count) scanner(s)")
            logger.info("ready", metadata: ["admin_socket": "\(config.api.adminSocket)", "kiosk_socket": "\(config.api.kioskSocket)"])
        }
        let admin = try apiServer(
            environment: environment, surface: .admin, path: config.api.adminSocket, mode: 0o660, group: config.api.adminGroup,
            readiness: readiness, logger: logger)
        let kiosk = try apiServer(
            environment: environment, surface: .kiosk, path: config.api.kioskSocket, mode: 0o666, group: nil, readiness: readiness,
            logger: logger)

        let services: [any Service] = [admin, kiosk, spooler, ExpiryService(station: station, doorbell: expiryDoorbell)] + scanners
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        notifier.send("STOPPING=1")
        logger.info("stopped")
    }

    /// One HTTP server on a Unix socket, with the socket's mode and group set before it is
    /// announced ready.
    static func apiServer(
        environment: APIEnvironment, surface: APISurface, path: String, mode: mode_t, group: String?, readiness: Readiness, logger: Logger
    ) throws -> some Service {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        unlink(path)
        return Application(
            router: buildRouter(environment: environment, surface: surface),
            configuration: .init(address: .unixDomainSocket(path: path), serverName: nil),
            onServerRunning: { _ in
                chmod(path, mode)
                if let group, let entry = getgrnam(group) {
                    chown(path, getuid(), entry.pointee.gr_gid)
                }
                readiness.arrived()
            },
            logger: logger)
    }

    static func printerTransport(_ printer: PrinterConfig, devices: DeviceRegistry, logger: Logger) -> (any PrinterTransport)? {
        let unsupported: String? =
            if printer.transport != .file {
                "\(printer.transport.rawValue) printers are not in this build"
            } else if printer.chinese == "raster" { "raster Chinese text is not in this build" } else if printer.qr == .raster {
                "raster QR codes are not in this build"
            } else { nil }
        if let unsupported {
            devices.update(DeviceStatus(id: "printer", kind: "printer", state: .unsupported, detail: unsupported))
            logger.error("printer backend not in this build; slips stay queued", metadata: ["detail": "\(unsupported)"])
            return nil
        }
        devices.update(DeviceStatus(id: "printer", kind: "printer", state: .present, detail: printer.path))
        return FilePrinter(path: printer.path!)
    }
}
