import ESCPOS
import ESCPOSRaster
import Foundation
import Logging
import ServiceLifecycle
import YizhanConfig
import YizhanCore
import YizhanDevices
import YizhanStation
import YizhanStore

/// The devices the config names, opened or reported missing or unsupported.
extension Daemon {
    /// The lights' backend: real GPIO, simulated, or none. A chip or line that is missing
    /// leaves the daemon serving scans without lights, and says so.
    static func lights(_ config: DaemonConfig, devices: DeviceRegistry, events: EventBus, clock: any StationClock, logger: Logger) -> (
        any SignalOutput
    )? {
        switch config.gpio.backend {
        case .none:
            return nil
        case .sim:
            devices.update(DeviceStatus(id: "gpio", kind: "gpio", state: .present, detail: "simulated"))
            return SimulatedLights(clock: clock) { change in events.publish("lights", LightsEvent(on: change.lines.names), held: false) }
        case .gpiod:
            do {
                let lines = config.gpio.outputs.compactMap { output in GPIOLineSpec(output.spec).map { (output.lines, $0) } }
                let lights = try GPIOLights(driver: LibGPIOD(), chip: config.gpio.chip, lines: lines)
                devices.update(DeviceStatus(id: "gpio", kind: "gpio", state: .present, detail: config.gpio.chip))
                return lights
            } catch {
                devices.update(DeviceStatus(id: "gpio", kind: "gpio", state: .missing, detail: "\(error)"))
                logger.error(
                    "GPIO lights unavailable; scans go on without them", metadata: ["chip": "\(config.gpio.chip)", "error": "\(error)"])
                return nil
            }
        }
    }

    /// The `lights` event of the simulated backend.
    struct LightsEvent: Encodable {
        var on: [String]
    }

    /// One service per configured button (real GPIO only).
    static func buttons(
        _ config: DaemonConfig, clock: any StationClock, devices: DeviceRegistry, store: Store, slipQueued: @escaping @Sendable () -> Void,
        logger: Logger
    ) -> [any Service] {
        guard config.gpio.backend == .gpiod else { return [] }
        let calendar = config.rules.calendar
        let perform: @Sendable (ButtonConfig.Action) async -> Void = { action in
            let now = clock.now()
            do {
                switch action {
                case .reprintLast:
                    if let job = try store.lastSentPrintJob() { _ = try store.reprint(job.id, at: now) }
                case .printSummary:
                    let today = calendar.localDay(of: now.wall)
                    let summary = try store.summary(from: today, to: today, today: today, calendar: calendar)
                    _ = try store.enqueue(SlipBuilder(rules: config.rules).summary(summary, at: now), at: now)
                case .none:
                    return
                }
                slipQueued()
            } catch {
                logger.error("button action failed", metadata: ["action": "\(action.rawValue)", "error": "\(error)"])
            }
        }
        return config.buttons.compactMap { button in
            guard let spec = GPIOLineSpec(button.line) else { return nil }
            return ButtonService(
                config: button, open: { try GPIOButton(driver: LibGPIOD(), chip: config.gpio.chip, line: spec) },
                debouncer: ButtonDebouncer(debounce: config.gpio.debounce, longPress: config.gpio.longPress), clock: clock,
                devices: devices,
                perform: perform, logger: logger)
        }
    }

    /// The slip encoder for the configured printer; nil (slips stay queued) when a raster
    /// mode is configured and its font cannot be read.
    static func slipRenderer(_ config: DaemonConfig, devices: DeviceRegistry, logger: Logger) -> SlipRenderer? {
        var rasterizer: RasterRenderer?
        if config.printer.rasterises {
            do {
                rasterizer = RasterRenderer(font: try ReceiptFont(path: config.printer.font, face: config.printer.fontFace))
            } catch {
                devices.update(DeviceStatus(id: "printer", kind: "printer", state: .fault, detail: error.description))
                logger.error("printer font unreadable; slips stay queued", metadata: ["error": "\(error)"])
                return nil
            }
        }
        return SlipRenderer(
            profile: config.printer.profile, stationName: config.station.name, calendar: config.rules.calendar, rasterizer: rasterizer)
    }

    static func printerTransport(_ printer: PrinterConfig, devices: DeviceRegistry) -> any PrinterTransport {
        let transport: any PrinterTransport
        let detail: String
        // Whether it is there is known for certain only when a slip is sent; until then a
        // printer whose device is not even attached is missing, not presumed present.
        var absent: String?
        switch printer.transport {
        case .usb(let identity, let detachKernelDriver):
            (transport, detail) = (USBPrinter(identity: identity, detachKernelDriver: detachKernelDriver), "usb \(identity)")
            if !DeviceLocator().usbDeviceAttached(identity) { absent = "no USB device \(identity) attached" }
        case .tcp(let host, let port):
            (transport, detail) = (TCPPrinter(host: host, port: port), "\(host):\(port)")
        case .device(let path):
            (transport, detail) = (DevicePrinter(path: path, baud: nil), path)
            if !FileManager.default.fileExists(atPath: path) { absent = "no \(path)" }
        case .serial(let path, let baud):
            (transport, detail) = (DevicePrinter(path: path, baud: baud), path)
            if !FileManager.default.fileExists(atPath: path) { absent = "no \(path)" }
        case .file(let path):
            (transport, detail) = (FilePrinter(path: path), path)
        }
        devices.update(DeviceStatus(id: "printer", kind: "printer", state: absent == nil ? .present : .missing, detail: absent ?? detail))
        return transport
    }
}
