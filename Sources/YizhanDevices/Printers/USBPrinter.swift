import CUSB
import ESCPOS
import YizhanCore

/// A USB printer-class printer through libusb, found by its ids for each job: bulk OUT for
/// the job, bulk IN for status replies. The kernel's `usblp` driver, when bound, is
/// detached only if the config says so (otherwise use the `device` transport on
/// `/dev/usb/lp*`), and reattached after the job.
public struct USBPrinter: PrinterTransport {
    public let identity: USBIdentity
    public let detachKernelDriver: Bool
    private let locator: DeviceLocator

    public init(identity: USBIdentity, detachKernelDriver: Bool = false, locator: DeviceLocator = DeviceLocator()) {
        self.identity = identity
        self.detachKernelDriver = detachKernelDriver
        self.locator = locator
    }

    public func send(_ bytes: [UInt8]) throws(PrinterSendError) -> PrinterCondition {
        let link = try USBPrinterLink(identity: identity, detachKernelDriver: detachKernelDriver, locator: locator)
        defer { link.close() }
        return try link.send(bytes)
    }
}

/// One job's claim on a USB printer's interface. Every libusb call of the transport is here.
final class USBPrinterLink: PrinterLink {
    let name: String
    let bytesPerSecond = Int.max
    private var context: OpaquePointer?
    private var handle: OpaquePointer?
    private var interface: Int32 = -1
    private var bulkOut: UInt8 = 0
    private var bulkIn: UInt8?
    private var reattach = false
    /// Bytes of a status read beyond the one asked for.
    private var unread: [UInt8] = []

    /// Bulk transfers go in pieces this size, so a broken-off job is noticed within one.
    static let chunkSize = 16 * 1024

    /// `libusb_init`, `libusb_get_device_list`, `libusb_open`, `libusb_claim_interface`;
    /// not ready, with the reason, when any step fails (nothing has been sent).
    init(identity: USBIdentity, detachKernelDriver: Bool, locator: DeviceLocator) throws(PrinterSendError) {
        name = "usb \(identity)"
        guard libusb_init(&context) == 0 else { throw .notReady("libusb_init failed") }
        do {
            try open(identity, locator: locator)
            try claim(detachKernelDriver: detachKernelDriver)
        } catch {
            close()
            throw error
        }
    }

    private func open(_ identity: USBIdentity, locator: DeviceLocator) throws(PrinterSendError) {
        var list: UnsafeMutablePointer<OpaquePointer?>?
        let count = libusb_get_device_list(context, &list)
        guard count >= 0, let list else { throw .notReady("cannot list USB devices: \(Self.describe(Int32(count)))") }
        defer { libusb_free_device_list(list, 1) }
        for index in 0..<count {
            guard let device = list[index] else { continue }
            var descriptor = libusb_device_descriptor()
            guard libusb_get_device_descriptor(device, &descriptor) == 0,
                descriptor.idVendor == identity.vendor, descriptor.idProduct == identity.product
            else { continue }
            let serial =
                identity.serial == nil
                ? nil
                : locator.usbSerial(bus: Int(libusb_get_bus_number(device)), address: Int(libusb_get_device_address(device)))
            guard identity.matches(vendor: descriptor.idVendor, product: descriptor.idProduct, serial: serial) else { continue }
            try findEndpoints(device)
            let result = libusb_open(device, &handle)
            guard result == 0 else { throw .notReady("cannot open \(name): \(Self.describe(result))") }
            return
        }
        throw .notReady("no \(name) connected")
    }

    /// The first printer-class interface (class 7) and its bulk endpoints.
    private func findEndpoints(_ device: OpaquePointer) throws(PrinterSendError) {
        var configuration: UnsafeMutablePointer<libusb_config_descriptor>?
        guard libusb_get_active_config_descriptor(device, &configuration) == 0, let configuration else {
            throw .notReady("cannot read \(name)'s configuration")
        }
        defer { libusb_free_config_descriptor(configuration) }
        for index in 0..<Int(configuration.pointee.bNumInterfaces) {
            let alternates = configuration.pointee.interface[index]
            guard alternates.num_altsetting > 0, let setting = alternates.altsetting, setting.pointee.bInterfaceClass == 7 else { continue }
            for endpointIndex in 0..<Int(setting.pointee.bNumEndpoints) {
                let endpoint = setting.pointee.endpoint[endpointIndex]
                guard endpoint.bmAttributes & 0x03 == 0x02 else { continue }  // bulk
                if endpoint.bEndpointAddress & 0x80 == 0 { bulkOut = endpoint.bEndpointAddress } else { bulkIn = endpoint.bEndpointAddress }
            }
            interface = Int32(setting.pointee.bInterfaceNumber)
            guard bulkOut != 0 else { break }
            return
        }
        throw .notReady("\(name) has no printer interface with a bulk OUT endpoint")
    }

    private func claim(detachKernelDriver: Bool) throws(PrinterSendError) {
        if libusb_kernel_driver_active(handle, interface) == 1 {
            guard detachKernelDriver else {
                throw .notReady("the kernel's printer driver holds \(name): print through /dev/usb/lp* or set detach_kernel_driver")
            }
            let result = libusb_detach_kernel_driver(handle, interface)
            guard result == 0 else { throw .notReady("cannot detach the kernel driver from \(name): \(Self.describe(result))") }
            reattach = true
        }
        let result = libusb_claim_interface(handle, interface)
        guard result == 0 else { throw .notReady("cannot claim \(name): \(Self.describe(result))") }
    }

    func write(_ bytes: ArraySlice<UInt8>, timeout: Duration) throws(PrinterLinkError) -> Int {
        var chunk = Array(bytes.prefix(Self.chunkSize))
        var transferred: Int32 = 0
        let result = libusb_bulk_transfer(handle, bulkOut, &chunk, Int32(chunk.count), &transferred, Self.milliseconds(timeout))
        // Bytes that went are progress even when the transfer then failed: the caller sends
        // the rest, and a printer that is gone fails that, after some bytes, as broken off.
        if result == 0 || transferred > 0 { return Int(transferred) }
        throw PrinterLinkError(reason: "bulk OUT to \(name): \(Self.describe(result))")
    }

    func readByte(timeout: Duration) -> UInt8? {
        if unread.isEmpty, let bulkIn {
            var buffer = [UInt8](repeating: 0, count: 64)
            var transferred: Int32 = 0
            if libusb_bulk_transfer(handle, bulkIn, &buffer, Int32(buffer.count), &transferred, Self.milliseconds(timeout)) == 0 {
                unread = Array(buffer.prefix(Int(transferred)))
            }
        }
        return unread.isEmpty ? nil : unread.removeFirst()
    }

    /// Releases the interface, gives it back to the kernel's driver if it was taken, and
    /// closes the device and libusb.
    func close() {
        if let handle {
            if interface >= 0 { libusb_release_interface(handle, interface) }
            if reattach { libusb_attach_kernel_driver(handle, interface) }
            libusb_close(handle)
        }
        handle = nil
        if let context { libusb_exit(context) }
        context = nil
    }

    /// libusb's timeout in milliseconds, where 0 would mean "wait for ever".
    private static func milliseconds(_ timeout: Duration) -> UInt32 {
        UInt32(max(1, timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000))
    }

    /// `libusb_error_name`.
    private static func describe(_ code: Int32) -> String {
        String(cString: libusb_error_name(code))
    }
}
