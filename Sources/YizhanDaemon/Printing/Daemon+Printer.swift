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
