import Foundation
import Testing
import YizhanCore
import YizhanTestSupport

@testable import YizhanDevices

/// HID POS reports laid out by the report descriptor, and scanners found by their USB ids.
@Suite struct HIDPOSDecoderTests {
    @Test func aScanInOneReport() throws {
        var decoder = try HIDPOSDecoder(descriptor: ScannerInput.hidPOSDescriptor)
        let reports = ScannerInput.hidPOSReports("YZ:C:extinguisher-1")
        #expect(reports.count == 1 && reports[0].count == 62)
        #expect(decoder.feed(reports[0]) == [.line(Array("YZ:C:extinguisher-1".utf8))])
    }

    @Test func aLongScanContinuesOverSeveralReports() throws {
        var decoder = try HIDPOSDecoder(descriptor: ScannerInput.hidPOSDescriptor)
        let text = "YZ:V:" + String(repeating: "中文ABC", count: 20)
        let reports = ScannerInput.hidPOSReports(text)
        #expect(reports.count == 4)
        var frames: [LineFramer.Frame] = []
        for report in reports.dropLast() { frames += decoder.feed(report) }
        #expect(frames.isEmpty, "nothing until the last report")
        frames += decoder.feed(reports.last!)
        #expect(frames == [.line(Array(text.utf8))], "UTF-8 split across reports joins up")
    }

    @Test func reportsReadTogetherAreSplitByTheirLength() throws {
        var decoder = try HIDPOSDecoder(descriptor: ScannerInput.hidPOSDescriptor)
        let stream: [UInt8] =
            Array(ScannerInput.hidPOSReports("A1\r\n").joined()) + Array(ScannerInput.hidPOSReports("B2", chunk: 1).joined())
        #expect(decoder.feed(Array(stream)) == [.line(Array("A1".utf8)), .line(Array("B2".utf8))], "a suffix is framing")
    }

    @Test func unknownReportsAndEmptyReportsAreNotScans() throws {
        var decoder = try HIDPOSDecoder(descriptor: ScannerInput.hidPOSDescriptor)
        #expect(decoder.feed([0x07] + [UInt8](repeating: 0x41, count: 61)).isEmpty, "report 7 is not in the descriptor")
        #expect(decoder.feed([0x02] + [UInt8](repeating: 0, count: 61)).isEmpty)
        #expect(decoder.feed([]).isEmpty)
        #expect(decoder.feed(ScannerInput.hidPOSReports("OK")[0]) == [.line(Array("OK".utf8))], "and it goes on")
    }

    @Test func anOverlongScanIsAnOverflow() throws {
        var decoder = try HIDPOSDecoder(descriptor: ScannerInput.hidPOSDescriptor, limit: 100)
        let text = String(repeating: "X", count: 150)
        let frames = ScannerInput.hidPOSReports(text).flatMap { decoder.feed($0) }
        #expect(frames == [.overflow(length: 150, prefix: Array(text.utf8.prefix(64)))])
    }

    @Test func anUnnumberedReportIsReadToo() throws {
        // Usage Page 0x8C, Decoded Data: 8 bytes, no report id.
        let descriptor: [UInt8] = [0x05, 0x8C, 0x09, 0x02, 0xA1, 0x01, 0x75, 0x08, 0x95, 0x08, 0x09, 0xFE, 0x82, 0x02, 0x01, 0xC0]
        var decoder = try HIDPOSDecoder(descriptor: descriptor)
        #expect(decoder.feed(Array("12345678".utf8) + Array("9\0\0\0\0\0\0\0".utf8)) == [.line(Array("12345678".utf8)), .line([0x39])])
    }

    @Test func aKeyboardOrABrokenDescriptorIsRefused() {
        // A boot keyboard: modifiers and six key slots on pages 1 and 7.
        let keyboard: [UInt8] = [
            0x05, 0x01, 0x09, 0x06, 0xA1, 0x01, 0x05, 0x07, 0x19, 0xE0, 0x29, 0xE7, 0x15, 0x00, 0x25, 0x01, 0x75, 0x01, 0x95, 0x08, 0x81,
            0x02, 0x95, 0x06, 0x75, 0x08, 0x26, 0xFF, 0x00, 0x19, 0x00, 0x2A, 0xFF, 0x00, 0x81, 0x00, 0xC0,
        ]
        #expect(throws: HIDPOSDecoder.DescriptorError.notABarcodeScanner) { try HIDPOSDecoder(descriptor: keyboard) }
        #expect(throws: HIDPOSDecoder.DescriptorError.malformed(offset: 2)) { try HIDPOSDecoder(descriptor: [0x05, 0x8C, 0x26, 0xFF]) }
        #expect(throws: HIDPOSDecoder.DescriptorError.malformed(offset: 0)) { try HIDPOSDecoder(descriptor: [0xB4]) }
        #expect(throws: HIDPOSDecoder.DescriptorError.malformed(offset: 0)) { try HIDPOSDecoder(descriptor: [0x85, 0x00]) }
    }

    /// Found by fuzzing: a report of no bits made reading spin, and a descriptor of huge
    /// reports made every report cost a walk over millions of fields.
    @Test func emptyAndHugeReportsAreHandled() throws {
        var empty = try HIDPOSDecoder(descriptor: [0x05, 0x8C, 0x75, 0x00, 0x95, 0x01, 0x09, 0xFE, 0x81, 0x02])
        #expect(empty.feed([1, 2, 3]).isEmpty)
        let huge: [UInt8] = [0x05, 0x8C, 0x09, 0xFE, 0x75, 0x20, 0x96, 0x00, 0x10, 0x81, 0x02]  // 4096 fields of 32 bits
        #expect(throws: HIDPOSDecoder.DescriptorError.malformed(offset: 9)) { try HIDPOSDecoder(descriptor: huge) }
    }

    /// Found by fuzzing: a Usage Minimum of 0xFFFFFFFF with two fields overflowed the
    /// usage arithmetic and trapped.
    @Test func aUsageRangeAtTheTopOfItsTypeDoesNotTrap() {
        let descriptor: [UInt8] = [0x05, 0x8C, 0x1B, 0xFF, 0xFF, 0xFF, 0xFF, 0x75, 0x08, 0x95, 0x02, 0x81, 0x02]
        #expect(throws: HIDPOSDecoder.DescriptorError.notABarcodeScanner) { try HIDPOSDecoder(descriptor: descriptor) }
    }

    @Test func scannersAreFoundByTheirUSBIdsInSysfs() throws {
        let sysfs = try TemporaryDirectory()
        defer { sysfs.remove() }
        func attribute(_ path: String, _ value: String) throws {
            let file = sysfs.file(path)
            try FileManager.default.createDirectory(
                atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try value.write(toFile: file, atomically: true, encoding: .utf8)
        }
        // event2: the scanner's consumer keys; event3: its keyboard (key repeat); event4: another model.
        for (event, ev, product) in [(2, "13", "0b61"), (3, "120013", "0b61"), (4, "120013", "0b62")] {
            try attribute("class/input/event\(event)/device/id/vendor", "0c2e\n")
            try attribute("class/input/event\(event)/device/id/product", product + "\n")
            try attribute("class/input/event\(event)/device/uniq", "SN42\n")
            try attribute("class/input/event\(event)/device/capabilities/ev", ev + "\n")
        }
        try attribute("class/input/mouse0/device/id/vendor", "0c2e\n")
        try attribute("class/hidraw/hidraw1/device/uevent", "DRIVER=hid-generic\nHID_ID=0003:00000C2E:00000B61\nHID_UNIQ=SN77\n")
        try attribute("class/hidraw/hidraw0/device/uevent", "HID_ID=0003:0000046D:0000C52B\n")
        let locator = DeviceLocator(sysfs: sysfs.path, dev: "/dev")
        #expect(locator.inputNode(for: USBIdentity("0c2e:0b61")!) == "/dev/input/event3")
        #expect(locator.inputNode(for: USBIdentity("0c2e:0b62:SN42")!) == "/dev/input/event4")
        #expect(locator.inputNode(for: USBIdentity("0c2e:0b61:SN43")!) == nil)
        #expect(locator.hidrawNode(for: USBIdentity("0c2e:0b61:SN77")!) == "/dev/hidraw1")
        #expect(locator.hidrawNode(for: USBIdentity("046d:c52b")!) == "/dev/hidraw0")
        #expect(locator.hidrawNode(for: USBIdentity("046d:c52c")!) == nil)

        // Serial scanners: a CDC-ACM one, its tty under its interface; an RS-232 one behind a
        // USB serial adapter, its tty under the adapter's port; a board's own UART, not on USB.
        for (tty, under, ids) in [
            ("ttyACM0", "usb1/1-2/1-2:1.0/tty", ("0c2e", "0b6a", "17280B0042")),
            ("ttyUSB0", "usb1/1-3/1-3:1.0/ttyUSB0/tty", ("1a86", "7523", "")),
        ] {
            let device = "devices/" + under.split(separator: "/").prefix(2).joined(separator: "/")
            try attribute("\(device)/idVendor", ids.0 + "\n")
            try attribute("\(device)/idProduct", ids.1 + "\n")
            if !ids.2.isEmpty { try attribute("\(device)/serial", ids.2 + "\n") }
            try attribute("devices/\(under)/\(tty)/dev", "166:0\n")
            try FileManager.default.createDirectory(atPath: sysfs.file("class/tty"), withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(
                atPath: sysfs.file("class/tty/\(tty)"), withDestinationPath: "../../devices/\(under)/\(tty)")
        }
        try attribute("class/tty/ttyS0/dev", "4:64\n")
        #expect(locator.serialNode(for: USBIdentity("0c2e:0b6a:17280B0042")!) == "/dev/ttyACM0")
        #expect(locator.serialNode(for: USBIdentity("0c2e:0b6a")!) == "/dev/ttyACM0")
        #expect(locator.serialNode(for: USBIdentity("1a86:7523")!) == "/dev/ttyUSB0")
        #expect(locator.serialNode(for: USBIdentity("1a86:7523:X")!) == nil)
        #expect(locator.serialNode(for: USBIdentity("0c2e:0b61")!) == nil)

        // A USB printer: the device (1-1), not its interface (1-1:1.0).
        try attribute("bus/usb/devices/1-1/idVendor", "0416\n")
        try attribute("bus/usb/devices/1-1/idProduct", "5011\n")
        try attribute("bus/usb/devices/1-1/serial", "P7\n")
        try attribute("bus/usb/devices/1-1:1.0/idVendor", "04b8\n")
        #expect(locator.usbDeviceAttached(USBIdentity("0416:5011")!))
        #expect(locator.usbDeviceAttached(USBIdentity("0416:5011:P7")!))
        #expect(!locator.usbDeviceAttached(USBIdentity("0416:5011:P8")!))
        #expect(!locator.usbDeviceAttached(USBIdentity("04b8:0e15")!))
    }
}
