import Foundation
import Testing
import YizhanTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The built daemon with a serial scanner on a pty and a keyboard-wedge card reader emulated
/// by umockdev at the same time.
@Suite(.serialized) struct ScannerEndToEndTests {
    static var hasUmockdev: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/umockdev-run") }

    /// An emulated USB keyboard-wedge card reader at /dev/input/event5.
    static let cardReader = """
        P: /devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0/0003:FFFF:0035.0001/input/input5/event5
        N: input/event5
        E: DEVNAME=/dev/input/event5
        E: MAJOR=13
        E: MINOR=69
        E: SUBSYSTEM=input
        E: ID_INPUT=1
        E: ID_INPUT_KEYBOARD=1
        A: dev=13:69

        P: /devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0/0003:FFFF:0035.0001/input/input5
        E: SUBSYSTEM=input
        E: NAME="RFID Card Reader"
        A: name=RFID Card Reader
        """

    @Test(.enabled(if: hasUmockdev, "needs umockdev"))
    func aVolunteerPatrolsWithACardReaderAndASerialScannerAtOnce() throws {
        let pty = try PseudoTerminal()
        let scanners = """
            [[scanner]]
            id = "card"
            kind = "evdev"
            path = "/dev/input/event5"
            layout = "us"
            terminator = []
            char_timeout_ms = 80

            [[scanner]]
            id = "serial"
            kind = "serial"
            path = "SERIAL"
            baud = 115200
            """
        let daemon = try DaemonProcess(scanners: scanners)
        // The serial path is a link outside /dev, which umockdev leaves to the real kernel.
        let link = daemon.directory.file("scanner-serial")
        symlink(pty.path, link)
        try daemon.writeConfig(scanners: scanners.replacingOccurrences(of: "SERIAL", with: link))

        // Register the volunteer's card and QR badge before the card reader is plugged in.
        try daemon.start()
        let id = try #require(try daemon.post("/v1/volunteers", ["name": "张三"]).json?["id"] as? Int)
        #expect(try daemon.post("/v1/volunteers/\(id)/badges", ["kind": "card", "uid": "04A1B2C3"]).status == 201)
        let badge = try #require(try daemon.post("/v1/volunteers/\(id)/badges", ["kind": "qr"]).json?["code"] as? String)
        daemon.stop()

        try Self.cardReader.write(toFile: daemon.directory.file("reader.umockdev"), atomically: true, encoding: .utf8)
        // The reader sends no terminator: the pause after the card's last character ends it.
        try ScannerInput.evemu([("04A1B2C3", 0.05, false)]).write(
            toFile: daemon.directory.file("card.events"), atomically: true, encoding: .utf8)
        try daemon.start(wrapper: [
            "/usr/bin/umockdev-run", "-d", daemon.directory.file("reader.umockdev"), "-e",
            "/dev/input/event5=" + daemon.directory.file("card.events"),
            "--",
        ])
        // The card reader types the card as soon as it is opened: the patrol opens.
        let opened = try daemon.waitUntil {
            ((try daemon.get("/v1/patrols?state=open")["items"] as? [[String: Any]]) ?? []).first?["volunteer_id"] as? Int == id
        }
        #expect(opened, "the card opened a patrol")
        let serialPresent = try daemon.waitUntil {
            (try daemon.get("/v1/status")["devices"] as? [[String: Any]] ?? []).contains {
                $0["id"] as? String == "serial" && $0["state"] as? String == "present"
            }
        }
        #expect(serialPresent)
        pty.send("YZ:C:extinguisher-1\r\nYZ:C:water-dispenser\r\n\(badge)\r\n")
        let finished = try daemon.waitUntil { try daemon.get("/v1/volunteers/\(id)")["balance"] as? Int == 2 }
        #expect(finished, "the patrol closed completed with its points")

        let scans = try daemon.get("/v1/scans?limit=10")["items"] as? [[String: Any]] ?? []
        #expect(scans.contains { $0["scanner"] as? String == "card" && $0["reason"] as? String == "patrol_started" })
        #expect(
            scans.filter { $0["scanner"] as? String == "serial" }.map { $0["reason"] as? String } == [
                "patrol_completed", "checkpoint_recorded", "checkpoint_recorded",
            ])
        let ledger = try daemon.get("/v1/volunteers/\(id)/ledger")["items"] as? [[String: Any]] ?? []
        #expect(ledger.map { $0["kind"] as? String } == ["patrol_award"])

        // Unplug the serial scanner: reported missing; plug a new one in at the same link: back.
        pty.close()
        #expect(try daemon.waitUntil { try Self.state(of: "serial", daemon) == "missing" })
        let replugged = try PseudoTerminal()
        unlink(link)
        symlink(replugged.path, link)
        #expect(try daemon.waitUntil { try Self.state(of: "serial", daemon) == "present" }, "picked up again when it returns")
        replugged.send("YZ:K:CANCEL\n")
        #expect(
            try daemon.waitUntil {
                (try daemon.get("/v1/scans?limit=1")["items"] as? [[String: Any]])?.first?["reason"] as? String == "selection_cancelled"
            })
    }

    static func state(of device: String, _ daemon: DaemonProcess) throws -> String? {
        (try daemon.get("/v1/status")["devices"] as? [[String: Any]] ?? []).first { $0["id"] as? String == device }?["state"] as? String
    }

    /// A keyboard-wedge scanner (HID keyboard, serial SN42) and a HID POS scanner (serial
    /// SN77) of one model, both found by their USB ids.
    static let powerButton = """
        P: /devices/LNXSYSTM:00/LNXPWRBN:00/input/input0
        E: SUBSYSTEM=input
        E: NAME="Power Button"
        A: name=Power Button
        A: capabilities/ev=3

        P: /devices/LNXSYSTM:00/LNXPWRBN:00/input/input0/event0
        N: input/event0
        E: DEVNAME=/dev/input/event0
        E: MAJOR=13
        E: MINOR=64
        E: SUBSYSTEM=input
        A: dev=13:64
        L: device=../../input0
        """

    /// The wedge as input device `number`: plugged in again, it gets the next number, as
    /// from the kernel.
    static func wedge(_ number: Int) -> String {
        """
        P: \(wedgeInput(number))
        E: SUBSYSTEM=input
        E: NAME="Scanner"
        A: name=Scanner
        A: uniq=SN42
        A: id/vendor=0c2e
        A: id/product=0b61
        A: capabilities/ev=120013

        P: \(wedgeInput(number))/event\(number)
        N: input/event\(number)
        E: DEVNAME=/dev/input/event\(number)
        E: MAJOR=13
        E: MINOR=\(64 + number)
        E: SUBSYSTEM=input
        A: dev=13:\(64 + number)
        L: device=../../input\(number)
        """
    }

    static func wedgeInput(_ number: Int) -> String {
        "/devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0/0003:0C2E:0B61.000\(number)/input/input\(number)"
    }

    static var posScanner: String {
        """
        P: /devices/pci0000:00/0000:00:14.0/usb1/1-3/1-3:1.0/0003:0C2E:0B61.0002
        E: SUBSYSTEM=hid
        E: HID_ID=0003:00000C2E:00000B61
        E: HID_NAME=Scanner POS
        E: HID_UNIQ=SN77
        H: report_descriptor=\(ScannerInput.hidPOSDescriptor.map { String(format: "%02X", $0) }.joined())

        P: /devices/pci0000:00/0000:00:14.0/usb1/1-3/1-3:1.0/0003:0C2E:0B61.0002/hidraw/hidraw0
        N: hidraw0
        E: DEVNAME=/dev/hidraw0
        E: MAJOR=243
        E: MINOR=0
        E: SUBSYSTEM=hidraw
        A: dev=243:0
        L: device=../../../0003:0C2E:0B61.0002
        """
    }

    @Test(.enabled(if: DeviceTestbed.isAvailable, "needs umockdev-wrapper and gir1.2-umockdev-1.0"))
    func scannersFoundByTheirUSBIdsAreUnpluggedAndComeBack() throws {
        let daemon = try DaemonProcess(
            scanners: """
                [[scanner]]
                id = "wedge"
                kind = "evdev"
                usb = "0c2e:0b61:SN42"

                [[scanner]]
                id = "pos"
                kind = "hidraw"
                usb = "0c2e:0b61:SN77"
                """)
        try daemon.start()
        let id = try #require(try daemon.post("/v1/volunteers", ["name": "李四"]).json?["id"] as? Int)
        #expect(try daemon.post("/v1/volunteers/\(id)/badges", ["kind": "card", "uid": "04A1B2C3"]).status == 201)
        daemon.stop()

        let testbed = try DeviceTestbed()
        // The board's own input device: /dev/input exists before any scanner is plugged in.
        try testbed.add(Self.powerButton)
        try daemon.start(wrapper: testbed.wrapper)
        #expect(try Self.state(of: "wedge", daemon) == "missing", "not plugged in yet")
        #expect(try Self.state(of: "pos", daemon) == "missing")

        try testbed.add(Self.wedge(5))
        #expect(try daemon.waitUntil { try Self.state(of: "wedge", daemon) == "present" }, "found by VID:PID:serial when plugged in")
        testbed.write("/dev/input/event5", ScannerInput.inputEvents("04A1B2C3", enter: true))
        #expect(try daemon.waitUntil { try Self.lastScan(daemon)?["reason"] as? String == "patrol_started" })
        // Half a card and no Enter: rejected when the characters stop, not read as a card.
        testbed.write("/dev/input/event5", ScannerInput.inputEvents("04A1", enter: false))
        #expect(try daemon.waitUntil { try Self.lastScan(daemon)?["reason"] as? String == "scan_too_slow" })

        try testbed.add(Self.posScanner)
        #expect(try daemon.waitUntil { try Self.state(of: "pos", daemon) == "present" })
        // Long enough to take two reports, the first marked as continued.
        let checkpoint = "YZ:C:extinguisher-1"
        for report in ScannerInput.hidPOSReports(checkpoint, chunk: 12) { testbed.write("/dev/hidraw0", report) }
        #expect(try daemon.waitUntil { try Self.lastScan(daemon)?["reason"] as? String == "checkpoint_recorded" })
        #expect(try Self.lastScan(daemon)?["scanner"] as? String == "pos")

        // Unplugged in the middle of a scan: what it had typed never becomes a scan (here it
        // would read as another card), though the pause may reject it as too slow first.
        testbed.write("/dev/input/event5", ScannerInput.inputEvents("04A1B2", enter: false))
        testbed.unplug(node: "/dev/input/event5", "/sys" + Self.wedgeInput(5) + "/event5", "/sys" + Self.wedgeInput(5))
        #expect(try daemon.waitUntil { try Self.state(of: "wedge", daemon) == "missing" }, "an unplugged scanner is missing")
        #expect(try Self.state(of: "pos", daemon) == "present", "the other scanner is untouched")
        try testbed.add(Self.wedge(6))
        // Back through the inotify watch on /dev/input, well inside the first retry.
        #expect(
            try daemon.waitUntil(timeout: .milliseconds(900)) { try Self.state(of: "wedge", daemon) == "present" },
            "picked up again when it returns")
        testbed.write("/dev/input/event6", ScannerInput.inputEvents("YZ:C:water-dispenser", enter: true))
        #expect(try daemon.waitUntil { try Self.lastScan(daemon)?["scanner"] as? String == "wedge" })
        testbed.write("/dev/input/event6", ScannerInput.inputEvents("04A1B2C3", enter: true))
        #expect(try daemon.waitUntil { try daemon.get("/v1/volunteers/\(id)")["balance"] as? Int == 2 }, "the patrol completed")

        let scans = try daemon.get("/v1/scans?limit=10")["items"] as? [[String: Any]] ?? []
        let whole = scans.filter { $0["reason"] as? String != "scan_too_slow" }
        #expect(whole.map { $0["scanner"] as? String ?? "" } == ["wedge", "wedge", "pos", "wedge"])
        #expect((1...2).contains(scans.count - whole.count))
        #expect(!scans.contains { $0["reason"] as? String == "unknown_card" }, "no half card read as a card")
        #expect(scans.filter { $0["reason"] as? String == "checkpoint_recorded" }.count == 2)
        #expect(daemon.stop() == 0)
    }

    /// READY=1 waits for every scanner to be opened or found missing: a scan written the
    /// moment systemd hears it is read, and the status already says which scanner is away.
    @Test func readyComesOnceEveryScannerIsOpenOrMissing() throws {
        for _ in 0..<5 {
            let daemon = try DaemonProcess()
            try daemon.writeConfig(
                scanners: """
                    [[scanner]]
                    id = "front"
                    kind = "fifo"
                    path = "\(daemon.fifo)"

                    [[scanner]]
                    id = "door"
                    kind = "serial"
                    path = "\(daemon.directory.file("ttyUSB-unplugged"))"
                    """)
            try daemon.start()
            var info = stat()
            #expect(stat(daemon.fifo, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO, "the FIFO is there at READY=1")
            #expect(try Self.state(of: "front", daemon) == "present")
            #expect(try Self.state(of: "door", daemon) == "missing")
            try daemon.scanThroughFIFO("YZ:K:CANCEL")
            #expect(daemon.waitUntil { (try? Self.lastScan(daemon)?["scanner"] as? String) == "front" })
            #expect(daemon.stop() == 0)
        }
    }

    static func lastScan(_ daemon: DaemonProcess) throws -> [String: Any]? {
        (try daemon.get("/v1/scans?limit=1")["items"] as? [[String: Any]])?.first
    }
}
