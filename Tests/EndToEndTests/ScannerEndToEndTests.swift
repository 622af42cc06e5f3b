import Foundation
import Testing
import YizhanCore
import YizhanTestSupport
import YizhanWire

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
        let id = try daemon.api.call(API.registerVolunteer(NewVolunteerBody(name: "张三"))).id
        _ = try daemon.api.call(API.issueBadge(volunteer: id, NewBadgeBody(kind: .card, uid: "04A1B2C3")))
        let badge = try #require(try daemon.api.call(API.issueBadge(volunteer: id, NewBadgeBody(kind: .qr))).code)
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
        // READY=1 came once both scanners were open.
        #expect(try Self.state(of: "serial", daemon) == .present)
        #expect(try Self.state(of: "card", daemon) == .present)
        // The card reader types the card as soon as it is opened: the patrol opens.
        let scans = try daemon.events(from: .held)
        let first = try scans.next(.scan) { $0.scanner == "card" }
        #expect(first?.reason == .patrolStarted, "the card opened a patrol")
        #expect(try daemon.api.call(API.patrols(state: .open)).items.map(\.volunteerID) == [id])
        pty.send("YZ:C:extinguisher-1\r\nYZ:C:water-dispenser\r\n\(badge)\r\n")
        #expect(try scans.next(3, .scan).map(\.reason) == [.checkpointRecorded, .checkpointRecorded, .patrolCompleted])
        #expect(try daemon.balance(id) == 2, "the patrol closed completed with its points")

        let recorded = try daemon.api.call(API.scans(limit: 10)).items
        #expect(recorded.contains { $0.scanner == "card" && $0.reason == ScanReason.patrolStarted.rawValue })
        #expect(
            recorded.filter { $0.scanner == "serial" }.map(\.reason) == [
                "patrol_completed", "checkpoint_recorded", "checkpoint_recorded",
            ])
        #expect(try daemon.api.call(API.ledger(volunteer: id)).items.map(\.kind) == [.patrolAward])

        // Unplug the serial scanner: reported missing; plug a new one in at the same link: back.
        let devices = try daemon.events()
        pty.close()
        // Reported missing as it goes, and again at each retry that does not find it.
        #expect(try devices.next(.device) { $0.id == "serial" }?.state == .missing)
        let replugged = try PseudoTerminal()
        unlink(link)
        symlink(replugged.path, link)
        #expect(try devices.next(.device) { $0.id == "serial" && $0.state == .present } != nil, "picked up again when it returns")
        replugged.send("YZ:K:CANCEL\n")
        #expect(try scans.next(.scan)?.reason == .selectionCancelled)

        // Each change of the scanner's is one line of the log, the warnings alone saying
        // it went: as a technician filters them.
        let log = daemon.directory.file("log/yizhand.log")
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").compactMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let serial = lines.filter { $0["device"] as? String == "serial" || $0["scanner"] as? String == "serial" }
            .filter { $0["message"] as? String != "scan" }
        let said = serial.map { "\($0["level"] ?? "") \($0["message"] ?? "")" }
        // (Present at each of the two starts, missing again at a retry with another detail.)
        let changes = said.indices.filter { $0 == 0 || said[$0 - 1] != said[$0] }.map { said[$0] }
        #expect(changes == ["notice device present", "warning device missing", "notice device present"], "\(said)")
        let warnings = try Command.run(Command.product("yizhanctl"), ["logs", "--file", log, "--level", "warning"]).output
        #expect(warnings.contains("device missing") && warnings.contains("serial"), "\(warnings)")
    }

    static func state(of device: String, _ daemon: DaemonProcess) throws -> DeviceState? {
        try daemon.api.call(API.status).devices.first { $0.id == device }?.state
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
        let id = try daemon.api.call(API.registerVolunteer(NewVolunteerBody(name: "李四"))).id
        _ = try daemon.api.call(API.issueBadge(volunteer: id, NewBadgeBody(kind: .card, uid: "04A1B2C3")))
        daemon.stop()

        let testbed = try DeviceTestbed()
        // The board's own input device: /dev/input exists before any scanner is plugged in.
        try testbed.add(Self.powerButton)
        try daemon.start(wrapper: testbed.wrapper)
        #expect(try Self.state(of: "wedge", daemon) == .missing, "not plugged in yet")
        #expect(try Self.state(of: "pos", daemon) == .missing)
        let devices = try daemon.events()
        let scans = try daemon.events()

        try testbed.add(Self.wedge(5))
        #expect(try devices.next(.device) { $0.id == "wedge" && $0.state == .present } != nil, "found by VID:PID:serial when plugged in")
        testbed.write("/dev/input/event5", ScannerInput.inputEvents("04A1B2C3", enter: true))
        #expect(try scans.next(.scan)?.reason == .patrolStarted)
        // Half a card and no Enter: rejected when the characters stop, not read as a card.
        testbed.write("/dev/input/event5", ScannerInput.inputEvents("04A1", enter: false))
        #expect(try scans.next(.scan)?.reason == .scanTooSlow)

        try testbed.add(Self.posScanner)
        #expect(try devices.next(.device) { $0.id == "pos" && $0.state == .present } != nil)
        // Long enough to take two reports, the first marked as continued.
        let checkpoint = "YZ:C:extinguisher-1"
        for report in ScannerInput.hidPOSReports(checkpoint, chunk: 12) { testbed.write("/dev/hidraw0", report) }
        let read = try scans.next(.scan)
        #expect(read?.reason == .checkpointRecorded)
        #expect(read?.scanner == "pos")

        // Unplugged in the middle of a scan: what it had typed never becomes a scan (here it
        // would read as another card), though the pause may reject it as too slow first.
        testbed.write("/dev/input/event5", ScannerInput.inputEvents("04A1B2", enter: false))
        testbed.unplug(node: "/dev/input/event5", "/sys" + Self.wedgeInput(5) + "/event5", "/sys" + Self.wedgeInput(5))
        #expect(try devices.next(.device) { $0.state == .missing }?.id == "wedge", "an unplugged scanner is missing")
        #expect(try Self.state(of: "pos", daemon) == .present, "the other scanner is untouched")
        try testbed.add(Self.wedge(6))
        // Back through the inotify watch on /dev/input, well inside the first retry.
        #expect(
            try devices.next(.device, within: .milliseconds(900)) { $0.id == "wedge" && $0.state == .present } != nil,
            "picked up again when it returns")
        testbed.write("/dev/input/event6", ScannerInput.inputEvents("YZ:C:water-dispenser", enter: true))
        #expect(try scans.next(.scan) { $0.reason != .scanTooSlow }?.scanner == "wedge")
        testbed.write("/dev/input/event6", ScannerInput.inputEvents("04A1B2C3", enter: true))
        #expect(try scans.next(.scan)?.reason == .patrolCompleted)
        #expect(try daemon.balance(id) == 2, "the patrol completed")

        let recorded = try daemon.api.call(API.scans(limit: 10)).items
        let whole = recorded.filter { $0.reason != ScanReason.scanTooSlow.rawValue }
        #expect(whole.map(\.scanner) == ["wedge", "wedge", "pos", "wedge"])
        #expect((1...2).contains(recorded.count - whole.count))
        #expect(!recorded.contains { $0.reason == ScanReason.unknownCard.rawValue }, "no half card read as a card")
        #expect(recorded.filter { $0.reason == ScanReason.checkpointRecorded.rawValue }.count == 2)
        #expect(daemon.stop() == 0)
    }

    /// A scan wakes one thread of the daemon's own before its event goes out: the device
    /// thread, which waits for the scanner and takes the scan on through to its commit. (It
    /// woke three: one of libdispatch's waiting in `poll`, another of them, and a pool
    /// thread for the task, each needing a core when the API's readers hold both.) Counted
    /// by the kernel: each thread's own goings to sleep (`voluntary_ctxt_switches`) over
    /// 100 scans sent one at a time, outside the API's loops, which carry the events.
    @Test func aScanWakesOnlyTheDeviceThread() throws {
        let daemon = try DaemonProcess()
        defer { daemon.directory.remove() }
        try daemon.start()
        let pid = try #require(daemon.pid)
        let scans = try daemon.events()
        func scan(_ count: Int) throws {
            for index in 0..<count {
                try daemon.scanThroughFIFO("YZ:C:extinguisher-\(index % 7)")
                try #require(try scans.next(.scan) != nil)
            }
        }
        func sleeps() -> [String: UInt64] {
            var sleeps: [String: UInt64] = [:]
            for (task, count) in threadCounts(of: pid, voluntarySwitches) {
                let name = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/comm", encoding: .utf8)) ?? ""
                if !name.hasPrefix("NIO-") { sleeps[name.trimmingCharacters(in: .newlines) + "/" + task] = count }
            }
            return sleeps
        }
        // The first scans warm the store's statements and the runtime's caches.
        try scan(10)
        let before = sleeps()
        try scan(100)
        let grown = sleeps().map { (thread: $0.key, count: $0.value - (before[$0.key] ?? 0)) }
        let device = grown.filter { $0.thread.hasPrefix("yizhan-devices/") }.map(\.count).reduce(0, +)
        let others = grown.filter { !$0.thread.hasPrefix("yizhan-devices/") && $0.count > 0 }
        #expect(device >= 50, "the scans woke the device thread \(device) times")
        #expect(others.map(\.count).reduce(0, +) < 25, "other threads slept: \(others)")
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
            #expect(try Self.state(of: "front", daemon) == .present)
            #expect(try Self.state(of: "door", daemon) == .missing)
            let scans = try daemon.events()
            try daemon.scanThroughFIFO("YZ:K:CANCEL")
            #expect(try scans.next(.scan)?.scanner == "front")
            #expect(daemon.stop() == 0)
        }
    }
}
