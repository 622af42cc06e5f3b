import Foundation
import Testing
import YizhanCore
import YizhanTestSupport
import YizhanWire

/// The built daemon printing through libusb to an emulated USB printer-class device
/// (umockdev answering usbdevfs): the bytes arrive exactly, status comes back on bulk IN,
/// the printer vanishes mid-job and comes back.
@Suite(.serialized) struct USBPrinterEndToEndTests {
    static let node = "/dev/bus/usb/001/002"
    static let syspath = "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-1"

    /// A 58 mm printer, 0416:5011 serial PRN01: one printer-class interface (7/1/2) with bulk
    /// OUT 0x01 and bulk IN 0x82.
    static let printer = """
        P: /devices/pci0000:00/0000:00:14.0/usb1/1-1
        N: bus/usb/001/002
        E: DEVNAME=/dev/bus/usb/001/002
        E: DEVTYPE=usb_device
        E: DRIVER=usb
        E: SUBSYSTEM=usb
        E: BUSNUM=001
        E: DEVNUM=002
        E: ID_VENDOR_ID=0416
        E: ID_MODEL_ID=5011
        A: busnum=1
        A: devnum=2
        A: speed=12
        A: bConfigurationValue=1
        A: dev=189:1
        A: idVendor=0416
        A: idProduct=5011
        A: serial=PRN01
        H: descriptors=12010002000000401604115000010102030109022000010100C0320904000002070102000705010240000007058202400000
        """

    /// The bus the printer is plugged into, which stays when the printer goes.
    static let hub = """
        P: /devices/pci0000:00/0000:00:14.0/usb1
        N: bus/usb/001/001
        E: DEVNAME=/dev/bus/usb/001/001
        E: DEVTYPE=usb_device
        E: DRIVER=usb
        E: SUBSYSTEM=usb
        E: BUSNUM=001
        E: DEVNUM=001
        A: busnum=1
        A: devnum=1
        A: speed=480
        A: bConfigurationValue=1
        A: dev=189:0
        A: idVendor=1d6b
        A: idProduct=0002
        H: descriptors=12010002090001406B1D020006050302010109021900010100E0000904000001090000000705810304000C

        P: /devices/pci0000:00/0000:00:14.0
        E: DRIVER=xhci_hcd
        E: SUBSYSTEM=pci
        """

    /// A printer not plugged in at the start is missing; plugged in while nothing is to be
    /// printed, it is seen there without a slip (and the lights go from amber to green), and
    /// pulled out, missing again.
    @Test(.enabled(if: DeviceTestbed.isAvailable, "needs umockdev-wrapper and gir1.2-umockdev-1.0"))
    func aPrinterPluggedInOrPulledOutWhileIdleIsSeenWithoutASlip() throws {
        let testbed = try DeviceTestbed()
        try testbed.add(Self.hub)
        let daemon = try DaemonProcess(printer: "[printer]\ntransport = \"usb\"\nusb = \"0416:5011:PRN01\"\n")
        defer { daemon.directory.remove() }
        try daemon.start(wrapper: testbed.wrapper)
        let events = try daemon.events()
        let absent = "no USB device 0416:5011:PRN01 attached"
        #expect(try daemon.api.call(API.status).devices.first { $0.kind == "printer" }?.detail == absent)

        try testbed.add(Self.printer)
        let plugged = try events.next(.device) { $0.kind == "printer" }
        #expect(plugged?.state == .present && plugged?.detail == "usb 0416:5011:PRN01", "plugged in: there")
        testbed.remove(Self.syspath)
        let pulled = try events.next(.device) { $0.kind == "printer" }
        #expect(pulled?.state == .missing && pulled?.detail == absent, "pulled out: missing")
        #expect(try daemon.api.call(API.printJobs()).items.isEmpty, "no slip sent to find out")
        #expect(daemon.stop() == 0)
    }

    @Test(.enabled(if: DeviceTestbed.isAvailable, "needs umockdev-wrapper and gir1.2-umockdev-1.0"))
    func jobsGoOverUSBExactlyOnceThroughPaperOutAVanishedPrinterAndItsReturn() throws {
        let testbed = try DeviceTestbed()
        let received = testbed.directory.file("received.escpos")
        #expect(FileManager.default.createFile(atPath: received, contents: nil))
        testbed.usbPrinter(node: Self.node, output: received)
        try testbed.add(Self.hub)
        try testbed.add(Self.printer)
        let daemon = try DaemonProcess(printer: "[printer]\ntransport = \"usb\"\nusb = \"0416:5011:PRN01\"\n")
        defer { daemon.directory.remove() }
        try daemon.start(wrapper: testbed.wrapper)
        #expect(testbed.sync())

        func state(of id: Int64) throws -> PrintJobState? {
            try daemon.api.call(API.printJobs()).items.first { $0.id == id }?.state
        }
        func bytes(of id: Int64) throws -> [UInt8] {
            Array(try #require(Data(base64Encoded: try daemon.api.call(API.printJobBytes(id)).escpos)))
        }
        func paper() -> [UInt8] { Array(FileManager.default.contents(atPath: received) ?? Data()) }
        let events = try daemon.events()

        // Ready: the job arrives byte for byte.
        let first = try daemon.api.call(API.printTestPage).id
        #expect(try events.next(.printJob) == PrintJobEvent(id: first, state: .printed))
        let firstBytes = try bytes(of: first)
        #expect(paper() == firstBytes, "the job, exactly, status requests apart")

        // Paper out, read back on bulk IN: the job waits and goes once the paper is back.
        testbed.printerCondition(node: Self.node, "paper_out")
        #expect(testbed.sync())
        let second = try daemon.api.call(API.printTestPage).id
        #expect(try events.next(.device) { $0.kind == "printer" && $0.detail == "paper_out" } != nil)
        #expect(try state(of: second) == .queued)
        testbed.printerCondition(node: Self.node, "ready")
        #expect(try events.next(.printJob) == PrintJobEvent(id: second, state: .printed))
        #expect(paper() == firstBytes + (try bytes(of: second)))

        // The cable is pulled 200 bytes into a job: uncertain, not resent, the daemon serves on.
        testbed.vanish(node: Self.node, after: 200)
        #expect(testbed.sync())
        let third = try daemon.api.call(API.printTestPage).id
        #expect(try events.next(.printJob) == PrintJobEvent(id: third, state: .uncertain))
        let cutOff = paper().dropFirst(2 * firstBytes.count)
        let thirdBytes = try bytes(of: third)
        #expect(!cutOff.isEmpty && cutOff.count < 200 && thirdBytes.starts(with: cutOff), "the start of the job, no more")
        testbed.remove(Self.syspath)
        #expect(testbed.sync())
        #expect(try events.next(.device) { $0.kind == "printer" && $0.state == .missing } != nil, "pulled out: missing")

        // The reprint waits for the printer (its try finds none), which is found again when it
        // is plugged back in.
        let reprint = try daemon.api.call(API.reprint(third)).id
        #expect(try events.next(.device) { $0.kind == "printer" && $0.detail == "no usb 0416:5011:PRN01 connected" } != nil)
        #expect(try state(of: reprint) == .queued)
        testbed.vanish(node: Self.node, after: nil)
        try testbed.add(Self.printer)
        #expect(try events.next(.printJob) == PrintJobEvent(id: reprint, state: .printed))
        #expect(
            paper().suffix(try bytes(of: reprint).count) == ArraySlice(try bytes(of: reprint)), "the reprint, once, after the cut-off job")
        #expect(try state(of: third) == .uncertain)
        #expect(daemon.stop() == 0)
    }
}
