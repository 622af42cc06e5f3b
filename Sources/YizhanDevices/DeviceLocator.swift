import Foundation
import YizhanCore

/// Finds a scanner's device node by its USB ids through sysfs, the way udev names it:
/// the ids and serial number an input, HID or tty device reports are the USB device's own.
public struct DeviceLocator: Sendable {
    /// Where sysfs is mounted (a test points this at a tree of its own).
    public var sysfs: String
    public var dev: String

    public init(sysfs: String = "/sys", dev: String = "/dev") {
        self.sysfs = sysfs
        self.dev = dev
    }

    /// The event node of a keyboard-wedge device. A scanner can offer several (keyboard,
    /// consumer keys): the one that declares key repeat, as keyboards do, is the scanner's.
    public func inputNode(for identity: USBIdentity) -> String? {
        let matches = entries(in: "class/input", prefix: "event").filter { name in
            let device = "\(sysfs)/class/input/\(name)/device"
            guard let vendor = hex(attribute: "\(device)/id/vendor").flatMap(UInt16.init(exactly:)),
                let product = hex(attribute: "\(device)/id/product").flatMap(UInt16.init(exactly:))
            else { return false }
            return identity.matches(vendor: vendor, product: product, serial: attribute("\(device)/uniq"))
        }
        let keyboard = matches.first { name in
            // EV_REP is bit 20 of the event types.
            hex(attribute: "\(sysfs)/class/input/\(name)/device/capabilities/ev").map { $0 & (1 << 20) != 0 } ?? false
        }
        return (keyboard ?? matches.first).map { "\(dev)/input/\($0)" }
    }

    /// The hidraw node of a HID device, from `HID_ID=0003:0000VVVV:0000PPPP` and
    /// `HID_UNIQ` in its uevent.
    public func hidrawNode(for identity: USBIdentity) -> String? {
        entries(in: "class/hidraw", prefix: "hidraw").first { name in
            guard let uevent = attribute("\(sysfs)/class/hidraw/\(name)/device/uevent") else { return false }
            var fields: [Substring: Substring] = [:]
            for line in uevent.split(separator: "\n") {
                let pair = line.split(separator: "=", maxSplits: 1)
                if pair.count == 2 { fields[pair[0]] = pair[1] }
            }
            let ids = fields["HID_ID"]?.split(separator: ":") ?? []
            guard ids.count == 3, let vendor = UInt32(ids[1], radix: 16), let product = UInt32(ids[2], radix: 16),
                let vendor16 = UInt16(exactly: vendor), let product16 = UInt16(exactly: product)
            else { return false }
            return identity.matches(vendor: vendor16, product: product16, serial: fields["HID_UNIQ"].map(String.init))
        }.map { "\(dev)/\($0)" }
    }

    /// The tty of a serial scanner on USB: a CDC-ACM device (`ttyACM*`) or an RS-232
    /// scanner behind a USB serial adapter (`ttyUSB*`, the adapter's ids). The ids are the
    /// USB device's, the first directory above the tty's own in sysfs that has them.
    public func serialNode(for identity: USBIdentity) -> String? {
        let names = entries(in: "class/tty", prefix: "ttyACM") + entries(in: "class/tty", prefix: "ttyUSB")
        let root = URL(fileURLWithPath: sysfs).resolvingSymlinksInPath().path
        return names.first { name in
            var device = URL(fileURLWithPath: "\(sysfs)/class/tty/\(name)").resolvingSymlinksInPath()
            while device.path.hasPrefix(root + "/") {
                if let matches = usbDevice(device.path, matches: identity) { return matches }
                device.deleteLastPathComponent()
            }
            return false
        }.map { "\(dev)/\($0)" }
    }

    /// The node a stable link (`/dev/input/by-id/…`) points to, or the path itself. The
    /// node is opened rather than the link so that the device's ioctls reach it.
    public static func node(behind path: String) -> String {
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) else { return path }
        return target.hasPrefix("/") ? target : ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(target)
    }

    /// Entries of a sysfs class directory with the prefix, in the kernel's numbering order.
    /// The serial number of the USB device at `bus` and `address` (as libusb numbers it),
    /// from the `serial` attribute the kernel read from the device when it arrived.
    public func usbSerial(bus: Int, address: Int) -> String? {
        let device = usbDevices.first { device in
            attribute("\(device)/busnum").flatMap({ Int($0) }) == bus && attribute("\(device)/devnum").flatMap({ Int($0) }) == address
        }
        return device.flatMap { attribute("\($0)/serial") }
    }

    /// Whether a USB device with these ids (and serial number, if the identity names one)
    /// is attached: what a printer on libusb is before the first slip is sent to it.
    public func usbDeviceAttached(_ identity: USBIdentity) -> Bool {
        usbDevices.contains { usbDevice($0, matches: identity) == true }
    }

    /// Whether the USB device whose sysfs directory is `device` has these ids (and serial
    /// number); nil when the directory is not a USB device's (an interface's, a port's).
    private func usbDevice(_ device: String, matches identity: USBIdentity) -> Bool? {
        guard let vendor = hex(attribute: "\(device)/idVendor").flatMap(UInt16.init(exactly:)),
            let product = hex(attribute: "\(device)/idProduct").flatMap(UInt16.init(exactly:))
        else { return nil }
        return identity.matches(vendor: vendor, product: product, serial: attribute("\(device)/serial"))
    }

    /// The sysfs directories of the USB devices, not of their interfaces (`1-1:1.0`).
    private var usbDevices: [String] {
        let devices = "\(sysfs)/bus/usb/devices"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: devices)) ?? []
        return names.filter { !$0.contains(":") }.map { "\(devices)/\($0)" }
    }

    private func entries(in directory: String, prefix: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "\(sysfs)/\(directory)")) ?? []
        return names.filter { $0.hasPrefix(prefix) }.sorted {
            (Int($0.dropFirst(prefix.count)) ?? .max, $0) < (Int($1.dropFirst(prefix.count)) ?? .max, $1)
        }
    }

    private func attribute(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }

    private func hex(attribute path: String) -> UInt64? {
        attribute(path).flatMap { UInt64($0, radix: 16) }
    }
}
