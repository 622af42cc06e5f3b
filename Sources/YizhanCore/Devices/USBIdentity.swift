/// How the config names a USB device when its path is not stable: `VID:PID` or
/// `VID:PID:serial`, the ids in hex as `lsusb` shows them, e.g. `0416:5011`.
public struct USBIdentity: Sendable, Hashable, CustomStringConvertible {
    public var vendor: UInt16
    public var product: UInt16
    /// The device's serial number string, for telling two devices of one model apart.
    public var serial: String?

    public init(vendor: UInt16, product: UInt16, serial: String? = nil) {
        self.vendor = vendor
        self.product = product
        self.serial = serial
    }

    /// Parses `VID:PID[:serial]`; nil unless both ids are four hex digits and a serial, if
    /// present, is not empty.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts.prefix(2).allSatisfy({ $0.count == 4 && $0.allSatisfy(\.isHexDigit) }),
            let vendor = UInt16(parts[0], radix: 16), let product = UInt16(parts[1], radix: 16)
        else { return nil }
        let serial = parts.count == 3 ? String(parts[2]) : nil
        guard serial?.isEmpty != true else { return nil }
        self.init(vendor: vendor, product: product, serial: serial)
    }

    public var description: String {
        let ids = hex4(vendor) + ":" + hex4(product)
        return serial.map { ids + ":" + $0 } ?? ids
    }

    /// Whether a device with these ids and serial number is this one.
    public func matches(vendor: UInt16, product: UInt16, serial: String?) -> Bool {
        vendor == self.vendor && product == self.product && (self.serial == nil || self.serial == serial)
    }

    private func hex4(_ value: UInt16) -> String {
        String(value, radix: 16).leftPadded(to: 4)
    }
}
