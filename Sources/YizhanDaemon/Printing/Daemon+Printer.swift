import ESCPOS
import ESCPOSRaster
import Foundation
import Logging
import YizhanConfig
import YizhanCore
import YizhanDevices

/// The printer the config names: how slips are drawn for it, and how they reach it.
extension Daemon {
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

    /// The configured printer's transport, and how to tell whether it is plugged in where its
    /// node can say (nil for a printer on the network or a file).
    static func printerTransport(
        _ printer: PrinterConfig, devices: DeviceRegistry, logger: Logger
    ) -> (transport: any PrinterTransport, plug: PrinterPlug?) {
        let transport: any PrinterTransport
        let detail: String
        var absence: (@Sendable () -> String?)?
        func node(_ path: String) -> @Sendable () -> String? { { FileManager.default.fileExists(atPath: path) ? nil : "no \(path)" } }
        switch printer.transport {
        case .usb(let identity, let detachKernelDriver):
            (transport, detail) = (USBPrinter(identity: identity, detachKernelDriver: detachKernelDriver), "usb \(identity)")
            absence = { DeviceLocator().usbDeviceAttached(identity) ? nil : "no USB device \(identity) attached" }
        case .tcp(let host, let port):
            (transport, detail) = (TCPPrinter(host: host, port: port), "\(host):\(port)")
        case .device(let path):
            (transport, detail) = (DevicePrinter(path: path, baud: nil), path)
            absence = node(path)
        case .serial(let path, let baud):
            (transport, detail) = (DevicePrinter(path: path, baud: baud), path)
            absence = node(path)
        case .file(let path):
            (transport, detail) = (FilePrinter(path: path), path)
        }
        guard let absence else {
            devices.update(DeviceStatus(id: "printer", kind: "printer", state: .present, detail: detail))
            return (transport, nil)
        }
        // Listening before the first look, so that nothing plugged in between is missed.
        let changed: @Sendable () async -> Void
        do {
            let events = try DeviceEvents()
            changed = { await events.next() }
        } catch {
            logger.warning(
                "device events cannot be heard: the printer is looked for every few seconds",
                metadata: ["error": "\(error)", "seconds": "\(PrinterPlug.lookInterval.components.seconds)"])
            changed = { try? await Task.sleep(for: PrinterPlug.lookInterval) }
        }
        // Whether it is there is known for certain only when a slip is sent; until then a
        // printer whose device is not even attached is missing, not presumed present.
        let absent = absence()
        devices.update(DeviceStatus(id: "printer", kind: "printer", state: absent == nil ? .present : .missing, detail: absent ?? detail))
        return (transport, PrinterPlug(detail: detail, absence: absence, changed: changed))
    }
}

/// Whether a printer is plugged in, as far as its node can tell: the spooler asks while it
/// has nothing to print.
struct PrinterPlug: Sendable {
    /// What the status shows while it is plugged in.
    let detail: String
    /// Why it is not plugged in (no such USB device, no node); nil when it is.
    let absence: @Sendable () -> String?
    /// Returns when it may have been plugged in or pulled out: at the kernel's or udev's
    /// next word of any device, or, where those cannot be heard, after `lookInterval`.
    let changed: @Sendable () async -> Void

    static let lookInterval: Duration = .seconds(2)
}
